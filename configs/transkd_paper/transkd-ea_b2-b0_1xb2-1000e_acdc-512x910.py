# TransKD-EA under the paper's own protocol on ACDC (all conditions): TransKD-Base plus the Embedding Assistant.
_base_ = ['./transkd-base_b2-b0_1xb2-1000e_acdc-512x910.py']
model = dict(
    student_recorders=dict(stage_inputs=_base_.mit_embed_inputs),
    connectors=dict(ea=dict(**_base_.embedding_assistant, kernel_sizes=_base_.model.student.backbone.patch_sizes)),
    distill_losses=dict(loss_pea=dict(inputs=dict(preds_S='C.ea'))))
