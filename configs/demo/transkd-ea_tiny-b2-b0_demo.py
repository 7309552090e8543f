# TransKD-EA on the bundled synthetic street scenes (see transkd_tiny-b2-b0_demo.py).
_base_ = ['./transkd_tiny-b2-b0_demo.py']
model = dict(recipe='transkd_ea')
