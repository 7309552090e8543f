# C2VKD on Cityscapes with a SegFormer MiT-B1 student (mmseg's B1 widths 64/128/320/512); everything else as B0.
_base_ = ['./deeplabv3plus-r101_segformer-b0_city.py']
mit_b1 = 'https://download.openmmlab.com/mmsegmentation/v0.5/pretrain/segformer/mit_b1_20220624-02e5a6a1.pth'  # noqa
model = dict(
    student=dict(
        backbone=dict(embed_dims=64, num_layers=[2, 2, 2, 2], init_cfg=dict(type='Pretrained', checkpoint=mit_b1)),
        decode_head=dict(in_channels=[64, 128, 320, 512])))
