# The dist baseline (the `dist` recipe of mmseg_transkd/configs/distill/baselines.py) on the segformer-b4_deeplabv3-r18
# Cityscapes pair (./_base_/segformer-b4_deeplabv3-r18_city.py), a heterogeneous pair of HeteroAKD's tables,
# with HeteroAKD's recipe for that pair.
# Weights: beta = gamma = 1, T = 1, lambda = 1 [I] (DIST's defaults; not re-checked against its segmentation runs).
_base_ = ['./_base_/segformer-b4_deeplabv3-r18_city.py']
model = dict(recipe='dist')
