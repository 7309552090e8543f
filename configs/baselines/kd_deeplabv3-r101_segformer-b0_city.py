# The kd baseline (the `kd` blocks of configs/_base_/distill/baselines.py) on the deeplabv3-r101_segformer-b0
# Cityscapes pair (./_base_/deeplabv3-r101_segformer-b0_city.py), a heterogeneous pair of HeteroAKD's tables,
# with HeteroAKD's recipe for that pair.
# Weights: T = 1, lambda = 1 [I] (Hinton et al. give none for segmentation; CIRKD's scripts use this logit-KD term).
_base_ = ['./_base_/deeplabv3-r101_segformer-b0_city.py']
model = dict(**_base_.kd)
