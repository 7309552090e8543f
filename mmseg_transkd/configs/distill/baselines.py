# Classic segmentation-KD baselines as building blocks (a fragment: variables only). Each `<method>` dict holds
# recorders, connectors and losses; a config merges it into its DistillSegmentor (`model = dict(**_base_.<method>)`).
# The student's own decode (and auxiliary) losses always stay in. Widths come from the networks (channels_from).
# [I] marks our choices where the papers give no value for these pairs (see README "Classic KD baselines").
_base_ = ['./recorders.py', './cirkd_recipe.py']

_logits = dict(student_recorders=dict(logits=_base_.head_logits), teacher_recorders=dict(logits=_base_.head_logits))
_last = dict(student_recorders=dict(feat=_base_.last_stage), teacher_recorders=dict(feat=_base_.last_stage))
_last_logits = dict(
    student_recorders=dict(feat=_base_.last_stage, logits=_base_.head_logits),
    teacher_recorders=dict(feat=_base_.last_stage, logits=_base_.head_logits))
_regressor = dict(type='FeatureRegressor', inputs=['S.feat'],
                  channels_from=dict(in_channels='S.feat', out_channels='T.feat'))

# Hinton et al. 2015: per-pixel KL(teacher || student) at temperature T, times T^2. [I] T = 1, lambda = 1, all pixels.
kd = dict(
    **_logits,
    distill_losses=dict(loss_kd=dict(type='PixelKLDivergence', tau=1.0, loss_weight=1.0,
                                     inputs=dict(preds_S='S.logits', preds_T='T.logits'))))

# FitNet (Romero et al. 2015): the deepest backbone stage as hint / guided layer [I], 1x1 conv + BN regressor [I],
# element-mean MSE, lambda = 10 (source: CIRKD's FitNet script; FitNets has no segmentation release).
fitnet = dict(
    **_last,
    connectors=dict(regressor=_regressor),
    distill_losses=dict(loss_fitnet=dict(type='FitNetLoss', loss_weight=10.0,
                                         inputs=dict(preds_S='C.regressor', preds_T='T.feat'))))

# CWD (Shu et al. 2021): channel distributions of the final logits, T = 4, lambda = 3 (paper's segmentation setting).
cwd = dict(
    **_logits,
    distill_losses=dict(loss_cwd=dict(type='ChannelWiseDivergence', tau=4.0, norm='channel', loss_weight=3.0,
                                      inputs=dict(preds_S='S.logits', preds_T='T.logits'))))

# CWD on features as well (the `cwd-feat` configs): the logit term above plus CWD on the deepest backbone stage
# through a 1x1 conv + BN regressor to the teacher's width, T = 4 [I], lambda = 50 (source: CIRKD's CWD script, its
# feature weight; the logit weight there is 3 as above).
cwd_feat = dict(
    **_last_logits,
    connectors=dict(regressor=_regressor),
    distill_losses=dict(
        loss_cwd=cwd['distill_losses']['loss_cwd'],
        loss_cwd_feat=dict(type='ChannelWiseDivergence', tau=4.0, norm='channel', loss_weight=50.0,
                           inputs=dict(preds_S='C.regressor', preds_T='T.feat'))))

# SKD (Liu et al. 2019): pair-wise affinity on the deepest stage (2x2 max-pooled nodes, lambda_pa = 0.5 [I]) +
# pixel-wise KD (T = 1, lambda_pi = 10). The holistic adversarial term is the optional `skd_adv` below.
skd = dict(
    **_last_logits,
    distill_losses=dict(
        loss_pa=dict(type='PairwiseAffinityLoss', pool_scale=0.5, loss_weight=0.5,
                     inputs=dict(preds_S='S.feat', preds_T='T.feat')),
        loss_pi=dict(type='PixelKLDivergence', tau=1.0, loss_weight=10.0,
                     inputs=dict(preds_S='S.logits', preds_T='T.logits'))))

# IFVD (Wang et al. 2020), weights of the IFVD release: intra-class feature variation on the deepest stage,
# lambda = 200 (CIRKD's IFVD script uses 20), + pixel-wise KD, lambda = 10 on the release's element-mean KL (mean over
# pixels and classes: 10/K per pixel, class_reduction='mean'). The holistic adversarial term is the optional
# `ifvd_adv` below.
ifvd = dict(
    **_last_logits,
    distill_losses=dict(
        loss_ifv=dict(type='IFVLoss', loss_weight=200.0, inputs=dict(preds_S='S.feat', preds_T='T.feat', gt='GT')),
        loss_pi=dict(type='PixelKLDivergence', tau=1.0, class_reduction='mean', loss_weight=10.0,
                     inputs=dict(preds_S='S.logits', preds_T='T.logits'))))

# SKD's holistic adversarial term (also in IFVD), optional (the `skd-adv` / `ifvd-adv` configs): a WGAN-GP critic on
# concat(softmax(logits), image on the logit grid), owned by the loss; lambda_adv = 0.1 [I], lambda_gp = 10 [I]. The
# image is the student backbone's input. The critic trains with the student's optimizer: its learning rate is set
# through `adv_custom_keys` in the configs (the parameters live under model.distill_losses.loss_adv.discriminator).
_image = dict(type='ModuleInputsRecorder', source='backbone')
_adv = dict(type='HolisticAdversarialLoss', lambda_gp=10.0, loss_weight=0.1, channels_from=dict(num_classes='S.logits'),
            inputs=dict(preds_S='S.logits', preds_T='T.logits', image='S.image'))
adv_key = 'distill_losses.loss_adv.discriminator'
skd_adv = dict(
    student_recorders=dict(skd['student_recorders'], image=_image),
    teacher_recorders=skd['teacher_recorders'],
    distill_losses=dict(skd['distill_losses'], loss_adv=_adv))
ifvd_adv = dict(
    student_recorders=dict(ifvd['student_recorders'], image=_image),
    teacher_recorders=ifvd['teacher_recorders'],
    distill_losses=dict(ifvd['distill_losses'], loss_adv=_adv))

# Knowledge Review (Chen et al. 2021): ABF review chain over all backbone stages (M = 64 [I]) + HCL (levels 4, 2, 1),
# lambda = 1 [I].
review = dict(
    student_recorders=dict(feats=_base_.backbone_stages),
    teacher_recorders=dict(feats=_base_.backbone_stages),
    connectors=dict(abf=dict(type='ABF', inputs=['S.feats'], mid_channels=64,
                             channels_from=dict(in_channels='S.feats', out_channels='T.feats'))),
    distill_losses=dict(loss_review=dict(type='HCLoss', levels=(4, 2, 1), loss_weight=1.0,
                                         inputs=dict(preds_S='C.abf', preds_T='T.feats'))))

# CIRKD (Yang et al. 2022): logit KD (T = 1, lambda = 1), mini-batch pixel-to-pixel contrast on the raw deepest
# stages (tau = 0.1, lambda = 1 [I]; 4x4 average pooling only for maps of 256x256 and more, as the release) and
# pixel-to-region contrast (tau = 0.1, lambda = 0.1 [I]) of the projection head's embedding (deepest student stage to
# the teacher's width), over the images of all GPUs.
cirkd = dict(
    **_last_logits,
    connectors=dict(embed=dict(_regressor, num_convs=2, out_norm=False)),
    distill_losses=dict(
        loss_kd=dict(type='PixelKLDivergence', tau=1.0, loss_weight=1.0,
                     inputs=dict(preds_S='S.logits', preds_T='T.logits')),
        loss_pixel=dict(type='PixelPairContrastLoss', tau=0.1, pool_size=4, pool_min_size=256, loss_weight=1.0,
                        inputs=dict(preds_S='S.feat', preds_T='T.feat')),
        loss_region=dict(type='PixelRegionContrastLoss', tau=0.1, loss_weight=0.1,
                         inputs=dict(preds_S='C.embed', preds_T='T.feat', gt='GT'))))

# DIST (Huang et al. 2022): inter- and intra-class Pearson relations of the logits, T = 1, beta = gamma = 1 [I].
dist = dict(
    **_logits,
    distill_losses=dict(loss_dist=dict(type='DISTLoss', tau=1.0, beta=1.0, gamma=1.0, loss_weight=1.0,
                                       inputs=dict(preds_S='S.logits', preds_T='T.logits'))))
