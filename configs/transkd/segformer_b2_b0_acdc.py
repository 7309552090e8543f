# TransKD-Base (arXiv 2202.13393) on ACDC, all four conditions: SegFormer MiT-B2 -> MiT-B0, CSF + HCL and PEA.
# Student, data, schedule and evaluation: configs/baselines/segformer_mit-b0_8xb1-160k_acdc-1024x1024.py (mmseg
# protocol, validation on all conditions). Per-condition evaluation: segformer_b2_b0_acdc_{fog,night,rain,snow}.py
# (same training) or --cfg-options test_dataloader.dataset.conditions=fog.
# The teacher: mmseg releases no ACDC model; train configs/baselines/segformer_mit-b2_8xb1-160k_acdc-1024x1024.py
# first. Run from the repository root (the teacher config path is relative).
_base_ = ['../baselines/segformer_mit-b0_8xb1-160k_acdc-1024x1024.py']
custom_imports = dict(imports=['mmseg_transkd'], allow_failed_imports=False)
model = dict(
    _delete_=True,
    type='DistillSegmentor',
    student=_base_.model,
    teacher=dict(config='configs/baselines/segformer_mit-b2_8xb1-160k_acdc-1024x1024.py',
                 checkpoint='work_dirs/segformer_mit-b2_8xb1-160k_acdc-1024x1024/iter_160000.pth'),
    recipe='transkd_base')
