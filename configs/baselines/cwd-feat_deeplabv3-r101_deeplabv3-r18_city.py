# The cwd baseline on logits and features as CIRKD's CWD script runs it (the `cwd_cirkd` recipe of
# mmseg_transkd/configs/distill/baselines.py) on the deeplabv3-r101_deeplabv3-r18 Cityscapes pair
# (./_base_/deeplabv3-r101_deeplabv3-r18_city.py).
# Tap: the decode head's fused feature (DeepLabV3 after ASPP), the release's. Weights of CIRKD's CWD script for CNN
# students: logits T = 4, lambda = 3; features T = 4 [I], lambda = 50; pixel KD lambda = 1 (T = 1). Without the KD
# term: recipe='cwd_feat'; on the deepest backbone stage: recipe='cwd_feat_backbone'.
_base_ = ['./_base_/deeplabv3-r101_deeplabv3-r18_city.py']
model = dict(recipe='cwd_cirkd')
