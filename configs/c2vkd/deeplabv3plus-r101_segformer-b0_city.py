# C2VKD, CNN -> Transformer on Cityscapes: DeepLabV3+ R101-D8 (mmseg's released 80k Cityscapes model) -> SegFormer
# MiT-B0 (ImageNet-1k pretrained encoder, new head). Paper recipe (spec §1.6): 512x512 crops, batch 24 = 8 GPUs x 3,
# 50k iterations, AdamW 6e-5, poly power 1.0; evaluation by 512x512 sliding window [I: stride 341 = 2/3 of the crop].
# Needs the CLIP RN101 attention pool at checkpoints/clip_rn101_attnpool.pth (see
# mmseg_transkd/configs/distill/c2vkd.py).
_base_ = [
    'mmseg::_base_/models/segformer_mit-b0.py', 'mmseg::_base_/datasets/cityscapes.py',
    'mmseg::_base_/default_runtime.py', 'mmseg::_base_/schedules/schedule_80k.py',
    '../../mmseg_transkd/configs/distill/c2vkd.py'
]
custom_imports = dict(imports=['mmseg_transkd'], allow_failed_imports=False)
crop_size = (512, 512)
mit_b0 = 'https://download.openmmlab.com/mmsegmentation/v0.5/pretrain/segformer/mit_b0_20220624-7e0fe6dd.pth'  # noqa
student = _base_.model
student.data_preprocessor.size = crop_size
student.backbone.init_cfg = dict(type='Pretrained', checkpoint=mit_b0)
student.decode_head.loss_decode.loss_weight = _base_.ce_weight
student.test_cfg = dict(mode='slide', crop_size=crop_size, stride=(341, 341))
model = dict(
    _delete_=True,
    type='DistillSegmentor',
    student=student,
    teacher=dict(
        config='mmseg::deeplabv3plus/deeplabv3plus_r101-d8_4xb2-80k_cityscapes-512x1024.py',
        checkpoint='https://download.openmmlab.com/mmsegmentation/v0.5/deeplabv3plus/deeplabv3plus_r101-d8_512x1024_80k_cityscapes/deeplabv3plus_r101-d8_512x1024_80k_cityscapes_20200606_114143-068fcfe9.pth'),  # noqa
    recipe='c2vkd')

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=(2048, 1024), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs')
]
train_dataloader = dict(batch_size=3, dataset=dict(pipeline=train_pipeline))
optim_wrapper = dict(_delete_=True, **_base_.c2vkd_optim_wrapper)
param_scheduler = _base_.c2vkd_param_scheduler
train_cfg = _base_.c2vkd_train_cfg
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=5000))
