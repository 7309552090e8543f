# Knowledge Adaptation stage 1 (knowledge translation) on the demo teacher (./fcn_tiny-r18-d8_demo.py): the autoencoder
# of mmseg_transkd/configs/distill/ka.py on the teacher's 256-channel last conv feature (1/8 grid), strides (2, 1, 1)
# so the latent lies on the OS16 student's grid (the spec's choice for an OS8 tap, seeds.md §3.2), SGD lr 0.1, weight
# decay 1e-4 (the paper's), alpha = 1e-7. Demo choices: latent_ratio 1 (256 -> 256 -> 256 -> 256; the real configs'
# 512 -> 512 -> 256 -> 256 costs twice as much on two CPU cores), so the latent has the real configs' 256 channels; 10
# epochs of the 60 training scenes instead of the paper's one epoch (8 iterations would leave E near its init).
#   python tools/train.py configs/demo/fcn_tiny-r18-d8_demo.py                       # the teacher
#   python tools/train.py configs/demo/ka-stage1_tiny-fcn_demo.py \
#       --cfg-options model.teacher.checkpoint=work_dirs/fcn_tiny-r18-d8_demo/iter_300.pth   # -> .../encoder.pth
_base_ = ['./fcn_tiny-r18-d8_demo.py', '../../mmseg_transkd/configs/distill/ka.py']
teacher_checkpoint = 'work_dirs/fcn_tiny-r18-d8_demo/iter_300.pth'
model = dict(
    _delete_=True, type='KnowledgeTranslator',
    teacher=dict(config='configs/demo/fcn_tiny-r18-d8_demo.py', checkpoint=teacher_checkpoint),
    tap=_base_.teacher_feature,
    autoencoder=dict(type='FeatureAutoencoder', strides=(2, 1, 1), latent_ratio=1.0,
                     norm_cfg=dict(type='BN', requires_grad=True)),
    alpha=1e-7, reduction='mean')
train_dataloader = dict(sampler=dict(type='DefaultSampler', shuffle=True))
train_cfg = dict(_delete_=True, type='EpochBasedTrainLoop', max_epochs=10)
val_cfg = None
val_dataloader = None
val_evaluator = None
test_cfg = None
test_dataloader = None
test_evaluator = None
optim_wrapper = dict(_delete_=True, **_base_.ka_stage1_optim_wrapper)
param_scheduler = [
    dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=10, by_epoch=True, convert_to_iter_based=True)]
default_hooks = dict(checkpoint=dict(by_epoch=True, interval=10), logger=dict(log_metric_by_epoch=True))
log_processor = dict(by_epoch=True)
custom_hooks = [dict(type='SaveEncoderHook', filename='encoder.pth')]
