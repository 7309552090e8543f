# Knowledge Adaptation stage 2 on the demo pair (issue 25): the demo FCN teacher (OS8, ./fcn_tiny-r18-d8_demo.py) ->
# the shrunk OS16 MobileNetV2 student (./mobilenet-v2-os16_tiny_demo.py), the `ka_stage2` recipe of
# mmseg_transkd/configs/distill/ka.py: L = L_CE + 50 L_adapt + 1 L_aff with the adaptation loss's default reading (the
# L1 norm as an element mean over channels), the frozen stage-1 encoder (./ka-stage1_tiny-fcn_demo.py) on the teacher
# side. ./ka-sum_tiny-fcn-mbv2_demo.py is the summed reading at the same beta; configs/ka/README.md reports both.
_base_ = ['./mobilenet-v2-os16_tiny_demo.py']
teacher_checkpoint = 'work_dirs/fcn_tiny-r18-d8_demo/iter_300.pth'
bn = dict(type='BN', requires_grad=True)
model = dict(
    _delete_=True, type='DistillSegmentor', student=_base_.model,
    teacher=dict(config='configs/demo/fcn_tiny-r18-d8_demo.py', checkpoint=teacher_checkpoint),
    recipe='ka_stage2',
    connectors=dict(
        translate=dict(encoder='work_dirs/ka-stage1_tiny-fcn_demo/encoder.pth', strides=(2, 1, 1), latent_ratio=1.0,
                       norm_cfg=bn),
        adapt=dict(norm_cfg=bn)))
