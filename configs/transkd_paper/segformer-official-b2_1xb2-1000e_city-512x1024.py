# SegFormer MiT-B2, the TransKD teacher, under TransKD's own protocol on Cityscapes: official architecture with the
# official D = 768 head and 20 outputs. The release trains it from ImageNet MiT-B2 weights (mmseg's converted
# ones below load into OfficialMixVisionTransformer). For distillation its weights come from the release's
# segformerb2_teacher_*.pth converted with tools/convert_official_transkd.py.
_base_ = ['./segformer-official-b0_1xb2-1000e_city-512x1024.py']
checkpoint = 'https://download.openmmlab.com/mmsegmentation/v0.5/pretrain/segformer/mit_b2_20220624-66e8bf70.pth'  # noqa
model = dict(
    backbone=dict(embed_dims=64, num_layers=[3, 4, 6, 3], init_cfg=dict(_delete_=True, type='Pretrained', checkpoint=checkpoint)),
    decode_head=dict(in_channels=[64, 128, 320, 512], channels=768))
