# TransKD-Base (B2 -> B0) on Cityscapes that also distils on the 19,998 unlabeled images of leftImg8bit/train_extra
# (docs/unlabeled.md). Every batch holds 1 labeled image (the stream of the student-alone config, same order and
# augmentation under one seed) and 1 unlabeled one per GPU: the student's cross-entropy uses the labeled image, CSF +
# HCL and PEA use both. Everything else is ./segformer_b2_b0_city.py. A step costs about twice the labeled-only one.
_base_ = ['./segformer_b2_b0_city.py', '../_base_/datasets/cityscapes_train-extra.py']
train_dataloader = dict(
    batch_size=2,  # per GPU: 1 labeled + 1 unlabeled
    sampler=dict(type='LabeledUnlabeledSampler', unlabeled_ratio=0.5),
    dataset=dict(
        _delete_=True,
        type='LabeledUnlabeledDataset',
        labeled=_base_.train_dataloader.dataset,
        unlabeled=_base_.cityscapes_train_extra))  # the labeled set's pipeline, less what needs labels
