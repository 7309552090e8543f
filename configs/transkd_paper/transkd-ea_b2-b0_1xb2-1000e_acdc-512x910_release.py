# TransKD-EA exactly as the official release computes it (train/train_TransKD_EA.py): the TransKD-Base *_release.py
# protocol plus the Embedding Assistant (its init and fuse weights 0.1 ... 0.8 are the release's).
_base_ = ['./transkd-base_b2-b0_1xb2-1000e_acdc-512x910_release.py']
# The release's EA script loads the ACDC teacher (its Base script, the base of this config, the Cityscapes one).
model = dict(
    teacher=dict(checkpoint='checkpoints/segformerb2_teacher_acdc_mmseg.pth'),
    recipe='transkd_ea')
