# TransKD-Base with channel-wise distillation (CWD, Shu et al. ICCV 2021) instead of HCL on the CSF outputs: the
# official release's `--knowledge-distillation-loss CWloss` option (temperature 1, lambda_cwd 1, channel norm).
_base_ = ['./segformer_b2_b0_city.py']

model = dict(
    distill_losses=dict(
        loss_csf=None,  # drops the recipe's HCL term
        loss_cwd=dict(type='ChannelWiseDivergence', tau=1.0, norm='channel', loss_weight=1.0,
                      inputs=dict(preds_S='C.csf', preds_T='T.feats'))))
