# TransKD-Base (arXiv 2202.13393) on CamVid (11-class SegNet split): SegFormer MiT-B2 -> MiT-B0, CSF + HCL and PEA.
# Student, data, schedule and evaluation: configs/baselines/segformer_mit-b0_8xb2-20k_camvid-360x360.py (mmseg
# protocol); student alone: that config. The teacher: mmseg releases no CamVid model; train
# configs/baselines/segformer_mit-b2_8xb2-20k_camvid-360x360.py first. Run from the repository root.
_base_ = ['../baselines/segformer_mit-b0_8xb2-20k_camvid-360x360.py']
custom_imports = dict(imports=['mmseg_transkd'], allow_failed_imports=False)
model = dict(
    _delete_=True,
    type='DistillSegmentor',
    student=_base_.model,
    teacher=dict(config='configs/baselines/segformer_mit-b2_8xb2-20k_camvid-360x360.py',
                 checkpoint='work_dirs/segformer_mit-b2_8xb2-20k_camvid-360x360/iter_20000.pth'),
    recipe='transkd_base')
