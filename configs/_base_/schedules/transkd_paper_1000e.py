# TransKD's optimisation (spec §3.1): AdamW lr 6e-5, betas (0.9, 0.999), eps 1e-8, weight decay 0.01 on every
# parameter (no head lr x10, no decay exemptions), 1000 epochs, linear decay stepped once per epoch. The release builds
# cmpark0126's PolynomialLRDecay(optimizer, max_decay_steps=1500, end_learning_rate=0, power=1.0), whose constructor
# already takes one step, and steps it after every epoch: epoch e (1-based) trains at 6e-5 * (1 - e/1500), never
# reaching 0 (2e-5 in epoch 1000). ClosedFormPolyLR (mmseg_transkd/engine/poly_lr.py) computes that formula with the
# same step count (step_offset=1 for the constructor's step), so the sequence is the release's to rounding; MMEngine's
# PolyLR decays over end - begin - 1 steps and cannot give it (issue 25).
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=6e-5, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01))
param_scheduler = [dict(type='ClosedFormPolyLR', max_decay_steps=1500, eta_min=0.0, power=1.0, step_offset=1,
                        by_epoch=True)]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=1000, val_interval=10)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=True),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=True, interval=10, max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
