# TransKD building blocks for MiT (SegFormer) pairs (arXiv 2202.13393). A fragment: it defines variables only, the
# configs that list it in `_base_` assemble the model from them.

# Forward-hook recorders: MiT stage outputs after the stage norm (B x C x h x w, the backbone outputs), the PatchEmbed
# output tokens (B x N x C, one PatchEmbed per stage) and the tensors entering each PatchEmbed (for EA).
mit_stages = dict(type='ModuleOutputsRecorder', source='backbone')
mit_embeds = dict(type='ModuleOutputsRecorder', source='backbone', module_type='PatchEmbed', index=0)
mit_embed_inputs = dict(type='ModuleInputsRecorder', source='backbone', module_type='PatchEmbed')

# TransKD-Base: CSF + HCL on the stage maps, PEA + stage-weighted MSE on the patch embeddings. Channels are filled from
# the two networks at build time (channels_from).
transkd_base = dict(
    student_recorders=dict(feats=mit_stages, embeds=mit_embeds),
    teacher_recorders=dict(feats=mit_stages, embeds=mit_embeds),
    connectors=dict(
        csf=dict(type='CSF', inputs=['S.feats'], channels_from=dict(in_channels='S.feats', out_channels='T.feats'),
                 mid_channels=64),
        pea=dict(type='PEA', inputs=['S.embeds'],
                 channels_from=dict(in_channels='S.embeds', out_channels='T.embeds'))),
    distill_losses=dict(
        loss_csf=dict(type='HCLoss', levels=(4, 2, 1), loss_weight=1.0,
                      inputs=dict(preds_S='C.csf', preds_T='T.feats')),
        loss_pea=dict(type='StageMSELoss', stage_weights=(0.1, 0.1, 0.5, 1.0), loss_weight=1.0,
                      inputs=dict(preds_S='C.pea', preds_T='T.embeds'))))

# TransKD-GL: the Global-Local Context Mixer on the deepest student embedding, in front of PEA (connectors.pea then
# reads C.gl). num_heads is added by the config from its student backbone. alpha = beta = 1.0 at start (the official
# release left them uninitialised).
gl_mixer = dict(type='GLMixer', inputs=['S.embeds'], channels_from=dict(channels='S.embeds'), stage=-1,
                alpha_init=1.0, beta_init=1.0, add_identity=False)

# TransKD-EA: extra patch embeddings of the inputs of the student's patch embeddings, at the teacher's width, fused
# with the PEA outputs by learnable weights 0.1 ... 0.8 (loss_pea then reads C.ea).
embedding_assistant = dict(type='EmbeddingAssistant', inputs=['C.pea', 'S.stage_inputs'],
                           channels_from=dict(in_channels='S.stage_inputs', out_channels='T.embeds'), norm_eps=1e-5)
