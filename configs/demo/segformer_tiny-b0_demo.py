# Student alone on the bundled synthetic street scenes: a SegFormer with the MiT-B0 stage layout (4 stages, depths
# 2/2/2/2, heads 1/2/5/8, sr 8/4/2/1, patches 7/3/3/3), shrunk to half the B0 widths (16/32/80/128) and a 64-channel
# head so it trains on 2 CPU cores. Randomly initialised (no download).
_base_ = [
    'mmseg::_base_/models/segformer_mit-b0.py', 'mmseg::_base_/default_runtime.py', './_base_/demo_city.py'
]
custom_imports = dict(imports=['mmseg_transkd'], allow_failed_imports=False)
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    data_preprocessor=dict(size=(128, 128)),
    backbone=dict(embed_dims=16, num_layers=[2, 2, 2, 2]),
    decode_head=dict(in_channels=[16, 32, 80, 128], channels=64, norm_cfg=norm_cfg),
    test_cfg=dict(mode='whole'))
