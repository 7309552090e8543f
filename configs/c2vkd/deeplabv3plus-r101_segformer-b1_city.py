# C2VKD on Cityscapes with a SegFormer MiT-B1 student (mmseg's B1 widths 64/128/320/512); everything else as B0.
_base_ = ['./deeplabv3plus-r101_segformer-b0_city.py']
model = dict(student=_base_.c2vkd_mit_b1)
