# SegFormer MiT-B2 on Pascal VOC 2012 aug, the TransKD VOC teacher. mmseg releases no SegFormer VOC model: train this
# first; the distillation config reads work_dirs/segformer_mit-b2_8xb2-40k_voc12aug-512x512/iter_40000.pth.
_base_ = ['./segformer_mit-b0_8xb2-40k_voc12aug-512x512.py']
checkpoint = 'https://download.openmmlab.com/mmsegmentation/v0.5/pretrain/segformer/mit_b2_20220624-66e8bf70.pth'  # noqa
model = dict(
    backbone=dict(init_cfg=dict(type='Pretrained', checkpoint=checkpoint), embed_dims=64, num_layers=[3, 4, 6, 3]),
    decode_head=dict(in_channels=[64, 128, 320, 512]))
