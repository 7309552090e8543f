# One recipe per teacher, DeepLabV3+ R101-D16 (`cnn`) and SegFormer MiT-B2 (`vit`) -> SegFormer MiT-B0 on Cityscapes
# (./_base_/deeplabv3plus-r101_segformer-b2_segformer-b0_city.py): TransKD-Base (CSF + HCL, PEA) from the MiT-B2,
# whose stages and patch embeddings match the student's layout, and CWD on the logits from the CNN with the weights of
# the CWD baseline for SegFormer students (`cwd_segformer`: T = 4, lambda = 0.3, CIRKD's train_cwd.sh). Each entry
# keeps its recipe's own weights (weight=1.0 multiplies them) [I]. Names in the log: loss_csf_vit, loss_pea_vit,
# loss_cwd_cnn; references T.vit.feats, T.vit.embeds, T.cnn.logits.
_base_ = ['./_base_/deeplabv3plus-r101_segformer-b2_segformer-b0_city.py']
model = dict(recipe=[
    dict(recipe='transkd_base', teacher='vit', weight=1.0),
    dict(recipe='cwd_segformer', teacher='cnn', weight=1.0),
])
