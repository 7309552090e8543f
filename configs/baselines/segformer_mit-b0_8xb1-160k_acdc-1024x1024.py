# SegFormer MiT-B0 alone on ACDC (all conditions): mmseg's SegFormer Cityscapes recipe (8 GPUs x 1 image, 1024x1024
# crops, 160k iterations ~ 800 epochs of ACDC's 1600 train images, AdamW 6e-5 with head lr x10, poly decay, slide
# inference) on ACDC data [I]. Also the student side of configs/transkd/segformer_b2_b0_acdc.py.
_base_ = [
    'mmseg::_base_/models/segformer_mit-b0.py', '../_base_/datasets/acdc_1024x1024.py',
    'mmseg::_base_/default_runtime.py', 'mmseg::_base_/schedules/schedule_160k.py'
]
crop_size = (1024, 1024)
data_preprocessor = dict(size=crop_size)
checkpoint = 'https://download.openmmlab.com/mmsegmentation/v0.5/pretrain/segformer/mit_b0_20220624-7e0fe6dd.pth'  # noqa
model = dict(
    data_preprocessor=data_preprocessor,
    backbone=dict(init_cfg=dict(type='Pretrained', checkpoint=checkpoint)),
    test_cfg=dict(mode='slide', crop_size=(1024, 1024), stride=(768, 768)))
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=0.00006, betas=(0.9, 0.999), weight_decay=0.01),
    paramwise_cfg=dict(custom_keys=dict(pos_block=dict(decay_mult=0.), norm=dict(decay_mult=0.),
                                        head=dict(lr_mult=10.))))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0, end=1500),
    dict(type='PolyLR', eta_min=0.0, power=1.0, begin=1500, end=160000, by_epoch=False)
]
