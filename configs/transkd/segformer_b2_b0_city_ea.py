# TransKD-EA (arXiv 2202.13393): TransKD-Base plus the Embedding Assistant with the student's patch geometry.
_base_ = ['./segformer_b2_b0_city.py']

model = dict(
    student_recorders=dict(stage_inputs=_base_.mit_embed_inputs),
    connectors=dict(ea=dict(**_base_.embedding_assistant, kernel_sizes=_base_.model.student.backbone.patch_sizes)),
    distill_losses=dict(loss_pea=dict(inputs=dict(preds_S='C.ea'))))
