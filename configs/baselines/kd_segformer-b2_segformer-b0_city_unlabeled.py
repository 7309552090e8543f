# Pixel KD (the `kd` recipe, T = 1, lambda = 1) on the SegFormer B2 -> B0 Cityscapes pair that also distils on the
# 19,998 unlabeled images of leftImg8bit/train_extra (docs/unlabeled.md): 1 labeled + 1 unlabeled image per GPU, the
# student's cross-entropy on the labeled one, the logit KL on both. Everything else is
# ./kd_segformer-b2_segformer-b0_city.py.
_base_ = ['./kd_segformer-b2_segformer-b0_city.py', '../_base_/datasets/cityscapes_train-extra.py']
train_dataloader = dict(
    batch_size=2,  # per GPU: 1 labeled + 1 unlabeled
    sampler=dict(type='LabeledUnlabeledSampler', unlabeled_ratio=0.5),
    dataset=dict(
        _delete_=True,
        type='LabeledUnlabeledDataset',
        labeled=_base_.train_dataloader.dataset,
        unlabeled=_base_.cityscapes_train_extra))  # the labeled set's pipeline, less what needs labels
