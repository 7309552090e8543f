# Classic segmentation-KD baselines as building blocks (a fragment: variables only). Each `<method>` dict holds
# recorders, connectors and losses; a config names it as its recipe (`model = dict(recipe='<method>')`).
# The student's own decode (and auxiliary) losses always stay in. Widths come from the networks (channels_from).
# [I] marks our choices where the papers give no value for these pairs (configs/baselines/README.md, "Choices").
_base_ = ['./recorders.py', './cirkd_recipe.py']

# Feature taps (issue 25, item 1). CIRKD's train_kd.py and the IFVD release feed the feature losses the decode
# head's fused feature (DeepLabV3 after ASPP, PSPNet after the PSP module, SegFormer's fused map before its
# classifier), and their weights (FitNet 10, CWD-feat 50, IFV 200, CIRKD 1 / 0.1) were calibrated on it: that is the
# default tap (`head_feature`). The deepest backbone stage (`last_stage`, our earlier tap) stays as the
# `*_backbone` recipes; those weights were not calibrated on it.
_logits = dict(student_recorders=dict(logits=_base_.head_logits), teacher_recorders=dict(logits=_base_.head_logits))
_head = dict(student_recorders=dict(feat=_base_.head_feature), teacher_recorders=dict(feat=_base_.head_feature))
_head_logits = dict(
    student_recorders=dict(feat=_base_.head_feature, logits=_base_.head_logits),
    teacher_recorders=dict(feat=_base_.head_feature, logits=_base_.head_logits))
_last = dict(student_recorders=dict(feat=_base_.last_stage), teacher_recorders=dict(feat=_base_.last_stage))
_last_logits = dict(
    student_recorders=dict(feat=_base_.last_stage, logits=_base_.head_logits),
    teacher_recorders=dict(feat=_base_.last_stage, logits=_base_.head_logits))
_regressor = dict(type='FeatureRegressor', inputs=['S.feat'],
                  channels_from=dict(in_channels='S.feat', out_channels='T.feat'))

# Hinton et al. 2015: per-pixel KL(teacher || student) at temperature T, times T^2. [I] T = 1, lambda = 1, all pixels.
# It is also the pixel KD term that CIRKD's scripts add to every feature loss (the `*_cirkd` recipes below).
kd = dict(
    **_logits,
    distill_losses=dict(loss_kd=dict(type='PixelKLDivergence', tau=1.0, loss_weight=1.0,
                                     inputs=dict(preds_S='S.logits', preds_T='T.logits'))))
_loss_kd = kd['distill_losses']['loss_kd']

# FitNet (Romero et al. 2015): the head's fused feature as hint / guided layer, 1x1 conv + BN regressor [I],
# element-mean MSE, lambda = 10 (source: CIRKD's FitNet script; FitNets has no segmentation release).
_loss_fitnet = dict(type='FitNetLoss', loss_weight=10.0, inputs=dict(preds_S='C.regressor', preds_T='T.feat'))
fitnet = dict(**_head, connectors=dict(regressor=_regressor), distill_losses=dict(loss_fitnet=_loss_fitnet))
fitnet_backbone = dict(**_last, connectors=dict(regressor=_regressor), distill_losses=dict(loss_fitnet=_loss_fitnet))
# CIRKD's FitNet script exactly (issue 25, item 5): FitNet + pixel KD (T = 1, lambda = 1).
fitnet_cirkd = dict(
    **_head_logits,
    connectors=dict(regressor=_regressor),
    distill_losses=dict(loss_fitnet=_loss_fitnet, loss_kd=_loss_kd))

# CWD (Shu et al. 2021): channel distributions of the final logits, T = 4, lambda = 3 (the paper's segmentation
# setting, CNN students; CIRKD's CWD script uses 3 for CNN students too).
cwd = dict(
    **_logits,
    distill_losses=dict(loss_cwd=dict(type='ChannelWiseDivergence', tau=4.0, norm='channel', loss_weight=3.0,
                                      inputs=dict(preds_S='S.logits', preds_T='T.logits'))))
# SegFormer students (issue 25, item 3): CIRKD's train_cwd.sh weighs the logit term 0.3 (and the feature term 5)
# for them; the CWD paper has no SegFormer student.
cwd_segformer = dict(**_logits, distill_losses=dict(loss_cwd=dict(cwd['distill_losses']['loss_cwd'], loss_weight=0.3)))

# CWD on features as well: the logit term above plus CWD on the head's fused feature through a 1x1 conv + BN
# regressor to the teacher's width, T = 4 [I], lambda = 50 (source: CIRKD's CWD script, its feature weight for CNN
# students).
_loss_cwd_feat = dict(type='ChannelWiseDivergence', tau=4.0, norm='channel', loss_weight=50.0,
                      inputs=dict(preds_S='C.regressor', preds_T='T.feat'))
cwd_feat = dict(
    **_head_logits,
    connectors=dict(regressor=_regressor),
    distill_losses=dict(loss_cwd=cwd['distill_losses']['loss_cwd'], loss_cwd_feat=_loss_cwd_feat))
cwd_feat_backbone = dict(
    **_last_logits,
    connectors=dict(regressor=_regressor),
    distill_losses=dict(loss_cwd=cwd['distill_losses']['loss_cwd'], loss_cwd_feat=_loss_cwd_feat))
# CIRKD's CWD script exactly (issue 25, item 5): pixel KD (T = 1, lambda = 1) + CWD on logits and on the head
# feature, 3 / 50 for CNN students, 0.3 / 5 for SegFormer students (item 3).
cwd_cirkd = dict(
    **_head_logits,
    connectors=dict(regressor=_regressor),
    distill_losses=dict(loss_cwd=cwd['distill_losses']['loss_cwd'], loss_cwd_feat=_loss_cwd_feat, loss_kd=_loss_kd))
cwd_cirkd_segformer = dict(
    **_head_logits,
    connectors=dict(regressor=_regressor),
    distill_losses=dict(loss_cwd=cwd_segformer['distill_losses']['loss_cwd'],
                        loss_cwd_feat=dict(_loss_cwd_feat, loss_weight=5.0), loss_kd=_loss_kd))

# SKD (Liu et al. 2019): pair-wise affinity on the deepest stage (2x2 max-pooled nodes, lambda_pa = 0.5 [I]) +
# pixel-wise KD (T = 1, lambda_pi = 10). The holistic adversarial term is the optional `skd_adv` below.
skd = dict(
    **_last_logits,
    distill_losses=dict(
        loss_pa=dict(type='PairwiseAffinityLoss', pool_scale=0.5, loss_weight=0.5,
                     inputs=dict(preds_S='S.feat', preds_T='T.feat')),
        loss_pi=dict(type='PixelKLDivergence', tau=1.0, loss_weight=10.0,
                     inputs=dict(preds_S='S.logits', preds_T='T.logits'))))

# IFVD (Wang et al. 2020), weights of the IFVD release: intra-class feature variation on the head's fused feature,
# lambda = 200, + pixel-wise KD, lambda = 10 on the release's element-mean KL (mean over pixels and classes: 10/K per
# pixel, class_reduction='mean'). The holistic adversarial term is the optional `ifvd_adv` below.
_loss_ifv = dict(type='IFVLoss', loss_weight=200.0, inputs=dict(preds_S='S.feat', preds_T='T.feat', gt='GT'))
_ifvd_losses = dict(
    loss_ifv=_loss_ifv,
    loss_pi=dict(type='PixelKLDivergence', tau=1.0, class_reduction='mean', loss_weight=10.0,
                 inputs=dict(preds_S='S.logits', preds_T='T.logits')))
ifvd = dict(**_head_logits, distill_losses=_ifvd_losses)
ifvd_backbone = dict(**_last_logits, distill_losses=_ifvd_losses)
# CIRKD's IFVD script (issue 25, item 5): IFV with lambda = 20 + pixel KD (T = 1, lambda = 1) [I: without the
# adversarial term; add it as in `ifvd_adv`].
ifvd_cirkd = dict(**_head_logits, distill_losses=dict(loss_ifv=dict(_loss_ifv, loss_weight=20.0), loss_kd=_loss_kd))

# SKD's holistic adversarial term (also in IFVD), optional (the `skd-adv` / `ifvd-adv` configs), as the IFVD release
# and CIRKD's scripts (issue 25, item 2): a WGAN-GP critic on softmax(logits) only, owned by the loss, lambda_adv =
# 0.001 on the student's term, lambda_d = 0.1 on the critic's, lambda_gp = 10. The critic trains with its own Adam
# (lr 4e-4): configs using these recipes set `optim_wrapper = _base_.adv_optim_wrapper`, merged into their student
# optimizer (SplitOptimWrapperConstructor). [I] betas (0.9, 0.99), no weight decay, the config's lr schedule.
_adv = dict(type='HolisticAdversarialLoss', with_image=False, lambda_gp=10.0, lambda_d=0.1, loss_weight=0.001,
            channels_from=dict(num_classes='S.logits'), inputs=dict(preds_S='S.logits', preds_T='T.logits'))
skd_adv = dict(
    student_recorders=skd['student_recorders'],
    teacher_recorders=skd['teacher_recorders'],
    distill_losses=dict(skd['distill_losses'], loss_adv=_adv))
ifvd_adv = dict(
    student_recorders=ifvd['student_recorders'],
    teacher_recorders=ifvd['teacher_recorders'],
    distill_losses=dict(ifvd['distill_losses'], loss_adv=_adv))
adv_optim_wrapper = dict(
    constructor='SplitOptimWrapperConstructor',
    split=dict(discriminator=dict(modules=['distill_losses.loss_adv.discriminator'],
                                  optimizer=dict(type='Adam', lr=4e-4, betas=(0.9, 0.99), weight_decay=0.0))))

# Knowledge Review (Chen et al. 2021): ABF review chain over all backbone stages (M = 64 [I]) + HCL (levels 4, 2, 1),
# lambda = 1 [I].
review = dict(
    student_recorders=dict(feats=_base_.backbone_stages),
    teacher_recorders=dict(feats=_base_.backbone_stages),
    connectors=dict(abf=dict(type='ABF', inputs=['S.feats'], mid_channels=64,
                             channels_from=dict(in_channels='S.feats', out_channels='T.feats'))),
    distill_losses=dict(loss_review=dict(type='HCLoss', levels=(4, 2, 1), loss_weight=1.0,
                                         inputs=dict(preds_S='C.abf', preds_T='T.feats'))))

# CIRKD (Yang et al. 2022): logit KD (T = 1, lambda = 1), mini-batch pixel-to-pixel contrast on the raw head
# features (tau = 0.1, lambda = 1 [I]; 4x4 average pooling only for maps of 256x256 and more, as the release) among
# the images of each GPU's batch (issue 25, item 4: the release's gather is commented out; `gather=True` contrasts
# across GPUs) and pixel-to-region contrast (tau = 0.1, lambda = 0.1 [I]) of the projection head's embedding (student
# head feature to the teacher's width) against the regions of all GPUs' images.
_cirkd_connectors = dict(embed=dict(_regressor, num_convs=2, out_norm=False))
_cirkd_losses = dict(
    loss_kd=_loss_kd,
    loss_pixel=dict(type='PixelPairContrastLoss', tau=0.1, pool_size=4, pool_min_size=256, gather=False,
                    loss_weight=1.0, inputs=dict(preds_S='S.feat', preds_T='T.feat')),
    loss_region=dict(type='PixelRegionContrastLoss', tau=0.1, loss_weight=0.1,
                     inputs=dict(preds_S='C.embed', preds_T='T.feat', gt='GT')))
cirkd = dict(**_head_logits, connectors=_cirkd_connectors, distill_losses=_cirkd_losses)
cirkd_backbone = dict(**_last_logits, connectors=_cirkd_connectors, distill_losses=_cirkd_losses)

# DIST (Huang et al. 2022): inter- and intra-class Pearson relations of the logits, T = 1, beta = gamma = 1 [I].
dist = dict(
    **_logits,
    distill_losses=dict(loss_dist=dict(type='DISTLoss', tau=1.0, beta=1.0, gamma=1.0, loss_weight=1.0,
                                       inputs=dict(preds_S='S.logits', preds_T='T.logits'))))
