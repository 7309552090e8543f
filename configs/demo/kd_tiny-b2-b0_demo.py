# Classic pixel KD (Hinton et al. 2015: per-pixel KL(teacher || student) of the logits, T = 1, lambda = 1; the `kd`
# recipe of mmseg_transkd/configs/distill/baselines.py) on the bundled synthetic street scenes: the simplest baseline
# next to TransKD in the quickstart, with the same teacher, student, budget and schedule as transkd_tiny-b2-b0_demo.py.
_base_ = ['./segformer_tiny-b0_demo.py']
teacher_checkpoint = 'work_dirs/quickstart/teacher/teacher.pth'
model = dict(
    _delete_=True,
    type='DistillSegmentor',
    student=_base_.model,
    teacher=dict(config='configs/demo/segformer_tiny-b2_demo.py', checkpoint=teacher_checkpoint),
    recipe='kd')
