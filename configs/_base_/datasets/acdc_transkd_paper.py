# ACDC (all four conditions) under TransKD's own protocol (spec §3): 1080x1920 images resized to 512x910 (shorter side
# 512, no crop), flip and +-2 px shift moving image and label together, labels at 1/4 (128x228). ACDCDataset is the
# dataset class of mmseg_transkd (data_root/rgb_anon/{cond}/{split}/<seq>/*_rgb_anon.png,
# gt/{cond}/{split}/<seq>/*_gt_labelTrainIds.png); per-condition evaluation:
# --cfg-options "test_dataloader.dataset.conditions=('fog',)"
dataset_type = 'ACDCDataset'
data_root = 'data/acdc/'
scale = (1024, 512)  # keep_ratio: the shorter side becomes 512 (1920x1080 -> 910x512)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='Resize', scale=scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomShift', max_shift=2, img_pad_val=0, seg_pad_val=255),
    dict(type='LabelToLogitGrid', stride=4),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=scale, keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]
official_test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=scale, keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='LabelToLogitGrid', stride=4, eval_grid=True),
    dict(type='PackSegInputs')
]
conditions = ('fog', 'night', 'rain', 'snow')
train_dataloader = dict(
    batch_size=2, num_workers=4, persistent_workers=True, drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, conditions=conditions, split='train',
                 data_prefix=dict(img_path='rgb_anon', seg_map_path='gt'), pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1, num_workers=4, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, conditions=conditions, split='val',
                 data_prefix=dict(img_path='rgb_anon', seg_map_path='gt'), pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
