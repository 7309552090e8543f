# TransKD-GL (arXiv 2202.13393): TransKD-Base plus the Global-Local Context Mixer on the deepest student patch
# embedding, in front of PEA. alpha = beta = 1.0 at start (the official release left them uninitialised).
_base_ = ['./segformer_b2_b0_city.py']

model = dict(
    connectors=dict(
        gl=dict(
            type='GLMixer',
            inputs=['S.embeds'],
            channels_from=dict(channels='S.embeds'),
            num_heads={{_base_.model.student.backbone.num_heads}},
            stage=-1,
            alpha_init=1.0,
            beta_init=1.0,
            add_identity=False),
        pea=dict(inputs=['C.gl'])))
