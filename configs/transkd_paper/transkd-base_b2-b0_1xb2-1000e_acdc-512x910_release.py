# TransKD-Base exactly as the official release trains and evaluates it on ACDC (train/train_TransKDBase.py; spec §3,
# §5): the Cityscapes *_release.py differences (official CSF bottlenecks, no drop_last, the release's co-transform,
# in-place zero_grad, validation every epoch under the release's mIoU, best checkpoint kept), and its teacher: the
# release's TransKD-Base script loads the *Cityscapes* SegFormer-B2 teacher for ACDC too (spec §3.2; its GL and EA
# scripts load the ACDC teacher). The fixed transkd-base_b2-b0_1xb2-1000e_acdc-512x910.py uses the ACDC teacher.
# ACDC's 1600 training images make 800 full batches, so the B == 1 bottleneck never runs here.
_base_ = ['./transkd-base_b2-b0_1xb2-1000e_acdc-512x910.py']
train_dataloader = dict(drop_last=False, dataset=dict(pipeline=_base_.release_train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=_base_.official_test_pipeline))
test_dataloader = val_dataloader
val_evaluator = _base_.official_evaluator
test_evaluator = val_evaluator
model = dict(
    connectors=dict(csf=dict(bottleneck='official')),
    teacher=dict(checkpoint='checkpoints/segformerb2_teacher_cityscapes_mmseg.pth'))
optim_wrapper = dict(type='ZeroGradInPlaceOptimWrapper')
train_cfg = dict(val_interval=1)
default_hooks = dict(checkpoint=dict(interval=1, save_best='mIoU', rule='greater'))
