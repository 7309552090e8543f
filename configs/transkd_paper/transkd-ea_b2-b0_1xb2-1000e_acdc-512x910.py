# TransKD-EA under the paper's own protocol on ACDC (all conditions): TransKD-Base plus the Embedding Assistant.
_base_ = ['./transkd-base_b2-b0_1xb2-1000e_acdc-512x910.py']
model = dict(recipe='transkd_ea')
