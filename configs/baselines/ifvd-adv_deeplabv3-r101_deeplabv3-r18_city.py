# The ifvd baseline with SKD's holistic adversarial term (the `ifvd_adv` recipe of
# mmseg_transkd/configs/distill/baselines.py) on the deeplabv3-r101_deeplabv3-r18 Cityscapes pair
# (./_base_/deeplabv3-r101_deeplabv3-r18_city.py).
# Tap: the decode head's fused feature. Weights of the IFVD release: lambda_ifv = 200, pixel KD lambda = 10 on an
# element-mean KL; adversarial: the critic sees the logits only, lambda_adv = 0.001, lambda_d = 0.1, lambda_gp = 10,
# and trains with its own Adam (lr 4e-4) while the student keeps its SGD.
_base_ = ['./_base_/deeplabv3-r101_deeplabv3-r18_city.py']
model = dict(recipe='ifvd_adv')
optim_wrapper = _base_.adv_optim_wrapper
