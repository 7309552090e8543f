# FitNet baseline of KA: the student feature regressed and upsampled to the teacher's, MSE, on Pascal VOC 2012 aug
# (DeepLabV3+ R50-D8 -> MobileNetV2 OS16; blocks `ka_fitnet` of mmseg_transkd/configs/distill/ka.py).
_base_ = ['./mobilenet-v2-os16_voc12aug.py']  # brings mmseg_transkd/configs/distill/ka.py
custom_imports = dict(imports=['mmseg_transkd'], allow_failed_imports=False)

model = dict(_delete_=True, type='DistillSegmentor', student=_base_.model, teacher=_base_.ka_teacher_voc12aug,
             recipe='ka_fitnet')
