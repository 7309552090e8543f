# Teacher for the HeteroAKD pair of its Table 1(a): DeepLabV3 (ASPP head) on a MiT-B4 backbone, Cityscapes. mmseg
# releases no such model, so train it first:
#   bash tools/dist_train.sh configs/heteroakd/deeplabv3-mitb4_deeplabv3-mbv2_teacher_city.py 8
# A transformer recipe (issue 16): mmseg's own SegFormer MiT-B4 Cityscapes config (ImageNet MiT-B4, 1024x1024 crops,
# 8 GPUs x 1, 160k iterations, AdamW lr 6e-5, weight decay 0.01 (none on norms and pos_block), head lr x10, 1500
# warm-up iterations, poly 1.0, slide test) with its all-MLP head replaced by DeepLabV3's heads [I]. The ASPP head and
# the FCN auxiliary head are those of mmseg's DeepLabV3 config (rates 1/12/24/36, 512 channels; auxiliary on stage 3,
# weight 0.4), reading the last MiT stage (512 ch, 1/32) as DeepLabV3 reads a backbone's last stage [I].
_base_ = ['mmseg::segformer/segformer_mit-b4_8xb1-160k_cityscapes-1024x1024.py']
norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    decode_head=dict(
        _delete_=True,
        type='ASPPHead',
        in_channels=512,
        in_index=3,
        channels=512,
        dilations=(1, 12, 24, 36),
        dropout_ratio=0.1,
        num_classes=19,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    auxiliary_head=dict(
        type='FCNHead',
        in_channels=320,
        in_index=2,
        channels=256,
        num_convs=1,
        concat_input=False,
        dropout_ratio=0.1,
        num_classes=19,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.4)))
default_hooks = dict(checkpoint=dict(interval=16000))
