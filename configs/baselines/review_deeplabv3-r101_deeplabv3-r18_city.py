# The review baseline (the `review` blocks of configs/_base_/distill/baselines.py) on the deeplabv3-r101_deeplabv3-r18
# Cityscapes pair (./_base_/deeplabv3-r101_deeplabv3-r18_city.py).
# Weights: HCL lambda = 1 [I] (no segmentation weight of the Knowledge Review release was checked).
_base_ = ['./_base_/deeplabv3-r101_deeplabv3-r18_city.py']
model = dict(**_base_.review)
