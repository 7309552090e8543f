# Knowledge Adaptation building blocks (He et al., CVPR 2019, arXiv 1903.04688; no official code: seeds.md §3,
# [I] marked). A fragment: it defines variables only; the configs listing it in `_base_` assemble the models.

# Taps. phi_t: the feature of the teacher's last conv layer, i.e. the input of its classifier (DeepLabV3+:
# the decoder's sep_bottleneck output, 1/4 grid, 512 channels). A pre-hook on decode_head.conv_seg records it (the
# teacher's eval-mode dropout is the identity). phi_s: the student's 256-channel head feature (the output of its
# MobileDeepLabHead projection, OS16, before the dropout) [I: the feature below the classifier, as phi_t].
teacher_feature = dict(type='ModuleInputsRecorder', source='decode_head.conv_seg')
student_feature = dict(type='ModuleOutputsRecorder', source='decode_head.bottleneck')
head_logits = dict(type='ModuleOutputsRecorder', source='decode_head.conv_seg')

# The student (seeds.md §3.1; issue 16): MobileNetV2 at output stride 16 (strides 1,2,2,2,1,1,1 and dilations
# 1,1,1,1,1,2,2: the last two layers dilated instead of strided) [I], ImageNet-pretrained (mmcls://mobilenet_v2, as
# mmseg's MobileNetV2 configs), with the head of TF-DeepLab's MobileNetV2 models, which the paper builds on: image
# pooling + a 1x1-256 branch, concatenated and projected by a 1x1 conv to 256, dropout 0.1, 1x1 classifier
# (MobileDeepLabHead); no ASPP atrous branches, no decoder, no auxiliary head.
ka_student_backbone = dict(
    type='MobileNetV2',
    widen_factor=1.,
    strides=(1, 2, 2, 2, 1, 1, 1),
    dilations=(1, 1, 1, 1, 1, 2, 2),
    out_indices=(1, 2, 4, 6),
    norm_cfg=dict(type='SyncBN', requires_grad=True))
ka_student_head = dict(
    type='MobileDeepLabHead',
    in_channels=320,
    in_index=3,
    channels=256,
    dropout_ratio=0.1,
    num_classes=19,
    norm_cfg=dict(type='SyncBN', requires_grad=True),
    align_corners=False,
    loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0))

# The student's recipe (seeds.md §3.3: "the same recipe" as the TF-DeepLab teachers; issue 25): SGD, momentum 0.9,
# weight decay 4e-5, lr 0.007, poly power 0.9, batch 16; 90k iterations on Cityscapes, 30k on VOC trainaug and Context.
# The poly is TF-DeepLab's (tf.train.polynomial_decay to 0 over the training steps: step k trains at
# 0.007 * (1 - k / N)^0.9), which ClosedFormPolyLR computes; MMEngine's PolyLR would decay over N - 1 steps. The
# student, the KA stage-2 configs and the KD / FitNet baselines on the pair all use it. [I] weight decay on every
# parameter (mmseg's SGD; TF-DeepLab regularises the conv weights only: paramwise_cfg=dict(norm_decay_mult=0.0)
# is the alternative); the crops stay mmseg's (the paper's were not recovered).
ka_student_optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='SGD', lr=0.007, momentum=0.9, weight_decay=4e-5), clip_grad=None)
ka_student_param_scheduler_90k = [
    dict(type='ClosedFormPolyLR', max_decay_steps=90000, eta_min=0.0, power=0.9, by_epoch=False)]
ka_student_param_scheduler_30k = [
    dict(type='ClosedFormPolyLR', max_decay_steps=30000, eta_min=0.0, power=0.9, by_epoch=False)]
ka_student_train_cfg_90k = dict(type='IterBasedTrainLoop', max_iters=90000, val_interval=9000)
ka_student_train_cfg_30k = dict(type='IterBasedTrainLoop', max_iters=30000, val_interval=3000)

# The autoencoder, shared by both stages (stage 2 checks that encoder.pth matches it) [I]: 3x3 conv + BN + ReLU,
# strides 2, 2, 1 take the 1/4 teacher feature to the student's 1/16 grid; channels C -> C -> C/2 -> C/2.
ka_autoencoder = dict(strides=(2, 2, 1), latent_ratio=0.5, norm_cfg=dict(type='SyncBN', requires_grad=True))

# Stage 1 (knowledge translation): L_ae = ||phi_t - D(E(phi_t))||^2 + 1e-7 * ||E(phi_t)||_1. Both terms are summed
# per sample and divided by the same count, C*H*W of phi_t (reduction='mean'): alpha keeps the paper's meaning [I].
ka_stage1 = dict(tap=teacher_feature, autoencoder=dict(type='FeatureAutoencoder', **ka_autoencoder), alpha=1e-7,
                 reduction='mean')
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
        # L = L_CE + 50 * L_adapt + 1 * L_aff. L_adapt's L1 norm as an element mean over channels (torchdistill's
        # scale; issue 25): at beta = 50 the term stays near CE (1.21-1.73x on the demo pair), while the summed norm
        # (channel_reduction='sum', the paper's notation) was 255-337x CE and cost 4.11 mIoU there
        # (configs/ka/README.md)
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

# The teachers (the paper: ResNet-50 / Xception-41 DeepLab models). Cityscapes: mmseg's DeepLabV3+ R50-D8 (OS8
# backbone) model, 512x1024 crops, 80k iterations.
ka_teacher = dict(
    config='mmseg::deeplabv3plus/deeplabv3plus_r50-d8_4xb2-80k_cityscapes-512x1024.py',
    checkpoint='https://download.openmmlab.com/mmsegmentation/v0.5/deeplabv3plus/deeplabv3plus_r50-d8_512x1024_80k_cityscapes/deeplabv3plus_r50-d8_512x1024_80k_cityscapes_20200606_114049-f9fb496d.pth')  # noqa
# Pascal VOC 2012 aug (21 classes): mmseg's DeepLabV3+ R50-D8 VOC-aug model, 512x512 crops, 40k iterations.
ka_teacher_voc12aug = dict(
    config='mmseg::deeplabv3plus/deeplabv3plus_r50-d8_4xb4-40k_voc12aug-512x512.py',
    checkpoint='https://download.openmmlab.com/mmsegmentation/v0.5/deeplabv3plus/deeplabv3plus_r50-d8_512x512_40k_voc12aug/deeplabv3plus_r50-d8_512x512_40k_voc12aug_20200613_161759-e1b43aa9.pth')  # noqa
# Pascal Context (60 classes, background included [I]; mmseg's 59-class variant is the alternative): mmseg releases
# only R101 DeepLabV3+ Context models (its metafile files the 40k one under an r50 name); 480x480 crops, 40k iterations.
ka_teacher_context = dict(
    config='mmseg::deeplabv3plus/deeplabv3plus_r101-d8_4xb4-40k_pascal-context-480x480.py',
    checkpoint='https://download.openmmlab.com/mmsegmentation/v0.5/deeplabv3plus/deeplabv3plus_r101-d8_480x480_40k_pascal_context/deeplabv3plus_r101-d8_480x480_40k_pascal_context_20200911_165459-d3c8a29e.pth')  # noqa
