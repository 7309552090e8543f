# The cwd baseline (the `cwd` recipe of mmseg_transkd/configs/distill/baselines.py) on the deeplabv3-r101_deeplabv3-r18
# Cityscapes pair (./_base_/deeplabv3-r101_deeplabv3-r18_city.py).
# Weights: T = 4, lambda = 3 on the logits, the CWD paper's segmentation setting (CIRKD's CWD script uses 3 for CNN
# students as well).
_base_ = ['./_base_/deeplabv3-r101_deeplabv3-r18_city.py']
model = dict(recipe='cwd')
