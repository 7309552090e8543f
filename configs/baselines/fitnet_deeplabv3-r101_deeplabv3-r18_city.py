# The fitnet baseline (the `fitnet` recipe of mmseg_transkd/configs/distill/baselines.py) on the
# deeplabv3-r101_deeplabv3-r18 Cityscapes pair (./_base_/deeplabv3-r101_deeplabv3-r18_city.py).
# Weights: lambda = 10 on the element-mean MSE, from CIRKD's FitNet script (FitNets has no segmentation release).
_base_ = ['./_base_/deeplabv3-r101_deeplabv3-r18_city.py']
model = dict(recipe='fitnet')
