# The kd baseline (the `kd` recipe of mmseg_transkd/configs/distill/baselines.py) on the segformer-b4_deeplabv3-r18
# Cityscapes pair (./_base_/segformer-b4_deeplabv3-r18_city.py), a heterogeneous pair of HeteroAKD's tables,
# with HeteroAKD's recipe for that pair.
# Weights: T = 1, lambda = 1 [I] (Hinton et al. give none for segmentation; CIRKD's scripts use this logit-KD term).
_base_ = ['./_base_/segformer-b4_deeplabv3-r18_city.py']
model = dict(recipe='kd')
