# The cwd baseline on logits and on the deepest backbone stage (the `cwd_feat` recipe of
# mmseg_transkd/configs/distill/baselines.py) on the deeplabv3-r101_deeplabv3-r18 Cityscapes pair
# (./_base_/deeplabv3-r101_deeplabv3-r18_city.py).
# Weights: logits T = 4, lambda = 3 (CWD paper); features T = 4 [I], lambda = 50 (CIRKD's CWD script).
_base_ = ['./_base_/deeplabv3-r101_deeplabv3-r18_city.py']
model = dict(recipe='cwd_feat')
