# HeteroAKD, Transformer -> CNN, the pair of the paper's Table 1(a): DeepLabV3 on MiT-B4 -> DeepLabV3 MobileNetV2-D8
# on Cityscapes, CIRKD recipe. The teacher checkpoint comes from training
# configs/heteroakd/deeplabv3-mitb4_deeplabv3-mbv2_teacher_city.py first (mmseg releases no such model).
_base_ = ['mmseg::mobilenet_v2/mobilenet-v2-d8_deeplabv3_4xb2-80k_cityscapes-512x1024.py',
          '../../mmseg_transkd/configs/distill/heteroakd.py']
custom_imports = dict(imports=['mmseg_transkd'], allow_failed_imports=False)

model = dict(
    _delete_=True,
    type='DistillSegmentor',
    student=_base_.model,
    teacher=dict(
        config='configs/heteroakd/deeplabv3-mitb4_deeplabv3-mbv2_teacher_city.py',
        checkpoint='work_dirs/deeplabv3-mitb4_deeplabv3-mbv2_teacher_city/iter_160000.pth'),
    recipe='heteroakd')
optim_wrapper = _base_.cirkd_optim_wrapper
param_scheduler = _base_.cirkd_param_scheduler
train_cfg = _base_.cirkd_train_cfg
default_hooks = dict(checkpoint=dict(interval=4000))
