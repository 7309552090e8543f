# KA stage 2, adaptation (He et al., CVPR 2019, arXiv 1903.04688; seeds.md §3.2): DeepLabV3+ R50-D8 (OS8, mmseg's
# released Cityscapes model) -> MobileNetV2 OS16 (TF-DeepLab head, no decoder). L = L_CE + 50 L_adapt + 1 L_aff, with
# the frozen stage-1 encoder on the teacher side. Run stage 1 first (configs/ka/ka-stage1_deeplabv3plus-r50-d8_city.py).
# The student and its recipe: configs/ka/mobilenet-v2-os16_city.py.
_base_ = ['./mobilenet-v2-os16_city.py']  # brings mmseg_transkd/configs/distill/ka.py
custom_imports = dict(imports=['mmseg_transkd'], allow_failed_imports=False)

model = dict(_delete_=True, type='DistillSegmentor', student=_base_.model, teacher=_base_.ka_teacher,
             recipe='ka_stage2')
