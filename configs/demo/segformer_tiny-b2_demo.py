# Teacher on the bundled synthetic street scenes: a SegFormer with the MiT-B2 stage layout (depths 3/4/6/3 shrunk to
# 2/2/3/2, heads 1/2/5/8, sr 8/4/2/1), twice the student's widths (32/64/160/256, the B0 widths; B2 is twice B0 too)
# and a 128-channel head. It gets a longer schedule than the students.
_base_ = ['./segformer_tiny-b0_demo.py']
max_iters = 1200
model = dict(
    backbone=dict(embed_dims=32, num_layers=[2, 2, 3, 2]),
    decode_head=dict(in_channels=[32, 64, 160, 256], channels=128))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=50),
    dict(type='PolyLR', eta_min=0.0, power=1.0, begin=50, end=max_iters, by_epoch=False),
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(checkpoint=dict(interval=max_iters))
