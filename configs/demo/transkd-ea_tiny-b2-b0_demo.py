# TransKD-EA on the bundled synthetic street scenes (see transkd_tiny-b2-b0_demo.py).
_base_ = ['./transkd_tiny-b2-b0_demo.py']
model = dict(
    student_recorders=dict(stage_inputs=_base_.mit_embed_inputs),
    connectors=dict(ea=dict(**_base_.embedding_assistant, kernel_sizes=_base_.model.student.backbone.patch_sizes)),
    distill_losses=dict(loss_pea=dict(inputs=dict(preds_S='C.ea'))))
