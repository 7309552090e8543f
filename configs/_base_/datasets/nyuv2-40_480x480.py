# NYUv2 40-class semantic segmentation (795 train / 654 test images of 480x640), layout and label coding of
# NYUv2SegDataset (mmseg_transkd): images/{train,test}/*.png, annotations/{train,test}/*.png with 0 = void.
# [I] mmseg-style recipe: random rescale 0.5-2.0 of 640x480, 480x480 crops, flip, photometric distortion; whole-image
# evaluation at 640x480 on the test split (NYUv2 has no separate val split).
custom_imports = dict(imports=['mmseg_transkd'], allow_failed_imports=False)
dataset_type = 'NYUv2SegDataset'
data_root = 'data/nyuv2'
crop_size = (480, 480)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),  # NYUv2SegDataset sets reduce_zero_label=True
    dict(type='RandomResize', scale=(640, 480), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(640, 480), keep_ratio=True),
    dict(type='LoadAnnotations'),  # NYUv2SegDataset sets reduce_zero_label=True
    dict(type='PackSegInputs')
]
train_dataloader = dict(
    batch_size=2,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root,
                 data_prefix=dict(img_path='images/train', seg_map_path='annotations/train'),
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root,
                 data_prefix=dict(img_path='images/test', seg_map_path='annotations/test'),
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
