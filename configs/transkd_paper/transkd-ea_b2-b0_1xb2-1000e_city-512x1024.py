# TransKD-EA under the paper's own protocol on Cityscapes: TransKD-Base plus the Embedding Assistant.
_base_ = ['./transkd-base_b2-b0_1xb2-1000e_city-512x1024.py']
model = dict(
    student_recorders=dict(stage_inputs=_base_.mit_embed_inputs),
    connectors=dict(ea=dict(**_base_.embedding_assistant, kernel_sizes=_base_.model.student.backbone.patch_sizes)),
    distill_losses=dict(loss_pea=dict(inputs=dict(preds_S='C.ea'))))
