# The kd baseline (the `kd` recipe of mmseg_transkd/configs/distill/baselines.py) on C2VKD's CNN -> Transformer pair,
# DeepLabV3+ R101-D16 -> SegFormer MiT-B0 on Cityscapes (./_base_/deeplabv3plus-r101_segformer-b0_city.py).
_base_ = ['./_base_/deeplabv3plus-r101_segformer-b0_city.py']
model = dict(recipe='kd')
