# TransKD-Base (arXiv 2202.13393) on Pascal VOC 2012 aug: SegFormer MiT-B2 -> MiT-B0, CSF + HCL and PEA. Student,
# data (mmseg's pascal_voc12_aug recipe), schedule and evaluation: configs/baselines/segformer_mit-b0_8xb2-40k_voc12aug-512x512.py.
# The teacher: mmseg releases no SegFormer VOC model; train configs/baselines/segformer_mit-b2_8xb2-40k_voc12aug-512x512.py
# first. Run from the repository root (the teacher config path is relative).
_base_ = ['../baselines/segformer_mit-b0_8xb2-40k_voc12aug-512x512.py']
custom_imports = dict(imports=['mmseg_transkd'], allow_failed_imports=False)
model = dict(
    _delete_=True,
    type='DistillSegmentor',
    student=_base_.model,
    teacher=dict(config='configs/baselines/segformer_mit-b2_8xb2-40k_voc12aug-512x512.py',
                 checkpoint='work_dirs/segformer_mit-b2_8xb2-40k_voc12aug-512x512/iter_40000.pth'),
    recipe='transkd_base')
