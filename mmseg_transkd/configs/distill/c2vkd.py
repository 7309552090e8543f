# C2VKD building blocks (Zheng et al., arXiv 2310.07265, Pattern Recognition 2024; partial official code: the
# reconstruction of seeds.md §1 rules, [I] marked). A fragment: it defines variables only; the configs listing it in
# `_base_` assemble the model from them.

# Recorders. Student: every MiT stage (the adapters take the last). Teacher: ResNet layer4 itself, hooked by module
# path so it is layer4 whatever the backbone's out_indices or output stride (not the ASPP output, spec §1.8). Both:
# the final logits at the decode head's classifier conv (mmseg heads call self.forward directly, so a hook on the
# head itself would not fire); PDD needs the teacher's, so its decode head runs, its auxiliary head does not.
student_stages = dict(type='ModuleOutputsRecorder', source='backbone')
teacher_layer4 = dict(type='ModuleOutputsRecorder', source='backbone.layer4')
head_logits = dict(type='ModuleOutputsRecorder', source='decode_head.conv_seg')

# The frozen CLIP RN101 attention pool, supplied by the user (never downloaded): write it with
#   python tools/extract_clip_attnpool.py /path/to/RN101.pt checkpoints/clip_rn101_attnpool.pth
# or point at another path with --cfg-options model.connectors.ling_t.attnpool_ckpt=PATH. A missing file is an error;
# the *_noclip.py configs drop the linguistic term instead.
attnpool_ckpt = 'checkpoints/clip_rn101_attnpool.pth'

# Paper setting: the student's CE is computed but not added (labels enter through PDD only), spec §1.5. The configs
# set the student decode head's loss_decode.loss_weight to this; the *_safe.py config uses 1.0 [I].
ce_weight = 0.0

visual_connectors = dict(
    # F_s': stage 4 -> 1x1 conv C_s -> 2048 (no bias) -> bilinear x2 (1/16 grid) [I: the common grid]
    vis_s=dict(type='C2VKDVisualAdapter', inputs=['S.feats'], stage=-1, scale_factor=2,
               channels_from=dict(in_channels='S.feats', out_channels='T.layer4')))
linguistic_connectors = dict(
    # g_t: layer4 at its own grid -> frozen CLIP RN101 attnpool (2048 -> 512, 32 heads), DenseCLIP's form: the 16x16
    # positional embedding interpolated (bilinear [I]) to layer4's grid (issue 25)
    ling_t=dict(type='CLIPAttentionPool2d', inputs=['T.layer4'], attnpool_ckpt=attnpool_ckpt, num_heads=32,
                output_dim=512, pool_size=16, channels_from=dict(embed_dim='T.layer4')),
    # g_s: stage 4 -> global average pool -> 1x1 conv C_s -> 512 (no bias); listed after ling_t, whose width it reads
    ling_s=dict(type='C2VKDLinguisticAdapter', inputs=['S.feats'], stage=-1,
                channels_from=dict(in_channels='S.feats', out_channels='C.ling_t')))

# L = L_PDD + 0.1 L_glob + 0.1 L_patch + 0.5 L_ling (code defaults, paper Eq. 10), faithful reductions (spec §1.5).
# PDD: DKD per pixel with the code's get_dkd_loss(alpha=0.5, beta=0.5, temperature=1.0) (issue 15); the paper's binary
# reading is mode='paper_binary' (the *_paper-binary.py config).
pdd_loss = dict(type='PixelDecoupledKD', mode='dkd', alpha=0.5, beta=0.5, tau=1.0, size='label', loss_weight=1.0,
                inputs=dict(preds_S='S.logits', preds_T='T.logits', gt='GT'))
visual_losses = dict(
    loss_glob=dict(type='ChannelKLDivergence', tau=1.0, reduction='mean', loss_weight=0.1,
                   inputs=dict(preds_S='C.vis_s', preds_T='T.layer4')),
    loss_patch=dict(type='CrossImageGramLoss', loss_weight=0.1, inputs=dict(preds_S='C.vis_s', preds_T='T.layer4')))
linguistic_losses = dict(
    loss_ling=dict(type='ChannelKLDivergence', tau=1.0, reduction='mean', loss_weight=0.5,
                   inputs=dict(preds_S='C.ling_s', preds_T='C.ling_t')))

# The competing reading of the linguistic path (issue 15): the official script passes the student's features through
# the same frozen pool as the teacher's. [I] The student feature is F_s' (the visual adapter's 2048-channel output, the
# only student tensor of the pool's width), pooled at its own (1/16) grid like layer4; the gradient reaches the student
# through the frozen pool (detach_input=False). No 512-d student adapter. A second pool instance holds the same weights
# (~57 MB).
linguistic_connectors_pool_both = dict(
    ling_t=linguistic_connectors['ling_t'],
    ling_s=dict(type='CLIPAttentionPool2d', inputs=['C.vis_s'], attnpool_ckpt=attnpool_ckpt, num_heads=32,
                output_dim=512, pool_size=16, detach_input=False, channels_from=dict(embed_dim='C.vis_s')))

recorders = dict(
    student_recorders=dict(feats=student_stages, logits=head_logits),
    teacher_recorders=dict(layer4=teacher_layer4, logits=head_logits))
c2vkd = dict(
    **recorders,
    connectors=dict(**visual_connectors, **linguistic_connectors),
    distill_losses=dict(loss_pdd=pdd_loss, **visual_losses, **linguistic_losses))
c2vkd_pool_both = dict(
    **recorders,
    connectors=dict(**visual_connectors, **linguistic_connectors_pool_both),
    distill_losses=dict(loss_pdd=pdd_loss, **visual_losses, **linguistic_losses))
# C2VKD-noCLIP: no linguistic term at all (not the paper method; LogNoteHook says so in the log)
c2vkd_noclip = dict(
    **recorders,
    connectors=dict(**visual_connectors),
    distill_losses=dict(loss_pdd=pdd_loss, **visual_losses))
noclip_note = ('C2VKD-noCLIP: the linguistic VLFD term is OFF (no CLIP RN101 attention-pool weights were supplied); '
               'this run is NOT the paper method (L = L_PDD + 0.1 L_glob + 0.1 L_patch).')

# The recipe (optimiser, schedule, teachers, pipelines) is in ./c2vkd_recipe.py, shared with the baselines on the pair.
