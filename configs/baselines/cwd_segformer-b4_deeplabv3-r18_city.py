# The cwd baseline (the `cwd` recipe of mmseg_transkd/configs/distill/baselines.py) on the segformer-b4_deeplabv3-r18
# Cityscapes pair (./_base_/segformer-b4_deeplabv3-r18_city.py), a heterogeneous pair of HeteroAKD's tables,
# with HeteroAKD's recipe for that pair.
# Weights: T = 4, lambda = 3 on the logits, the CWD paper's segmentation setting for a CNN student (CIRKD's CWD script
# uses 3 for CNN students as well).
_base_ = ['./_base_/segformer-b4_deeplabv3-r18_city.py']
model = dict(recipe='cwd')
