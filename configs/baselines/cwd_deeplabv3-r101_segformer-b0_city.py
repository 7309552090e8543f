# The cwd baseline (the `cwd` recipe of mmseg_transkd/configs/distill/baselines.py) on the deeplabv3-r101_segformer-b0
# Cityscapes pair (./_base_/deeplabv3-r101_segformer-b0_city.py), a heterogeneous pair of HeteroAKD's tables,
# with HeteroAKD's recipe for that pair.
# Weights: T = 4, lambda = 3 on the logits, the CWD paper's segmentation setting (CIRKD's CWD script: 3 as well).
_base_ = ['./_base_/deeplabv3-r101_segformer-b0_city.py']
model = dict(recipe='cwd')
