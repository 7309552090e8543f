# The ifvd baseline (the `ifvd` recipe of mmseg_transkd/configs/distill/baselines.py) on the segformer-b2_segformer-b0
# Cityscapes pair (./_base_/segformer-b2_segformer-b0_city.py).
# Weights of the IFVD release: lambda_ifv = 200, pixel KD lambda = 10 on an element-mean KL (CIRKD's script: 20).
_base_ = ['./_base_/segformer-b2_segformer-b0_city.py']
model = dict(recipe='ifvd')
