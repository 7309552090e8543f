# Cityscapes under TransKD's own protocol (spec §3): the whole image resized to 512x1024 with Pillow's bilinear, as the
# release (no crop, no random scale, no colour jitter), random flip and a +-2 px shift that moves image and label by
# the same distance, labels resized once from native 1024x2048 to the 1/4 logit grid (128x256) with PIL nearest.
# val/test use mmseg's full-resolution protocol (labels 1024x2048); `official_test_pipeline` is the release's mIoU
# protocol (labels PIL-nearest-resized once to 128x256, argmax of the raw 1/4 logits), used by the *_official-eval.py
# configs. `release_train_pipeline` is the release's co-transform with its defects (label shifted 4x as far as the
# image, road-filled border of a negative shift), used by the *_release.py configs.
_base_ = ['mmseg::_base_/datasets/cityscapes.py']
scale = (1024, 512)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PILResize', scale=scale, keep_ratio=True),  # the image only; the label stays native
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomShift', max_shift=2, img_pad_val=0, seg_pad_val=255, seg_shift='deferred'),
    dict(type='LabelToLogitGrid', stride=4),  # native -> 1/4 in one PIL-nearest step, with the shift
    dict(type='PackSegInputs')
]
release_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PILResize', scale=scale, keep_ratio=True),
    dict(type='LabelToLogitGrid', stride=4),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomShift', max_shift=2, img_pad_val=0, seg_pad_val=255, seg_shift='release', release_oob_val=0),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='PILResize', scale=scale, keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]
official_test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='PILResize', scale=scale, keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='LabelToLogitGrid', stride=4, eval_grid=True),
    dict(type='PackSegInputs')
]
train_dataloader = dict(
    batch_size=2, num_workers=4, persistent_workers=True, drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=1, dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
official_evaluator = dict(type='OfficialIoUMetric', iou_metrics=['mIoU'])
