# The ifvd baseline with SKD's holistic adversarial term (the `ifvd_adv` recipe of
# mmseg_transkd/configs/distill/baselines.py) on the segformer-b2_segformer-b0 Cityscapes pair
# (./_base_/segformer-b2_segformer-b0_city.py).
# Weights of the IFVD release: lambda_ifv = 200, pixel KD lambda = 10 on an element-mean KL; adversarial as SKD [I].
_base_ = ['./_base_/segformer-b2_segformer-b0_city.py']
model = dict(recipe='ifvd_adv')
# [I] The critic shares the student's AdamW (poly): lr 4e-4 (SKD's critic lr as we recall it), no weight decay.
adv_lr_mult = 4e-4 / 6e-5
optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys={_base_.adv_key: dict(lr_mult=adv_lr_mult, decay_mult=0.0)}))
