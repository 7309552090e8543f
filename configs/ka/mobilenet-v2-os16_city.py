# The KA student alone (He et al., CVPR 2019, arXiv 1903.04688; seeds.md §3.1; issue 16): MobileNetV2 at output stride
# 16 with the head of TF-DeepLab's MobileNetV2 models (image pooling + 1x1-256 branch, 1x1 projection to 256, dropout,
# 1x1 classifier; no atrous branches, no decoder), `ka_student_backbone` / `ka_student_head` of
# mmseg_transkd/configs/distill/ka.py. Also the "student alone" baseline.
# [I] Data, schedule and evaluation: the teacher's mmseg config (DeepLabV3+ R50-D8 Cityscapes: 512x1024 crops, SGD
# 0.01, 80k iterations, 4 GPUs x 2 images), the same as mmseg's MobileNetV2 Cityscapes configs.
_base_ = ['mmseg::deeplabv3plus/deeplabv3plus_r50-d8_4xb2-80k_cityscapes-512x1024.py', '../../mmseg_transkd/configs/distill/ka.py']
custom_imports = dict(imports=['mmseg_transkd'], allow_failed_imports=False)
model = dict(
    pretrained='mmcls://mobilenet_v2',
    backbone=dict(_base_.ka_student_backbone, _delete_=True),
    decode_head=dict(_base_.ka_student_head, _delete_=True, num_classes=19),
    auxiliary_head=None)
