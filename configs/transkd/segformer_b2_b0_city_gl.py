# TransKD-GL (arXiv 2202.13393): TransKD-Base plus the Global-Local Context Mixer on the deepest student patch
# embedding, in front of PEA; the attention heads are the student's stage-4 heads.
_base_ = ['./segformer_b2_b0_city.py']

model = dict(
    connectors=dict(
        gl=dict(**_base_.gl_mixer, num_heads=_base_.model.student.backbone.num_heads),
        pea=dict(inputs=['C.gl'])))
