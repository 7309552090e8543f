# The review baseline (the `review` recipe of mmseg_transkd/configs/distill/baselines.py) on the
# segformer-b2_segformer-b0 Cityscapes pair (./_base_/segformer-b2_segformer-b0_city.py).
# Weights: HCL lambda = 1 [I] (no segmentation weight of the Knowledge Review release was checked).
_base_ = ['./_base_/segformer-b2_segformer-b0_city.py']
model = dict(recipe='review')
