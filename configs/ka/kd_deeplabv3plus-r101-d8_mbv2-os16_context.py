# KD baseline of KA: pixel-wise KL at T = 4, student logits upsampled to the teacher's 1/4 grid, on Pascal Context (60
# classes) (DeepLabV3+ R101-D8 -> MobileNetV2 OS16; blocks `ka_kd` of mmseg_transkd/configs/distill/ka.py).
_base_ = ['./mobilenet-v2-os16_context.py']  # brings mmseg_transkd/configs/distill/ka.py
custom_imports = dict(imports=['mmseg_transkd'], allow_failed_imports=False)

model = dict(_delete_=True, type='DistillSegmentor', student=_base_.model, teacher=_base_.ka_teacher_context,
             recipe='ka_kd')
