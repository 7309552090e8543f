# TransKD building blocks for PVTv2 + semantic FPN pairs (arXiv 2202.13393, spec §3.2: the PVTv2-B2 -> B0 script uses
# CSF + HCL and PEA with the defaults of the MiT pair). A fragment: it defines variables only.
#
# MMDetection's PyramidVisionTransformerV2 (type='PVTv2' in mmseg_transkd) is laid out as mmseg's MiT: the backbone
# returns the stage maps after the per-stage LayerNorm (B x C x h x w; the FPN neck reads them, the CSF target), and
# every stage starts with a `PatchEmbed` returning (tokens B x N x C after its LayerNorm, hw) (the PEA target).
# The recorders sit on the backbone, not on the neck: TransKD distils encoder features. Channels are probed
# (channels_from), so the same fragment serves any PVTv2 size.
pvt_stages = dict(type='ModuleOutputsRecorder', source='backbone')
pvt_embeds = dict(type='ModuleOutputsRecorder', source='backbone', module_type='PatchEmbed', index=0)
transkd_pvtv2 = dict(
    student_recorders=dict(feats=pvt_stages, embeds=pvt_embeds),
    teacher_recorders=dict(feats=pvt_stages, embeds=pvt_embeds),
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
