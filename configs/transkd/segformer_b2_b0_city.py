# TransKD-Base (arXiv 2202.13393): SegFormer MiT-B2 teacher -> MiT-B0 student on Cityscapes, CSF + HCL and PEA.
# The student, data pipeline, schedule and evaluation are mmseg's own SegFormer MiT-B0 Cityscapes config (8 GPUs x 1
# image, 1024x1024 crops, 160k iterations, AdamW 6e-5, IoUMetric at full resolution); only `model` is swapped for the
# distiller. The paper's own protocol (512x1024 full images, 1/4-res labels, non-pretrained student) is not this one.
_base_ = ['mmseg::segformer/segformer_mit-b0_8xb1-160k_cityscapes-1024x1024.py']
custom_imports = dict(imports=['mmseg_transkd'], allow_failed_imports=False)

teacher_config = 'mmseg::segformer/segformer_mit-b2_8xb1-160k_cityscapes-1024x1024.py'
# mmseg's released SegFormer MiT-B2 Cityscapes model (81.08 mIoU in mmseg's model zoo).
teacher_checkpoint = 'https://download.openmmlab.com/mmsegmentation/v0.5/segformer/segformer_mit-b2_8x1_1024x1024_160k_cityscapes/segformer_mit-b2_8x1_1024x1024_160k_cityscapes_20211207_134205-6096669a.pth'  # noqa

# MiT stage outputs after the stage norm (B x C x h x w, the backbone outputs) and patch embeddings (the PatchEmbed
# output tokens B x N x C, one PatchEmbed per stage), recorded by forward hooks on both networks.
mit_stages = dict(type='ModuleOutputsRecorder', source='backbone')
mit_embeds = dict(type='ModuleOutputsRecorder', source='backbone', module_type='PatchEmbed', index=0)

model = dict(
    _delete_=True,
    type='DistillSegmentor',
    student={{_base_.model}},
    teacher=dict(config=teacher_config, checkpoint=teacher_checkpoint),
    student_recorders=dict(feats=mit_stages, embeds=mit_embeds),
    teacher_recorders=dict(feats=mit_stages, embeds=mit_embeds),
    connectors=dict(
        csf=dict(
            type='CSF',
            inputs=['S.feats'],
            channels_from=dict(in_channels='S.feats', out_channels='T.feats'),
            mid_channels=64),
        pea=dict(
            type='PEA',
            inputs=['S.embeds'],
            channels_from=dict(in_channels='S.embeds', out_channels='T.embeds'))),
    distill_losses=dict(
        loss_csf=dict(type='HCLoss', levels=(4, 2, 1), loss_weight=1.0,
                      inputs=dict(preds_S='C.csf', preds_T='T.feats')),
        loss_pea=dict(type='StageMSELoss', stage_weights=(0.1, 0.1, 0.5, 1.0), loss_weight=1.0,
                      inputs=dict(preds_S='C.pea', preds_T='T.embeds'))))

# Per-GPU batch 1 (mmseg's 8xb1 recipe): the CSF selection bottleneck is batch-independent, so this is safe.
# Checkpoints keep the student and the connectors only; the teacher is reloaded from teacher_checkpoint.
