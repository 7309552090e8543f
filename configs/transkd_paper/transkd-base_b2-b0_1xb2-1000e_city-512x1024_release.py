# TransKD-Base exactly as the official release trains and evaluates it on Cityscapes (train/train_TransKDBase.py;
# spec §3, §5), its defects included, for "reproduce the release"; transkd-base_b2-b0_1xb2-1000e_city-512x1024.py is
# "the release with its defects fixed". Differences from the fixed config:
# - CSF with the release's two SK bottlenecks (BN `fc` for B > 1, un-normalised `fc1` for B == 1), no drop_last:
#   2975 images at batch 2 end every epoch with a batch of one image, which trains `fc1` (spec §5.4);
# - the release's co-transform: label resized first (native -> 128x256, PIL nearest), then flip, then the +-2 px shift
#   moving the 1/4 label by the same number of its own pixels (4x the image's distance) and filling the border of a
#   negative shift with road (0) (spec §5.7);
# - gradients zeroed in place (PyTorch 1.7's zero_grad): AdamW keeps moving the bottleneck not used in a step;
# - validation every epoch under the release's mIoU protocol (1/4 labels, mean over all 19 classes), the best-mIoU
#   checkpoint kept (the release selects and reports the best epoch on val, spec §5.8).
# Void is handled as in the release: its zero-weight class 19 in the CE equals ignoring 255, as the fixed config does.
_base_ = ['./transkd-base_b2-b0_1xb2-1000e_city-512x1024.py']
train_dataloader = dict(drop_last=False, dataset=dict(pipeline=_base_.release_train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=_base_.official_test_pipeline))
test_dataloader = val_dataloader
val_evaluator = _base_.official_evaluator
test_evaluator = val_evaluator
model = dict(connectors=dict(csf=dict(bottleneck='official')))
optim_wrapper = dict(type='ZeroGradInPlaceOptimWrapper')
train_cfg = dict(val_interval=1)
default_hooks = dict(checkpoint=dict(interval=1, save_best='mIoU', rule='greater'))
