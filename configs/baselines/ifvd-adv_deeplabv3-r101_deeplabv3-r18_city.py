# The ifvd baseline with SKD's holistic adversarial term (the `ifvd_adv` recipe of
# mmseg_transkd/configs/distill/baselines.py) on the deeplabv3-r101_deeplabv3-r18 Cityscapes pair
# (./_base_/deeplabv3-r101_deeplabv3-r18_city.py).
# Weights of the IFVD release: lambda_ifv = 200, pixel KD lambda = 10 on an element-mean KL; adversarial as SKD [I].
_base_ = ['./_base_/deeplabv3-r101_deeplabv3-r18_city.py']
model = dict(recipe='ifvd_adv')
# [I] The critic shares the student's SGD (momentum 0.9, poly): lr 0.02 like the student, no weight decay.
adv_lr_mult = 1.0
optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys={_base_.adv_key: dict(lr_mult=adv_lr_mult, decay_mult=0.0)}))
