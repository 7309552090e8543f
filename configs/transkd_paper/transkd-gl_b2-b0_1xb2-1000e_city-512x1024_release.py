# TransKD-GL exactly as the official release computes it (train/train_TransKD_GLMixer.py): the TransKD-Base
# *_release.py protocol plus the Global-Local Context Mixer with the release's PyTorch-default attention init
# (attn_init='pytorch'; the release's _init_weights is never applied). Not bit-exact: the release's alpha and beta
# are uninitialised memory (spec §5.3), here 1.0. add=False, as the release's reported model.
_base_ = ['./transkd-base_b2-b0_1xb2-1000e_city-512x1024_release.py']
model = dict(
    recipe='transkd_gl',
    connectors=dict(gl=dict(attn_init='pytorch')))
