# The fitnet baseline as CIRKD's FitNet script runs it (the `fitnet_cirkd` recipe of
# mmseg_transkd/configs/distill/baselines.py) on the deeplabv3-r101_deeplabv3-r18 Cityscapes pair
# (./_base_/deeplabv3-r101_deeplabv3-r18_city.py).
# Tap: the decode head's fused feature (DeepLabV3 after ASPP), the release's. Weights: FitNet lambda = 10 on the
# element-mean MSE + pixel KD lambda = 1 (T = 1), both from CIRKD's FitNet script (FitNets has no segmentation
# release). FitNet alone: recipe='fitnet'; on the deepest backbone stage: recipe='fitnet_backbone'.
_base_ = ['./_base_/deeplabv3-r101_deeplabv3-r18_city.py']
model = dict(recipe='fitnet_cirkd')
