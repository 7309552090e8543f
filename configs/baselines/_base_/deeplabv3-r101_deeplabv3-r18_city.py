# The standard CNN pair of segmentation KD: DeepLabV3 R101-D8 (mmseg's released Cityscapes model) -> DeepLabV3
# R18-D8 (mmseg's config, ImageNet-pretrained ResNetV1c-18 from open-mmlab://resnet18_v1c) on Cityscapes, 512x1024
# crops, CIRKD recipe: SGD 0.02, poly, 40k iterations, 8 GPUs x 2 images. Method configs name their recipe.
_base_ = [
    'mmseg::deeplabv3/deeplabv3_r18-d8_4xb2-80k_cityscapes-512x1024.py',
    '../../../mmseg_transkd/configs/distill/baselines.py'
]
custom_imports = dict(imports=['mmseg_transkd'], allow_failed_imports=False)

teacher_config = 'mmseg::deeplabv3/deeplabv3_r101-d8_4xb2-80k_cityscapes-512x1024.py'
teacher_checkpoint = 'https://download.openmmlab.com/mmsegmentation/v0.5/deeplabv3/deeplabv3_r101-d8_512x1024_80k_cityscapes/deeplabv3_r101-d8_512x1024_80k_cityscapes_20200606_113503-9e428899.pth'  # noqa
model = dict(
    _delete_=True,
    type='DistillSegmentor',
    student=_base_.model,
    teacher=dict(config=teacher_config, checkpoint=teacher_checkpoint))
train_dataloader = dict(batch_size=2)  # x 8 GPUs = 16
optim_wrapper = _base_.cirkd_optim_wrapper
param_scheduler = _base_.cirkd_param_scheduler
train_cfg = _base_.cirkd_train_cfg
default_hooks = dict(checkpoint=dict(interval=4000))
