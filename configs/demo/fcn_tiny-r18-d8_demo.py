# Teacher of the Knowledge Adaptation demo on the bundled synthetic street scenes (issue 25): a CNN at output stride 8,
# a ResNetV1c-18 layout at 1/8 of the widths (8/16/32/64 channels, layers 3 and 4 dilated 2 and 4) with an FCN head
# whose last conv feature has 256 channels, so that the stage-1 latent has the 256 channels of the real configs' latent
# (the scale of KA's adaptation loss depends on them). Randomly initialised (no download); 300 iterations of the demo
# AdamW recipe of ./_base_/demo_city.py.
_base_ = ['mmseg::_base_/default_runtime.py', './_base_/demo_city.py']
custom_imports = dict(imports=['mmseg_transkd'], allow_failed_imports=False)
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=_base_.demo_data_preprocessor,
    backbone=dict(type='ResNetV1c', depth=18, stem_channels=8, base_channels=8, num_stages=4,
                  out_indices=(0, 1, 2, 3), dilations=(1, 1, 2, 4), strides=(1, 2, 1, 1), norm_cfg=norm_cfg,
                  contract_dilation=True),
    decode_head=dict(type='FCNHead', in_channels=64, in_index=3, channels=256, num_convs=1, concat_input=False,
                     dropout_ratio=0.1, num_classes=19, norm_cfg=norm_cfg, align_corners=False,
                     loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
max_iters = 300
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=50),
    dict(type='PolyLR', eta_min=0.0, power=1.0, begin=50, end=max_iters, by_epoch=False),
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(checkpoint=dict(interval=max_iters))
