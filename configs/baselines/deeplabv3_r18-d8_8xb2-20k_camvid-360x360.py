# DeepLabV3 R18-D8 alone on CamVid (11-class SegNet split), the CIRKD pair's student [I]: mmseg's DeepLabV3 R18-D8
# model (ImageNet ResNetV1c-18 from open-mmlab://resnet18_v1c) with CIRKD's optimizer (SGD 0.02, momentum 0.9,
# weight decay 1e-4, poly 0.9, as mmseg_transkd/configs/distill/cirkd_recipe.py), 8 GPUs x 2 images, 360x360 crops and
# mmseg's 20k schedule length, whole-image inference at 480x360. Also the student of
# configs/baselines/cirkd_deeplabv3-r101_deeplabv3-r18_camvid.py.
_base_ = [
    'mmseg::_base_/models/deeplabv3_r50-d8.py', '../_base_/datasets/camvid_360x360.py',
    'mmseg::_base_/default_runtime.py', 'mmseg::_base_/schedules/schedule_20k.py'
]
crop_size = (360, 360)
model = dict(
    data_preprocessor=dict(size=crop_size),
    pretrained='open-mmlab://resnet18_v1c',
    backbone=dict(depth=18),
    decode_head=dict(in_channels=512, channels=128, num_classes=11),
    auxiliary_head=dict(in_channels=256, channels=64, num_classes=11))
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=1e-4), clip_grad=None)
param_scheduler = [dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=20000, by_epoch=False)]
