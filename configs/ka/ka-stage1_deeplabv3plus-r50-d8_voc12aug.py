# KA stage 1, knowledge translation, on Pascal VOC 2012 aug (He et al., CVPR 2019, arXiv 1903.04688; seeds.md §3.2 item
# 1): train the teacher-feature autoencoder on the frozen DeepLabV3+ R50-D8 teacher for one epoch of the 10,582-image
# trainaug set, as configs/ka/ka-stage1_deeplabv3plus-r50-d8_city.py does on Cityscapes.
# `python tools/train.py configs/ka/ka-stage1_deeplabv3plus-r50-d8_voc12aug.py` writes
# work_dirs/ka-stage1_deeplabv3plus-r50-d8_voc12aug/encoder.pth.
# Data: the teacher config's train pipeline and batch (4 GPUs x 4 images) [I]. No validation [I].
_base_ = ['mmseg::deeplabv3plus/deeplabv3plus_r50-d8_4xb4-40k_voc12aug-512x512.py', '../../mmseg_transkd/configs/distill/ka.py']
custom_imports = dict(imports=['mmseg_transkd'], allow_failed_imports=False)

model = dict(_delete_=True, type='KnowledgeTranslator', teacher=_base_.ka_teacher_voc12aug, **_base_.ka_stage1)

train_dataloader = dict(sampler=dict(type='DefaultSampler', shuffle=True))
train_cfg = dict(_delete_=True, type='EpochBasedTrainLoop', max_epochs=1)
val_cfg = None
val_dataloader = None
val_evaluator = None
test_cfg = None
test_dataloader = None
test_evaluator = None
optim_wrapper = _base_.ka_stage1_optim_wrapper
param_scheduler = _base_.ka_stage1_param_scheduler
default_hooks = dict(checkpoint=dict(by_epoch=True, interval=1), logger=dict(log_metric_by_epoch=True))
log_processor = dict(by_epoch=True)
custom_hooks = [dict(type='SaveEncoderHook', filename='encoder.pth')]
