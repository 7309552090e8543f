# ACDC (Sakaridis et al., ICCV 2021), all four conditions, 1080x1920 images, 19 Cityscapes classes: mmseg's Cityscapes
# 1024x1024 recipe at ACDC's native scale [I] (random rescale 0.5-2.0 of 1920x1080, 1024x1024 crops, flip,
# photometric distortion; evaluation at 1920x1080, full-resolution labels). ACDCDataset comes from mmseg_transkd.
# Per-condition evaluation: --cfg-options val_dataloader.dataset.conditions=fog test_dataloader.dataset.conditions=fog
# (or the *_fog / *_night / *_rain / *_snow configs).
custom_imports = dict(imports=['mmseg_transkd'], allow_failed_imports=False)
dataset_type = 'ACDCDataset'
data_root = 'data/acdc'
crop_size = (1024, 1024)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=(1920, 1080), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(1920, 1080), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]
train_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, conditions='all', split='train', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, conditions='all', split='val', pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
