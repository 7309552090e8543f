# The skd baseline with SKD's holistic adversarial term (the `skd_adv` recipe of
# mmseg_transkd/configs/distill/baselines.py) on the deeplabv3-r101_deeplabv3-r18 Cityscapes pair
# (./_base_/deeplabv3-r101_deeplabv3-r18_city.py).
# Weights: lambda_pa = 0.5, lambda_pi = 10, as we recall the SKD release [I]; adversarial as the IFVD release and
# CIRKD's scripts: the critic sees the logits only, lambda_adv = 0.001, lambda_d = 0.1, lambda_gp = 10, and trains with
# its own Adam (lr 4e-4) while the student keeps its SGD.
_base_ = ['./_base_/deeplabv3-r101_deeplabv3-r18_city.py']
model = dict(recipe='skd_adv')
optim_wrapper = _base_.adv_optim_wrapper
