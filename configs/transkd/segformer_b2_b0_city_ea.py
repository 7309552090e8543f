# TransKD-EA (arXiv 2202.13393): TransKD-Base plus the Embedding Assistant with the student's patch geometry.
_base_ = ['./segformer_b2_b0_city.py']

model = dict(recipe='transkd_ea')
