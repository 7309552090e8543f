# TransKD-Base on the bundled synthetic street scenes: the demo teacher (MiT-B2 layout) distils the demo student
# (MiT-B0 layout) with the same iteration budget and schedule as the student alone. The teacher checkpoint is the one
# tools/quickstart.sh trains.
_base_ = ['./segformer_tiny-b0_demo.py']
teacher_checkpoint = 'work_dirs/quickstart/teacher/teacher.pth'
model = dict(
    _delete_=True,
    type='DistillSegmentor',
    student=_base_.model,
    teacher=dict(config='configs/demo/segformer_tiny-b2_demo.py', checkpoint=teacher_checkpoint),
    recipe='transkd_base')
