# HeteroAKD building blocks (Huang et al., AAAI 2025, arXiv 2504.07691; no official code: seeds.md §2, [I] marked).
# A fragment: it defines variables only; the configs listing it in `_base_` assemble the model from them.

# Recorders (recorders.py): every backbone stage (the projectors pick the last one) and the final logits.
_base_ = ['./recorders.py', './cirkd_recipe.py']

heteroakd = dict(
    student_recorders=dict(feats=_base_.backbone_stages, logits=_base_.head_logits),
    teacher_recorders=dict(feats=_base_.backbone_stages, logits=_base_.head_logits),
    connectors=dict(
        # aligned logits space: 1x1 conv C->K + BN, no activation [I], last stage [I]; K from each side's own logits
        # (equal for a proper pair; a teacher with other classes then fails at build time in HeteroAKDLoss)
        proj_s=dict(type='LogitProjector', inputs=['S.feats'], stages=(-1, ),
                    channels_from=dict(in_channels='S.feats', num_classes='S.logits')),
        proj_t=dict(type='LogitProjector', inputs=['T.feats'], stages=(-1, ),
                    channels_from=dict(in_channels='T.feats', num_classes='T.logits'))),
    distill_losses=dict(
        # CE (the student's own decode loss) + 0.1 * logit KD + HeteroAKD + projector supervision [I]
        loss_kd=dict(type='PixelKLDivergence', tau=4.0, loss_weight=0.1,
                     inputs=dict(preds_S='S.logits', preds_T='T.logits', gt='GT')),
        # Eq. 10 summed over classes, x T^2: K*T^2 times the element-mean reading (class_reduction='mean',
        # t_squared=False), e.g. 304x on Cityscapes
        loss_hakd=dict(type='HeteroAKDLoss', tau=4.0, weight_dim='class', class_reduction='sum', t_squared=True,
                       loss_weight=1.0, inputs=dict(preds_S='C.proj_s', preds_T='C.proj_t', gt='GT')),
        loss_proj_s=dict(type='LogitBCELoss', loss_weight=1.0, inputs=dict(preds='C.proj_s', gt='GT')),
        loss_proj_t=dict(type='LogitBCELoss', loss_weight=1.0, inputs=dict(preds='C.proj_t', gt='GT'))))
# The CIRKD recipes (cirkd_* for CNN students, cirkd_segformer_* for SegFormer ones) come from cirkd_recipe.py.
