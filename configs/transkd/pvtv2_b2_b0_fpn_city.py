# TransKD-Base on the PVTv2 pair (arXiv 2202.13393, spec §3.2): semantic FPN on PVTv2-B2 -> semantic FPN on PVTv2-B0,
# Cityscapes, CSF + HCL on the backbone stage maps and PEA on the patch embeddings. The student, data, schedule and
# evaluation are configs/baselines/fpn_pvtv2-b0_4xb2-80k_cityscapes-512x1024.py (mmseg protocol). Needs MMDetection
# (pip install "mmdet==3.3.0") for the PVTv2 backbones.
# The teacher: no released PVTv2-B2 semantic-FPN Cityscapes model fits this layout; train
# configs/baselines/fpn_pvtv2-b2_4xb2-80k_cityscapes-512x1024.py first (or pass your own with
# --cfg-options model.teacher.checkpoint=...). Run from the repository root (the teacher config path is relative).
# MMDetection's PyramidVisionTransformerV2 (type='PVTv2') is laid out as mmseg's MiT: the backbone returns the stage maps
# after the per-stage LayerNorm and every stage starts with a `PatchEmbed` returning (tokens, hw). So TransKD-Base's MiT
# fragment applies unchanged; its recorders sit on the backbone, not on the FPN neck (TransKD distils encoder features),
# and the CSF/PEA widths are probed from the two networks.
_base_ = ['../baselines/fpn_pvtv2-b0_4xb2-80k_cityscapes-512x1024.py']
custom_imports = dict(imports=['mmseg_transkd'], allow_failed_imports=False)
model = dict(
    _delete_=True,
    type='DistillSegmentor',
    student=_base_.model,
    teacher=dict(config='configs/baselines/fpn_pvtv2-b2_4xb2-80k_cityscapes-512x1024.py',
                 checkpoint='work_dirs/fpn_pvtv2-b2_4xb2-80k_cityscapes-512x1024/iter_80000.pth'),
    recipe='transkd_base')
