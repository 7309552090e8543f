# The skd baseline (the `skd` recipe of mmseg_transkd/configs/distill/baselines.py) on the deeplabv3-r101_deeplabv3-r18
# Cityscapes pair (./_base_/deeplabv3-r101_deeplabv3-r18_city.py).
# Weights: lambda_pa = 0.5, lambda_pi = 10, as we recall the SKD release [I: not re-checked offline].
_base_ = ['./_base_/deeplabv3-r101_deeplabv3-r18_city.py']
model = dict(recipe='skd')
