# The ifvd baseline (the `ifvd` recipe of mmseg_transkd/configs/distill/baselines.py) on the
# deeplabv3-r101_deeplabv3-r18 Cityscapes pair (./_base_/deeplabv3-r101_deeplabv3-r18_city.py).
# Tap: the decode head's fused feature (the IFVD release's). Weights of the IFVD release: lambda_ifv = 200, pixel KD
# lambda = 10 on an element-mean KL. CIRKD's IFVD script: recipe='ifvd_cirkd'; the backbone tap: 'ifvd_backbone'.
_base_ = ['./_base_/deeplabv3-r101_deeplabv3-r18_city.py']
model = dict(recipe='ifvd')
