# TransKD-GL under the paper's own protocol on Cityscapes: TransKD-Base plus the Global-Local Context Mixer on the
# deepest student patch embedding, in front of PEA (add=False, as the release's reported model).
_base_ = ['./transkd-base_b2-b0_1xb2-1000e_city-512x1024.py']
model = dict(recipe='transkd_gl')
