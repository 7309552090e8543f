# TransKD-GL in the quickstart's regime (see transkd_tiny-b2-b0_demo_15-labels_unlabeled.py).
_base_ = ['./transkd_tiny-b2-b0_demo_15-labels_unlabeled.py']
model = dict(recipe='transkd_gl')
