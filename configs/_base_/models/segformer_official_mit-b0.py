# The SegFormer of the official TransKD release (spec §0) in mmseg: MiT-B0 with the release's LayerNorm epsilons, the
# official all-MLP head (D = 256, 20 outputs: 19 classes + the release's void channel 19), no mean/std normalisation
# (ToTensor: RGB / 255), randomly initialised (the release's KD students are not pretrained). Class-weighted CE with
# the release's weights; void stays 255 = ignore, which gives the same loss as the release's zero-weight class 19.
transkd_class_weight = [
    2.5959737, 6.741505, 3.5353868, 9.866315, 9.690922, 9.369371, 10.289124, 9.953209, 4.3098087, 9.490392, 7.674411,
    9.396925, 10.347794, 6.3928986, 10.226673, 10.241072, 10.28059, 10.396977, 10.05567, 0.0
]
norm_cfg = dict(type='BN', requires_grad=True)
data_preprocessor = dict(
    type='SegDataPreProcessor', mean=[0.0, 0.0, 0.0], std=[255.0, 255.0, 255.0], bgr_to_rgb=True, pad_val=0,
    seg_pad_val=255, size=(512, 1024))
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='OfficialMixVisionTransformer', in_channels=3, embed_dims=32, num_stages=4, num_layers=[2, 2, 2, 2],
        num_heads=[1, 2, 5, 8], patch_sizes=[7, 3, 3, 3], sr_ratios=[8, 4, 2, 1], out_indices=(0, 1, 2, 3),
        mlp_ratio=4, qkv_bias=True, drop_rate=0.0, attn_drop_rate=0.0, drop_path_rate=0.1, init_cfg=None),
    decode_head=dict(
        type='OfficialSegformerHead', in_channels=[32, 64, 160, 256], in_index=[0, 1, 2, 3], channels=256,
        dropout_ratio=0.1, num_classes=20, norm_cfg=norm_cfg, align_corners=False,
        loss_decode=dict(type='ClassWeightedCELoss', class_weight=transkd_class_weight, loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
