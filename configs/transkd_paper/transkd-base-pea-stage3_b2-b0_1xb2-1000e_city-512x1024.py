# TransKD-Base with Patch Embedding Alignment on stage 3 only: the release's single-stage PEA ablation
# (train/train_TransKDBase.py --embed 3; spec §1.2). One Linear maps the student's stage-3 patch embeddings to the
# teacher's width and is compared with the teacher's stage-3 patch embeddings at weight 1 (the recorders read that
# stage's PatchEmbed only). CSF + HCL unchanged. Built on the fixed transkd-base_b2-b0_1xb2-1000e_city-512x1024.py.
_base_ = ['./transkd-base_b2-b0_1xb2-1000e_city-512x1024.py']
model = dict(
    student_recorders=dict(
        embeds=dict(_delete_=True, type='ModuleOutputsRecorder', source='backbone.layers.2.0', index=0)),
    teacher_recorders=dict(
        embeds=dict(_delete_=True, type='ModuleOutputsRecorder', source='backbone.layers.2.0', index=0)),
    distill_losses=dict(loss_pea=dict(stage_weights=(1.0, ))))
