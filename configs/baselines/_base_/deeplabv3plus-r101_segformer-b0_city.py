# The CNN -> Transformer pair of C2VKD: DeepLabV3+ R101 at output stride 16 (mmseg's released R101-D16-MG124 80k
# Cityscapes model, C2VKD's default teacher) -> SegFormer MiT-B0 with the student-alone config's data and schedule
# (../segformer_mit-b0_8xb3-50k_cityscapes-512x512.py: 512x512 crops, 8 GPUs x 3, 50k iterations, AdamW 6e-5), so a
# baseline differs from C2VKD and from the student alone only in its distillation terms. The student's CE stays in
# (weight 1). Method configs add their building blocks.
_base_ = ['../segformer_mit-b0_8xb3-50k_cityscapes-512x512.py', '../../../mmseg_transkd/configs/distill/baselines.py']
custom_imports = dict(imports=['mmseg_transkd'], allow_failed_imports=False)
model = dict(
    _delete_=True,
    type='DistillSegmentor',
    student=_base_.model,
    teacher=_base_.c2vkd_city_teacher)
