# TransKD-Base (arXiv 2202.13393): SegFormer MiT-B2 teacher -> MiT-B0 student on Cityscapes, CSF + HCL and PEA.
# The student, data pipeline, schedule and evaluation are mmseg's own SegFormer MiT-B0 Cityscapes config (8 GPUs x 1
# image, 1024x1024 crops, 160k iterations, AdamW 6e-5, IoUMetric at full resolution); only `model` is swapped for the
# distiller. The paper's own protocol (512x1024 whole images, 1/4-res labels, non-pretrained student) is not this one.
_base_ = ['mmseg::segformer/segformer_mit-b0_8xb1-160k_cityscapes-1024x1024.py']
custom_imports = dict(imports=['mmseg_transkd'], allow_failed_imports=False)

teacher_config = 'mmseg::segformer/segformer_mit-b2_8xb1-160k_cityscapes-1024x1024.py'
# mmseg's released SegFormer MiT-B2 Cityscapes model (81.08 mIoU in mmseg's model zoo).
teacher_checkpoint = 'https://download.openmmlab.com/mmsegmentation/v0.5/segformer/segformer_mit-b2_8x1_1024x1024_160k_cityscapes/segformer_mit-b2_8x1_1024x1024_160k_cityscapes_20211207_134205-6096669a.pth'  # noqa

model = dict(
    _delete_=True,
    type='DistillSegmentor',
    student=_base_.model,
    teacher=dict(config=teacher_config, checkpoint=teacher_checkpoint),
    recipe='transkd_base')
# Per-GPU batch 1 (mmseg's 8xb1 recipe) is safe: the CSF selection bottleneck does not depend on the batch.
# Checkpoints keep the student and the connectors only; the teacher is reloaded from teacher_checkpoint.
