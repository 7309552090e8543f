# SegFormer MiT-B0 alone on Pascal VOC 2012 + SBD aug (10,582 train / 1,449 val, 21 classes): mmseg's VOC-aug data
# settings (mmseg::_base_/datasets/pascal_voc12_aug.py, 512x512 crops) and 40k schedule length, with mmseg's SegFormer
# optimizer (AdamW 6e-5, head lr x10, poly decay after 1500 warmup iterations) at 8 GPUs x 2 images [I].
# Also the student of configs/transkd/segformer_b2_b0_voc12aug.py.
_base_ = [
    'mmseg::_base_/models/segformer_mit-b0.py', 'mmseg::_base_/datasets/pascal_voc12_aug.py',
    'mmseg::_base_/default_runtime.py', 'mmseg::_base_/schedules/schedule_40k.py'
]
crop_size = (512, 512)
data_preprocessor = dict(size=crop_size)
checkpoint = 'https://download.openmmlab.com/mmsegmentation/v0.5/pretrain/segformer/mit_b0_20220624-7e0fe6dd.pth'  # noqa
model = dict(
    data_preprocessor=data_preprocessor,
    backbone=dict(init_cfg=dict(type='Pretrained', checkpoint=checkpoint)),
    decode_head=dict(num_classes=21))
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=0.00006, betas=(0.9, 0.999), weight_decay=0.01),
    paramwise_cfg=dict(custom_keys=dict(pos_block=dict(decay_mult=0.), norm=dict(decay_mult=0.),
                                        head=dict(lr_mult=10.))))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0, end=1500),
    dict(type='PolyLR', eta_min=0.0, power=1.0, begin=1500, end=40000, by_epoch=False)
]
train_dataloader = dict(batch_size=2)
