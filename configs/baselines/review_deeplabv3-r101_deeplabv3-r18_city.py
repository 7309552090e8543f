# The review baseline (the `review` recipe of mmseg_transkd/configs/distill/baselines.py) on the
# deeplabv3-r101_deeplabv3-r18 Cityscapes pair (./_base_/deeplabv3-r101_deeplabv3-r18_city.py).
# Weights: HCL lambda = 1 [I] (no segmentation weight of the Knowledge Review release was checked).
_base_ = ['./_base_/deeplabv3-r101_deeplabv3-r18_city.py']
model = dict(recipe='review')
