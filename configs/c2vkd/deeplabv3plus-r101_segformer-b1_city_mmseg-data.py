# C2VKD with mmseg's Cityscapes augmentation and 8 GPUs x 3 and a SegFormer MiT-B1 student; everything else as the B0
# mmseg-data config.
_base_ = ['./deeplabv3plus-r101_segformer-b0_city_mmseg-data.py']
model = dict(student=_base_.c2vkd_mit_b1)
