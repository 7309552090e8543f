# The cirkd baseline (the `cirkd` recipe of mmseg_transkd/configs/distill/baselines.py) on the segformer-b2_segformer-b0
# Cityscapes pair (./_base_/segformer-b2_segformer-b0_city.py).
_base_ = ['./_base_/segformer-b2_segformer-b0_city.py']
model = dict(recipe='cirkd')
