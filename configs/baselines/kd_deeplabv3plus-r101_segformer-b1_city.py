# The kd baseline on C2VKD's CNN -> Transformer pair with a SegFormer MiT-B1 student; everything else as the B0
# config.
_base_ = ['./kd_deeplabv3plus-r101_segformer-b0_city.py']
model = dict(student=_base_.c2vkd_mit_b1)
