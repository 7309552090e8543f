# The KA student alone on Pascal VOC 2012 aug (He et al., CVPR 2019, arXiv 1903.04688; issue 16): MobileNetV2 OS16 with
# TF-DeepLab's MobileNetV2 head, as configs/ka/mobilenet-v2-os16_city.py, 21 classes. [I] Data, schedule and evaluation:
# the teacher's mmseg config (512x512 crops, SGD 0.01, 40k iterations, 4 GPUs x 4 images).
_base_ = ['mmseg::deeplabv3plus/deeplabv3plus_r50-d8_4xb4-40k_voc12aug-512x512.py', '../../mmseg_transkd/configs/distill/ka.py']
custom_imports = dict(imports=['mmseg_transkd'], allow_failed_imports=False)
model = dict(
    pretrained='mmcls://mobilenet_v2',
    backbone=dict(_base_.ka_student_backbone, _delete_=True),
    decode_head=dict(_base_.ka_student_head, _delete_=True, num_classes=21),
    auxiliary_head=None)
