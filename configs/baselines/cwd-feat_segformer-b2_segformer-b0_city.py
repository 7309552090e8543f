# The cwd baseline on logits and features as CIRKD's CWD script runs it for SegFormer students (the
# `cwd_cirkd_segformer` recipe of mmseg_transkd/configs/distill/baselines.py) on the segformer-b2_segformer-b0
# Cityscapes pair (./_base_/segformer-b2_segformer-b0_city.py).
# Tap: the decode head's fused feature (SegFormer's fused map before its classifier), the release's. Weights of
# CIRKD's train_cwd.sh for SegFormer students: logits T = 4, lambda = 0.3; features T = 4 [I], lambda = 5; pixel KD
# lambda = 1 (T = 1).
_base_ = ['./_base_/segformer-b2_segformer-b0_city.py']
model = dict(recipe='cwd_cirkd_segformer')
