# ACDC (all four conditions) under TransKD's own protocol (spec §3), with the Cityscapes paper-protocol pipelines:
# 1080x1920 images resized to 512x910 with Pillow's bilinear (scale (1024, 512) with keep_ratio: shorter side 512, no
# crop), flip and +-2 px shift moving image and label together, labels resized once from native 1080x1920 to 1/4
# (128x228) with PIL nearest, as the release; `official_test_pipeline` for the release's mIoU protocol,
# `release_train_pipeline` for the release's co-transform. ACDCDataset is the dataset class of mmseg_transkd
# (data_root/rgb_anon/{cond}/{split}/<seq>/*_rgb_anon.png, gt/{cond}/{split}/<seq>/*_gt_labelTrainIds.png);
# per-condition evaluation:
# --cfg-options "test_dataloader.dataset.conditions=('fog',)"
_base_ = ['./cityscapes_transkd_paper.py']
dataset_type = 'ACDCDataset'
data_root = 'data/acdc/'
conditions = ('fog', 'night', 'rain', 'snow')
acdc = dict(type=dataset_type, data_root=data_root, conditions=conditions,
            data_prefix=dict(img_path='rgb_anon', seg_map_path='gt'))
train_dataloader = dict(dataset=dict(_delete_=True, split='train', pipeline=_base_.train_pipeline, **acdc))
val_dataloader = dict(
    num_workers=4, persistent_workers=True, sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(_delete_=True, split='val', pipeline=_base_.test_pipeline, **acdc))
test_dataloader = val_dataloader
