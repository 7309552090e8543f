# Semantic FPN on PVTv2-B0 alone on Cityscapes (the student side of the TransKD PVTv2 pair, spec §3.2): mmseg's
# semantic-FPN Cityscapes config (FPN neck with 4 levels of 256 channels, FPNHead with 128 channels, 4 GPUs x 2 images,
# 512x1024 crops, 80k iterations) with its ResNet-50 replaced by MMDetection's PVTv2 (optional dependency:
# pip install "mmdet==3.3.0") and the PVT papers' semantic-FPN optimizer, AdamW lr 1e-4, weight decay 1e-4, poly 0.9 [I].
_base_ = ['mmseg::sem_fpn/fpn_r50_4xb2-80k_cityscapes-512x1024.py']
custom_imports = dict(imports=['mmseg_transkd'], allow_failed_imports=False)
# ImageNet-1k weights of the PVT release (mmdet converts their key names when loading).
checkpoint = 'https://github.com/whai362/PVT/releases/download/v2/pvt_v2_b0.pth'
model = dict(
    pretrained=None,
    backbone=dict(_delete_=True, type='PVTv2', embed_dims=32, num_layers=[2, 2, 2, 2], num_heads=[1, 2, 5, 8],
                  init_cfg=dict(type='Pretrained', checkpoint=checkpoint)),
    neck=dict(in_channels=[32, 64, 160, 256]))
optim_wrapper = dict(
    _delete_=True, type='OptimWrapper', optimizer=dict(type='AdamW', lr=0.0001, weight_decay=0.0001))
param_scheduler = [dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=80000, by_epoch=False)]
