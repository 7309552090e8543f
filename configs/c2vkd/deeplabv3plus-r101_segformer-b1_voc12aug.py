# C2VKD on Pascal VOC 2012 aug with a SegFormer MiT-B1 student; everything else as the B0 config.
_base_ = ['./deeplabv3plus-r101_segformer-b0_voc12aug.py']
mit_b1 = 'https://download.openmmlab.com/mmsegmentation/v0.5/pretrain/segformer/mit_b1_20220624-02e5a6a1.pth'  # noqa
model = dict(
    student=dict(
        backbone=dict(embed_dims=64, num_layers=[2, 2, 2, 2], init_cfg=dict(type='Pretrained', checkpoint=mit_b1)),
        decode_head=dict(in_channels=[64, 128, 320, 512])))
