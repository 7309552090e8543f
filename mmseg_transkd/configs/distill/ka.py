# Knowledge Adaptation building blocks (He et al., CVPR 2019, arXiv 1903.04688; no official code: seeds.md §3,
# [I] marked). A fragment: it defines variables only; the configs listing it in `_base_` assemble the models.

# Taps. phi_t: the feature of the teacher's last conv layer, i.e. the input of its classifier (DeepLabV3+:
# the decoder's sep_bottleneck output, 1/4 grid, 512 channels). A pre-hook on decode_head.conv_seg records it (the
# teacher's eval-mode dropout is the identity). phi_s: the student's last backbone stage (MobileNetV2 OS16, 320 ch).
teacher_feature = dict(type='ModuleInputsRecorder', source='decode_head.conv_seg')
student_feature = dict(type='ModuleOutputsRecorder', source='backbone')
head_logits = dict(type='ModuleOutputsRecorder', source='decode_head.conv_seg')

# The autoencoder, shared by both stages (stage 2 checks that encoder.pth matches it) [I]: 3x3 conv + BN + ReLU,
# strides 2, 2, 1 take the 1/4 teacher feature to the student's 1/16 grid; channels C -> C -> C/2 -> C/2.
ka_autoencoder = dict(strides=(2, 2, 1), latent_ratio=0.5, norm_cfg=dict(type='SyncBN', requires_grad=True))

# Stage 1 (knowledge translation): L_ae = ||phi_t - D(E(phi_t))||^2 + 1e-7 * ||E(phi_t)||_1.
ka_stage1 = dict(tap=teacher_feature, autoencoder=dict(type='FeatureAutoencoder', **ka_autoencoder), alpha=1e-7)
# One epoch over the train set, SGD lr 0.1, weight decay 1e-4 (spec); momentum 0.9 and poly decay over the epoch [I].
ka_stage1_optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-4), clip_grad=None)
ka_stage1_param_scheduler = [
    dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=1, by_epoch=True, convert_to_iter_based=True)]


# Stage 2 (adaptation). ka_encoder is where `tools/train.py configs/ka/ka-stage1_deeplabv3plus-r50-d8_city.py`
# writes the encoder (its default work_dir); override with --cfg-options model.connectors.translate.encoder=PATH.
ka_encoder = 'work_dirs/ka-stage1_deeplabv3plus-r50-d8_city/encoder.pth'
ka_stage2 = dict(
    student_recorders=dict(feat=student_feature),
    teacher_recorders=dict(feat=teacher_feature),
    connectors=dict(
        # E(phi_t): the stage-1 encoder, loaded by path, frozen and in eval mode
        translate=dict(type='FrozenEncoder', inputs=['T.feat'], encoder=ka_encoder,
                       channels_from=dict(in_channels='T.feat'), **ka_autoencoder),
        # C_f: 3x3 conv + BN + ReLU to the latent's channels
        adapt=dict(type='KAAdapter', inputs=['S.feat'], kernel_size=3, norm_cfg=dict(type='SyncBN'),
                   channels_from=dict(in_channels='S.feat', out_channels='C.translate')),
        # C_a: one 3x3 conv, same channels as C_f [I]
        affinity=dict(type='KAAdapter', inputs=['S.feat'], kernel_size=3, norm_cfg=None, act_cfg=None,
                      channels_from=dict(in_channels='S.feat', out_channels='C.translate'))),
    distill_losses=dict(
        # L = L_CE + 50 * L_adapt + 1 * L_aff
        loss_adapt=dict(type='KAAdaptationLoss', p=1, q=2, channel_reduction='mean', loss_weight=50.0,
                        inputs=dict(preds_S='C.adapt', preds_T='C.translate')),
        loss_affinity=dict(type='KAAffinityLoss', chunk=256, loss_weight=1.0,
                           inputs=dict(preds_S='C.affinity', preds_T='C.translate'))))


# Baselines of the paper on the same pair.
# KD: pixel-wise KL at T = 4 (the paper tried 2, 4, 6), student logits upsampled to the teacher's 1/4 grid;
# weight 0.1 (x T^2) [I].
ka_kd = dict(
    student_recorders=dict(logits=head_logits),
    teacher_recorders=dict(logits=head_logits),
    distill_losses=dict(loss_kd=dict(type='PixelKLDivergence', tau=4.0, grid='teacher', loss_weight=0.1,
                                     inputs=dict(preds_S='S.logits', preds_T='T.logits', gt='GT'))))
# FitNet: the student's last feature through a regressor (the same 3x3 conv + BN + ReLU as C_f [I]) to the teacher's
# channels, upsampled bilinearly to the teacher's grid, L2 (element-mean MSE, weight 1 [I]).
ka_fitnet = dict(
    student_recorders=dict(feat=student_feature),
    teacher_recorders=dict(feat=teacher_feature),
    connectors=dict(
        regress=dict(type='KAAdapter', inputs=['S.feat', 'T.feat'], kernel_size=3, norm_cfg=dict(type='SyncBN'),
                     channels_from=dict(in_channels='S.feat', out_channels='T.feat'))),
    distill_losses=dict(loss_fitnet=dict(type='StageMSELoss', loss_weight=1.0,
                                         inputs=dict(preds_S='C.regress', preds_T='T.feat'))))

# The teacher: mmseg's DeepLabV3+ R50-D8 (OS8 backbone) Cityscapes model, 512x1024 crops, 80k iterations.
ka_teacher = dict(
    config='mmseg::deeplabv3plus/deeplabv3plus_r50-d8_4xb2-80k_cityscapes-512x1024.py',
    checkpoint='https://download.openmmlab.com/mmsegmentation/v0.5/deeplabv3plus/deeplabv3plus_r50-d8_512x1024_80k_cityscapes/deeplabv3plus_r50-d8_512x1024_80k_cityscapes_20200606_114049-f9fb496d.pth')  # noqa
