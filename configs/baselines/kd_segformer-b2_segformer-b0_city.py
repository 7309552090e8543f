# The kd baseline (the `kd` recipe of mmseg_transkd/configs/distill/baselines.py) on the segformer-b2_segformer-b0
# Cityscapes pair (./_base_/segformer-b2_segformer-b0_city.py).
# Weights: T = 1, lambda = 1 [I] (Hinton et al. give none for segmentation; CIRKD's scripts use this logit-KD term).
_base_ = ['./_base_/segformer-b2_segformer-b0_city.py']
model = dict(recipe='kd')
