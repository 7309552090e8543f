# Semantic FPN on PVTv2-B2 on Cityscapes, the teacher of the TransKD PVTv2 pair (spec §3.2). Neither the PVT release
# nor mmseg's model zoo has a PVTv2-B2 semantic-FPN Cityscapes model in this layout: train this first
# (python tools/train.py configs/baselines/fpn_pvtv2-b2_4xb2-80k_cityscapes-512x1024.py); the distillation config reads
# work_dirs/fpn_pvtv2-b2_4xb2-80k_cityscapes-512x1024/iter_80000.pth.
_base_ = ['./fpn_pvtv2-b0_4xb2-80k_cityscapes-512x1024.py']
checkpoint = 'https://github.com/whai362/PVT/releases/download/v2/pvt_v2_b2.pth'
model = dict(
    backbone=dict(embed_dims=64, num_layers=[3, 4, 6, 3], init_cfg=dict(type='Pretrained', checkpoint=checkpoint)),
    neck=dict(in_channels=[64, 128, 320, 512]))
