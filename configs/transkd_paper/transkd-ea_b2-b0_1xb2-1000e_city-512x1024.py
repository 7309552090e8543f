# TransKD-EA under the paper's own protocol on Cityscapes: TransKD-Base plus the Embedding Assistant.
_base_ = ['./transkd-base_b2-b0_1xb2-1000e_city-512x1024.py']
model = dict(recipe='transkd_ea')
