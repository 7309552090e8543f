# The dist baseline (the `dist` recipe of mmseg_transkd/configs/distill/baselines.py) on the segformer-b2_segformer-b0
# Cityscapes pair (./_base_/segformer-b2_segformer-b0_city.py).
# Weights: beta = gamma = 1, T = 1, lambda = 1 [I] (DIST's defaults; not re-checked against its segmentation runs).
_base_ = ['./_base_/segformer-b2_segformer-b0_city.py']
model = dict(recipe='dist')
