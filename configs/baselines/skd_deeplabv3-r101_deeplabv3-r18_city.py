# The skd baseline (the `skd` recipe of mmseg_transkd/configs/distill/baselines.py) on the deeplabv3-r101_deeplabv3-r18
# Cityscapes pair (./_base_/deeplabv3-r101_deeplabv3-r18_city.py).
_base_ = ['./_base_/deeplabv3-r101_deeplabv3-r18_city.py']
model = dict(recipe='skd')
