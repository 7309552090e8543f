# SegFormer MiT-B2 on CamVid, the teacher of configs/transkd/segformer_b2_b0_camvid.py. mmseg releases no CamVid
# model: train this first (python tools/train.py configs/baselines/segformer_mit-b2_8xb2-20k_camvid-360x360.py); the
# distillation config reads work_dirs/segformer_mit-b2_8xb2-20k_camvid-360x360/iter_20000.pth. As mmseg's B2
# Cityscapes config, it keeps the 256-channel SegformerHead of the B0 base.
_base_ = ['./segformer_mit-b0_8xb2-20k_camvid-360x360.py']
checkpoint = 'https://download.openmmlab.com/mmsegmentation/v0.5/pretrain/segformer/mit_b2_20220624-66e8bf70.pth'  # noqa
model = dict(
    backbone=dict(init_cfg=dict(type='Pretrained', checkpoint=checkpoint), embed_dims=64, num_layers=[3, 4, 6, 3]),
    decode_head=dict(in_channels=[64, 128, 320, 512]))
