# The fitnet baseline (the `fitnet` recipe of mmseg_transkd/configs/distill/baselines.py) on the
# segformer-b2_segformer-b0 Cityscapes pair (./_base_/segformer-b2_segformer-b0_city.py).
# Weights: lambda = 10 on the element-mean MSE, from CIRKD's FitNet script (FitNets has no segmentation release).
_base_ = ['./_base_/segformer-b2_segformer-b0_city.py']
model = dict(recipe='fitnet')
