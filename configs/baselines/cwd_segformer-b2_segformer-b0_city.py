# The cwd baseline for a SegFormer student (the `cwd_segformer` recipe of mmseg_transkd/configs/distill/baselines.py)
# on the segformer-b2_segformer-b0 Cityscapes pair (./_base_/segformer-b2_segformer-b0_city.py).
# Weights: T = 4 on the logits, lambda = 0.3, the logit weight of CIRKD's train_cwd.sh for SegFormer students (the CWD
# paper's 3 is for CNN students; it has no SegFormer student).
_base_ = ['./_base_/segformer-b2_segformer-b0_city.py']
model = dict(recipe='cwd_segformer')
