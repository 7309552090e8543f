# KD baseline of KA (He et al., CVPR 2019, arXiv 1903.04688; seeds.md §3.1) on the KA pair: DeepLabV3+ R50-D8 ->
# MobileNetV2 OS16. Pixel-wise KL at T = 4 on the logits, student logits upsampled to the teacher's 1/4 grid.
_base_ = ['./mobilenet-v2-os16_city.py']  # brings mmseg_transkd/configs/distill/ka.py
custom_imports = dict(imports=['mmseg_transkd'], allow_failed_imports=False)

model = dict(_delete_=True, type='DistillSegmentor', student=_base_.model, teacher=_base_.ka_teacher,
             recipe='ka_kd')
