# The ifvd baseline (the `ifvd` recipe of mmseg_transkd/configs/distill/baselines.py) on the segformer-b4_deeplabv3-r18
# Cityscapes pair (./_base_/segformer-b4_deeplabv3-r18_city.py), a heterogeneous pair of HeteroAKD's tables,
# with HeteroAKD's recipe for that pair.
# Weights of the IFVD release: lambda_ifv = 200, pixel KD lambda = 10 on an element-mean KL (CIRKD's script: 20).
_base_ = ['./_base_/segformer-b4_deeplabv3-r18_city.py']
model = dict(recipe='ifvd')
