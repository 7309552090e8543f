# C2VKD with the official Cityscapes data recipe and batch (4 GPUs x 6) and a SegFormer MiT-B1 student; everything
# else as the B0 official-data config.
_base_ = ['./deeplabv3plus-r101_segformer-b0_city_official-data.py']
model = dict(student=_base_.c2vkd_mit_b1)
