# The KA student alone on Pascal Context (60 classes) (He et al., CVPR 2019, arXiv 1903.04688; issue 16): MobileNetV2
# OS16 with TF-DeepLab's MobileNetV2 head, as configs/ka/mobilenet-v2-os16_city.py, 60 classes. The paper's student
# recipe (seeds.md §3.3, issue 25): SGD lr 0.007, momentum 0.9, weight decay 4e-5, TF-DeepLab's poly 0.9, 30k
# iterations, batch 16 = 4 GPUs x 4. [I] Data and evaluation: the teacher's mmseg config (480x480 crops,
# sliding-window test).
_base_ = ['mmseg::deeplabv3plus/deeplabv3plus_r101-d8_4xb4-40k_pascal-context-480x480.py', '../../mmseg_transkd/configs/distill/ka.py']
custom_imports = dict(imports=['mmseg_transkd'], allow_failed_imports=False)
model = dict(
    pretrained='mmcls://mobilenet_v2',
    backbone=dict(_base_.ka_student_backbone, _delete_=True),
    decode_head=dict(_base_.ka_student_head, _delete_=True, num_classes=60),
    auxiliary_head=None)
optim_wrapper = dict(_delete_=True, **_base_.ka_student_optim_wrapper)
param_scheduler = _base_.ka_student_param_scheduler_30k
train_cfg = _base_.ka_student_train_cfg_30k
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=3000))
