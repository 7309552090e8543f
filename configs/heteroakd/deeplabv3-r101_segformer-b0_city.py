# HeteroAKD, CNN -> Transformer: DeepLabV3 R101-D8 (mmseg's released Cityscapes model) -> SegFormer MiT-B0 on
# Cityscapes. The student keeps mmseg's SegFormer recipe (1024x1024 crops, 160k iterations, AdamW) with CIRKD's
# SegFormer learning rate 2e-4 [I] (seeds.md §2.3) and 8 GPUs x 2 images.
_base_ = ['mmseg::segformer/segformer_mit-b0_8xb1-160k_cityscapes-1024x1024.py']
custom_imports = dict(imports=['mmseg_transkd'], allow_failed_imports=False)

teacher_config = 'mmseg::deeplabv3/deeplabv3_r101-d8_4xb2-80k_cityscapes-512x1024.py'
teacher_checkpoint = 'https://download.openmmlab.com/mmsegmentation/v0.5/deeplabv3/deeplabv3_r101-d8_512x1024_80k_cityscapes/deeplabv3_r101-d8_512x1024_80k_cityscapes_20200606_113503-9e428899.pth'  # noqa
model = dict(
    _delete_=True,
    type='DistillSegmentor',
    student=_base_.model,
    teacher=dict(config=teacher_config, checkpoint=teacher_checkpoint),
    recipe='heteroakd')
optim_wrapper = dict(optimizer=dict(lr=2e-4))
train_dataloader = dict(batch_size=2)
