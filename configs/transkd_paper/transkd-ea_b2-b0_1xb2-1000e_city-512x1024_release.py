# TransKD-EA exactly as the official release computes it (train/train_TransKD_EA.py): the TransKD-Base *_release.py
# protocol plus the Embedding Assistant (its init and fuse weights 0.1 ... 0.8 are the release's).
_base_ = ['./transkd-base_b2-b0_1xb2-1000e_city-512x1024_release.py']
model = dict(
    recipe='transkd_ea')
