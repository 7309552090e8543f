# TransKD-GL on the bundled synthetic street scenes (see transkd_tiny-b2-b0_demo.py).
_base_ = ['./transkd_tiny-b2-b0_demo.py']
model = dict(
    connectors=dict(
        gl=dict(**_base_.gl_mixer, num_heads=_base_.model.student.backbone.num_heads),
        pea=dict(inputs=['C.gl'])))
