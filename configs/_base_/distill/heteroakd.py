# HeteroAKD building blocks (Huang et al., AAAI 2025, arXiv 2504.07691; no official code: seeds.md §2, [I] marked).
# A fragment: it defines variables only; the configs listing it in `_base_` assemble the model from them.

# Recorders: every backbone stage (the projectors pick the last one) and the final logits (the decode head's
# classifier conv: mmseg heads call self.forward directly, so a hook on the head itself would not fire).
backbone_stages = dict(type='ModuleOutputsRecorder', source='backbone')
head_logits = dict(type='ModuleOutputsRecorder', source='decode_head.conv_seg')

heteroakd = dict(
    student_recorders=dict(feats=backbone_stages, logits=head_logits),
    teacher_recorders=dict(feats=backbone_stages, logits=head_logits),
    connectors=dict(
        # aligned logits space: 1x1 conv C->K + BN, no activation [I], last stage [I]; K from the student's logits
        proj_s=dict(type='LogitProjector', inputs=['S.feats'], stages=(-1, ),
                    channels_from=dict(in_channels='S.feats', num_classes='S.logits')),
        proj_t=dict(type='LogitProjector', inputs=['T.feats'], stages=(-1, ),
                    channels_from=dict(in_channels='T.feats', num_classes='S.logits'))),
    distill_losses=dict(
        # CE (the student's own decode loss) + 0.1 * logit KD + HeteroAKD + projector supervision [I]
        loss_kd=dict(type='PixelKLDivergence', tau=4.0, loss_weight=0.1,
                     inputs=dict(preds_S='S.logits', preds_T='T.logits', gt='GT')),
        loss_hakd=dict(type='HeteroAKDLoss', tau=4.0, weight_dim='class', loss_weight=1.0,
                       inputs=dict(preds_S='C.proj_s', preds_T='C.proj_t', gt='GT')),
        loss_proj_s=dict(type='LogitBCELoss', loss_weight=1.0, inputs=dict(preds='C.proj_s', gt='GT')),
        loss_proj_t=dict(type='LogitBCELoss', loss_weight=1.0, inputs=dict(preds='C.proj_t', gt='GT'))))

# CIRKD's recipe for CNN students (seeds.md §2.3): SGD lr 0.02, momentum 0.9, wd 1e-4, poly 0.9, 40k iterations,
# batch 16 (8 GPUs x 2).
cirkd_optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=1e-4), clip_grad=None)
cirkd_param_scheduler = [dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=40000, by_epoch=False)]
cirkd_train_cfg = dict(type='IterBasedTrainLoop', max_iters=40000, val_interval=4000)
