# The cirkd baseline (the `cirkd` recipe of mmseg_transkd/configs/distill/baselines.py) on the
# deeplabv3-r101_deeplabv3-r18 Cityscapes pair (./_base_/deeplabv3-r101_deeplabv3-r18_city.py).
# Tap: the decode head's fused feature (CIRKD's train_kd.py); pixel pairs within each GPU's batch (the release's).
# Weights: KD lambda = 1 (T = 1), pixel-to-pixel 1, pixel-to-region 0.1 (tau = 0.1), our reading of CIRKD's release [I].
_base_ = ['./_base_/deeplabv3-r101_deeplabv3-r18_city.py']
model = dict(recipe='cirkd')
