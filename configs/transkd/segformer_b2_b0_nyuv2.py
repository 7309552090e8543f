# TransKD-Base (arXiv 2202.13393) on NYUv2 40 classes: SegFormer MiT-B2 -> MiT-B0, CSF + HCL and PEA. Student, data,
# schedule and evaluation: configs/baselines/segformer_mit-b0_8xb2-40k_nyuv2-40-480x480.py.
# The teacher: no released NYUv2 model; train configs/baselines/segformer_mit-b2_8xb2-40k_nyuv2-40-480x480.py first.
# Run from the repository root (the teacher config path is relative).
_base_ = ['../baselines/segformer_mit-b0_8xb2-40k_nyuv2-40-480x480.py']
custom_imports = dict(imports=['mmseg_transkd'], allow_failed_imports=False)
model = dict(
    _delete_=True,
    type='DistillSegmentor',
    student=_base_.model,
    teacher=dict(config='configs/baselines/segformer_mit-b2_8xb2-40k_nyuv2-40-480x480.py',
                 checkpoint='work_dirs/segformer_mit-b2_8xb2-40k_nyuv2-40-480x480/iter_40000.pth'),
    recipe='transkd_base')
