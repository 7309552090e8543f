# DeepLabV3 R101-D8 on CamVid, the teacher of configs/baselines/cirkd_deeplabv3-r101_deeplabv3-r18_camvid.py (ImageNet
# ResNetV1c-101 from open-mmlab://resnet101_v1c; the R18 config's recipe). mmseg releases no CamVid model: train this
# first; the distillation config reads work_dirs/deeplabv3_r101-d8_8xb2-20k_camvid-360x360/iter_20000.pth.
_base_ = ['./deeplabv3_r18-d8_8xb2-20k_camvid-360x360.py']
model = dict(
    pretrained='open-mmlab://resnet101_v1c',
    backbone=dict(depth=101),
    decode_head=dict(in_channels=2048, channels=512),
    auxiliary_head=dict(in_channels=1024, channels=256))
