# TransKD-GL (arXiv 2202.13393): TransKD-Base plus the Global-Local Context Mixer on the deepest student patch
# embedding, in front of PEA; the attention heads are the student's stage-4 heads.
_base_ = ['./segformer_b2_b0_city.py']

model = dict(recipe='transkd_gl')
