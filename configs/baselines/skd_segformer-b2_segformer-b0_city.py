# The skd baseline (the `skd` recipe of mmseg_transkd/configs/distill/baselines.py) on the segformer-b2_segformer-b0
# Cityscapes pair (./_base_/segformer-b2_segformer-b0_city.py).
# Weights: lambda_pa = 0.5, lambda_pi = 10, as we recall the SKD release [I: not re-checked offline].
_base_ = ['./_base_/segformer-b2_segformer-b0_city.py']
model = dict(recipe='skd')
