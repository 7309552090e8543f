# SegFormer MiT-B0 alone on CamVid (11-class SegNet split) [I]: mmseg's SegFormer recipe (AdamW 6e-5, head lr x10,
# poly decay after a 1500-iteration warmup) with 8 GPUs x 2 images, 360x360 crops and mmseg's 20k schedule (~870
# epochs of the 367 train images), whole-image inference at 480x360. Also the student of
# configs/transkd/segformer_b2_b0_camvid.py.
_base_ = [
    'mmseg::_base_/models/segformer_mit-b0.py', '../_base_/datasets/camvid_360x360.py',
    'mmseg::_base_/default_runtime.py', 'mmseg::_base_/schedules/schedule_20k.py'
]
crop_size = (360, 360)
data_preprocessor = dict(size=crop_size)
checkpoint = 'https://download.openmmlab.com/mmsegmentation/v0.5/pretrain/segformer/mit_b0_20220624-7e0fe6dd.pth'  # noqa
model = dict(
    data_preprocessor=data_preprocessor,
    backbone=dict(init_cfg=dict(type='Pretrained', checkpoint=checkpoint)),
    decode_head=dict(num_classes=11))
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=0.00006, betas=(0.9, 0.999), weight_decay=0.01),
    paramwise_cfg=dict(custom_keys=dict(pos_block=dict(decay_mult=0.), norm=dict(decay_mult=0.),
                                        head=dict(lr_mult=10.))))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0, end=1500),
    dict(type='PolyLR', eta_min=0.0, power=1.0, begin=1500, end=20000, by_epoch=False)
]
