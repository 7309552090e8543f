# The Transformer pair of TransKD: SegFormer MiT-B2 (mmseg's released Cityscapes model) -> MiT-B0 on Cityscapes, with
# mmseg's own SegFormer MiT-B0 recipe (1024x1024 crops, 160k iterations, AdamW 6e-5, 8 GPUs x 1 image), as in
# configs/transkd/segformer_b2_b0_city.py. Method configs name their recipe.
_base_ = [
    'mmseg::segformer/segformer_mit-b0_8xb1-160k_cityscapes-1024x1024.py',
    '../../../mmseg_transkd/configs/distill/baselines.py'
]
custom_imports = dict(imports=['mmseg_transkd'], allow_failed_imports=False)

teacher_config = 'mmseg::segformer/segformer_mit-b2_8xb1-160k_cityscapes-1024x1024.py'
teacher_checkpoint = 'https://download.openmmlab.com/mmsegmentation/v0.5/segformer/segformer_mit-b2_8x1_1024x1024_160k_cityscapes/segformer_mit-b2_8x1_1024x1024_160k_cityscapes_20211207_134205-6096669a.pth'  # noqa
model = dict(
    _delete_=True,
    type='DistillSegmentor',
    student=_base_.model,
    teacher=dict(config=teacher_config, checkpoint=teacher_checkpoint))
