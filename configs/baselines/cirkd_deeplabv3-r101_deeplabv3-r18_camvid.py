# CIRKD (Yang et al., CVPR 2022) on CamVid with the pair CIRKD reports there: DeepLabV3 R101-D8 -> DeepLabV3 R18-D8
# (the `cirkd` recipe of mmseg_transkd/configs/distill/baselines.py). Student, data, schedule and evaluation:
# ./deeplabv3_r18-d8_8xb2-20k_camvid-360x360.py; student alone: that config. The teacher: mmseg releases no CamVid
# model; train ./deeplabv3_r101-d8_8xb2-20k_camvid-360x360.py first. Run from the repository root.
_base_ = ['./deeplabv3_r18-d8_8xb2-20k_camvid-360x360.py']
custom_imports = dict(imports=['mmseg_transkd'], allow_failed_imports=False)
model = dict(
    _delete_=True,
    type='DistillSegmentor',
    student=_base_.model,
    teacher=dict(config='configs/baselines/deeplabv3_r101-d8_8xb2-20k_camvid-360x360.py',
                 checkpoint='work_dirs/deeplabv3_r101-d8_8xb2-20k_camvid-360x360/iter_20000.pth'),
    recipe='cirkd')
