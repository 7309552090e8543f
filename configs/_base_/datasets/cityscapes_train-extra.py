# Cityscapes' 19,998 extra images (leftImg8bit/train_extra) as a source of unlabeled images for distillation
# (docs/unlabeled.md). A fragment: it defines a variable only; a config puts it next to its labeled training set:
#   train_dataloader = dict(batch_size=2, sampler=dict(type='LabeledUnlabeledSampler', unlabeled_ratio=0.5),
#       dataset=dict(_delete_=True, type='LabeledUnlabeledDataset', labeled=_base_.train_dataloader.dataset,
#                    unlabeled=_base_.cityscapes_train_extra))
# Data: leftImg8bit_trainextra.zip from cityscapes-dataset.com, unpacked into data/cityscapes/ next to
# leftImg8bit/train, i.e. data/cityscapes/leftImg8bit/train_extra/<city>/<name>_leftImg8bit.png (23 cities). Its
# coarse labels (gtCoarse/train_extra) are not read: the images are used as unlabeled ones. Without a pipeline of
# its own, LabeledUnlabeledDataset gives it the labeled set's, less what needs labels.
cityscapes_train_extra = dict(
    type='UnlabeledImageDataset',
    data_root='data/cityscapes/',
    data_prefix=dict(img_path='leftImg8bit/train_extra'),
    img_suffix='_leftImg8bit.png')
