# The cwd baseline for a SegFormer student (the `cwd_segformer` recipe of mmseg_transkd/configs/distill/baselines.py)
# on C2VKD's CNN -> Transformer pair, DeepLabV3+ R101-D16 -> SegFormer MiT-B0 on Cityscapes
# (./_base_/deeplabv3plus-r101_segformer-b0_city.py).
# Weights: T = 4 on the logits, lambda = 0.3, the logit weight of CIRKD's train_cwd.sh for SegFormer students [I: C2VKD
# does not give its CWD weights].
_base_ = ['./_base_/deeplabv3plus-r101_segformer-b0_city.py']
model = dict(recipe='cwd_segformer')
