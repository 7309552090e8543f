# The KA student alone on Pascal Context (60 classes) (He et al., CVPR 2019, arXiv 1903.04688; issue 16): MobileNetV2
# OS16 with TF-DeepLab's MobileNetV2 head, as configs/ka/mobilenet-v2-os16_city.py, 60 classes. [I] Data, schedule and
# evaluation: the teacher's mmseg config (480x480 crops, SGD 0.004, weight decay 1e-4, 40k iterations, 4 GPUs x 4
# images, sliding-window test).
_base_ = ['mmseg::deeplabv3plus/deeplabv3plus_r101-d8_4xb4-40k_pascal-context-480x480.py', '../../mmseg_transkd/configs/distill/ka.py']
custom_imports = dict(imports=['mmseg_transkd'], allow_failed_imports=False)
model = dict(
    pretrained='mmcls://mobilenet_v2',
    backbone=dict(_base_.ka_student_backbone, _delete_=True),
    decode_head=dict(_base_.ka_student_head, _delete_=True, num_classes=60),
    auxiliary_head=None)
