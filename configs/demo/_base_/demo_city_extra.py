# Unlabeled synthetic street scenes for distillation on unlabeled images (docs/unlabeled.md), in Cityscapes' layout
# for its extra images: data/demo_city/leftImg8bit/train_extra/<city>/*_leftImg8bit.png, written by
#   python tools/make_demo_data.py --extra 240
# (train and val stay what they are without --extra). A fragment: a variable only, for the *_unlabeled demo configs
# (LabeledUnlabeledDataset gives it the labeled set's pipeline, less what needs labels).
demo_city_extra = dict(
    type='UnlabeledImageDataset',
    data_root='data/demo_city/',
    data_prefix=dict(img_path='leftImg8bit/train_extra'),
    img_suffix='_leftImg8bit.png')
