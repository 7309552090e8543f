# Pixel KD on the synthetic street scenes plus unlabeled extra scenes (python tools/make_demo_data.py --extra 240):
# every batch holds the 8 labeled crops of the student alone (segformer_tiny-b0_demo.py, the same ones under one seed)
# and 8 unlabeled ones. The student's cross-entropy uses the labeled crops, the logit KL all 16.
_base_ = ['./kd_tiny-b2-b0_demo.py', './_base_/demo_city_extra.py']
train_dataloader = dict(
    batch_size=16,  # 8 labeled + 8 unlabeled
    sampler=dict(type='LabeledUnlabeledSampler', unlabeled_ratio=0.5),
    dataset=dict(
        _delete_=True,
        type='LabeledUnlabeledDataset',
        labeled=_base_.train_dataloader.dataset,
        unlabeled=_base_.demo_city_extra))  # the labeled set's pipeline, less what needs labels
