# SegFormer MiT-B1 trained alone with C2VKD's Cityscapes recipe (the reference on the DeepLabV3+ R101 -> MiT-B1 pair);
# everything else as the MiT-B0 config.
_base_ = ['./segformer_mit-b0_8xb3-50k_cityscapes-512x512.py']
model = dict(**_base_.c2vkd_mit_b1)
