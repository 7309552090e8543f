# SegFormer MiT-B2 on NYUv2 40 classes, the TransKD NYUv2 teacher. No released model exists: train this first; the
# distillation config reads work_dirs/segformer_mit-b2_8xb2-40k_nyuv2-40-480x480/iter_40000.pth.
_base_ = ['./segformer_mit-b0_8xb2-40k_nyuv2-40-480x480.py']
checkpoint = 'https://download.openmmlab.com/mmsegmentation/v0.5/pretrain/segformer/mit_b2_20220624-66e8bf70.pth'  # noqa
model = dict(
    backbone=dict(init_cfg=dict(type='Pretrained', checkpoint=checkpoint), embed_dims=64, num_layers=[3, 4, 6, 3]),
    decode_head=dict(in_channels=[64, 128, 320, 512]))
