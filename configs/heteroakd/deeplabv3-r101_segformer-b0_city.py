# HeteroAKD, CNN -> Transformer: DeepLabV3 R101-D8 (mmseg's released Cityscapes model) -> SegFormer MiT-B0 on
# Cityscapes. mmseg's MiT-B0 model and data (1024x1024 crops) with CIRKD's SegFormer recipe (seeds.md §2.3, issue 16):
# plain AdamW lr 2e-4, weight decay 1e-4, no head lr multiplier, no warm-up, poly 0.9, 160k iterations, 8 GPUs x 1.
_base_ = ['mmseg::segformer/segformer_mit-b0_8xb1-160k_cityscapes-1024x1024.py', '../../mmseg_transkd/configs/distill/cirkd_recipe.py']
custom_imports = dict(imports=['mmseg_transkd'], allow_failed_imports=False)

teacher_config = 'mmseg::deeplabv3/deeplabv3_r101-d8_4xb2-80k_cityscapes-512x1024.py'
teacher_checkpoint = 'https://download.openmmlab.com/mmsegmentation/v0.5/deeplabv3/deeplabv3_r101-d8_512x1024_80k_cityscapes/deeplabv3_r101-d8_512x1024_80k_cityscapes_20200606_113503-9e428899.pth'  # noqa
model = dict(
    _delete_=True,
    type='DistillSegmentor',
    student=_base_.model,
    teacher=dict(config=teacher_config, checkpoint=teacher_checkpoint),
    recipe='heteroakd')
train_dataloader = dict(batch_size=1)  # x 8 GPUs = 8
optim_wrapper = dict(_base_.cirkd_segformer_optim_wrapper, _delete_=True)
param_scheduler = _base_.cirkd_segformer_param_scheduler
train_cfg = _base_.cirkd_segformer_train_cfg
default_hooks = dict(checkpoint=dict(interval=16000))
