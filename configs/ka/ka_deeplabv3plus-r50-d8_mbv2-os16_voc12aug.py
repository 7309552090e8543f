# KA stage 2, adaptation, on Pascal VOC 2012 aug (He et al., CVPR 2019, arXiv 1903.04688; seeds.md §3.2): DeepLabV3+
# R50-D8 -> MobileNetV2 OS16, as configs/ka/ka_deeplabv3plus-r50-d8_mbv2-os16_city.py. Run stage 1 first
# (configs/ka/ka-stage1_deeplabv3plus-r50-d8_voc12aug.py); the student and its recipe:
# configs/ka/mobilenet-v2-os16_voc12aug.py.
_base_ = ['./mobilenet-v2-os16_voc12aug.py']  # brings mmseg_transkd/configs/distill/ka.py
custom_imports = dict(imports=['mmseg_transkd'], allow_failed_imports=False)

model = dict(_delete_=True, type='DistillSegmentor', student=_base_.model, teacher=_base_.ka_teacher_voc12aug,
             recipe='ka_stage2',
             connectors=dict(translate=dict(encoder='work_dirs/ka-stage1_deeplabv3plus-r50-d8_voc12aug/encoder.pth')))
