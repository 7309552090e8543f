# Teacher for the HeteroAKD pair of its Table 1(a): DeepLabV3 (ASPP head) on a MiT-B4 backbone, Cityscapes. mmseg
# releases no such model, so train it first (CIRKD recipe, 40k iterations):
#   bash tools/dist_train.sh configs/heteroakd/deeplabv3-mitb4_deeplabv3-mbv2_teacher_city.py 8
# The ASPP head reads the last MiT stage (512 ch, 1/32), as DeepLabV3 reads a backbone's last stage.
_base_ = ['mmseg::deeplabv3/deeplabv3_r101-d8_4xb2-80k_cityscapes-512x1024.py',
          '../../mmseg_transkd/configs/distill/heteroakd.py']
mit_b4 = 'https://download.openmmlab.com/mmsegmentation/v0.5/pretrain/segformer/mit_b4_20220624-d588d980.pth'  # noqa
model = dict(
    pretrained=None,
    backbone=dict(
        _delete_=True,
        type='MixVisionTransformer',
        in_channels=3,
        embed_dims=64,
        num_stages=4,
        num_layers=[3, 8, 27, 3],
        num_heads=[1, 2, 5, 8],
        patch_sizes=[7, 3, 3, 3],
        sr_ratios=[8, 4, 2, 1],
        out_indices=(0, 1, 2, 3),
        mlp_ratio=4,
        qkv_bias=True,
        drop_rate=0.0,
        attn_drop_rate=0.0,
        drop_path_rate=0.1,
        init_cfg=dict(type='Pretrained', checkpoint=mit_b4)),
    decode_head=dict(in_channels=512, in_index=3),
    auxiliary_head=dict(in_channels=320, in_index=2))
optim_wrapper = _base_.cirkd_optim_wrapper
param_scheduler = _base_.cirkd_param_scheduler
train_cfg = _base_.cirkd_train_cfg
default_hooks = dict(checkpoint=dict(interval=4000))
