# The fitnet baseline as CIRKD's FitNet script runs it (the `fitnet_cirkd` recipe of
# mmseg_transkd/configs/distill/baselines.py) on the segformer-b2_segformer-b0 Cityscapes pair
# (./_base_/segformer-b2_segformer-b0_city.py).
# Tap: the decode head's fused feature (SegFormer's fused map before its classifier), the release's. Weights: FitNet
# lambda = 10 on the element-mean MSE + pixel KD lambda = 1 (T = 1), both from CIRKD's FitNet script (FitNets has no
# segmentation release) [I: the CNN students' FitNet weight; a SegFormer-student value was not checked]. FitNet alone:
# recipe='fitnet'; on the deepest backbone stage: recipe='fitnet_backbone'.
_base_ = ['./_base_/segformer-b2_segformer-b0_city.py']
model = dict(recipe='fitnet_cirkd')
