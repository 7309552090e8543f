# C2VKD's recipe on the CNN -> Transformer pair (a fragment: variables only). Shared by the C2VKD configs
# (configs/c2vkd/), the student trained alone and the classic baselines on the same pair (configs/baselines/
# *deeplabv3plus-r101_segformer-b{0,1}_city*.py), so that a comparison differs only in the distillation terms.

# Teachers: mmseg's released DeepLabV3+ R101 Cityscapes models. The paper's teacher runs at output stride 16 (77.48
# Cityscapes val mIoU, spec §1.1; torchvision ResNet-101 with layer4 dilated by 2, ASPP rates 6/12/18). mmseg's OS16
# model (R101-D16-MG124: layer4 dilated by 2 with multi-grid (1, 2, 4), ASPP rates 6/12/18) is the closest released one
# [I]; its 80k checkpoint (79.90 mIoU in mmseg's metafile; the 40k one has 79.09) is the default teacher. mmseg releases
# no OS16 DeepLabV3+ R101 for Pascal VOC or ADE20K: those configs keep the OS8 (R101-D8) models.
c2vkd_city_teacher = dict(
    config='mmseg::deeplabv3plus/deeplabv3plus_r101-d16-mg124_4xb2-80k_cityscapes-512x1024.py',
    checkpoint='https://download.openmmlab.com/mmsegmentation/v0.5/deeplabv3plus/deeplabv3plus_r101-d16-mg124_512x1024_80k_cityscapes/deeplabv3plus_r101-d16-mg124_512x1024_80k_cityscapes_20200908_005644-ee6158e0.pth')  # noqa
# The OS8 variant (the configs before issue 15): layer4 at 1/8, resized to the 1/16 grid by the VLFD losses.
c2vkd_city_teacher_os8 = dict(
    config='mmseg::deeplabv3plus/deeplabv3plus_r101-d8_4xb2-80k_cityscapes-512x1024.py',
    checkpoint='https://download.openmmlab.com/mmsegmentation/v0.5/deeplabv3plus/deeplabv3plus_r101-d8_512x1024_80k_cityscapes/deeplabv3plus_r101-d8_512x1024_80k_cityscapes_20200606_114143-068fcfe9.pth')  # noqa

# Students: SegFormer MiT-B0 / B1, ImageNet-1k-pretrained encoder, new head. `c2vkd_mit_b1` turns mmseg's MiT-B0 model
# (segformer_mit-b0.py) into MiT-B1 (widths 64/128/320/512).
c2vkd_mit_b0_init = dict(
    type='Pretrained',
    checkpoint='https://download.openmmlab.com/mmsegmentation/v0.5/pretrain/segformer/mit_b0_20220624-7e0fe6dd.pth')  # noqa
c2vkd_mit_b1 = dict(
    backbone=dict(
        embed_dims=64, num_layers=[2, 2, 2, 2],
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmsegmentation/v0.5/pretrain/segformer/mit_b1_20220624-02e5a6a1.pth')),  # noqa
    decode_head=dict(in_channels=[64, 128, 320, 512]))

# Cityscapes data, 512x512 crops (paper §IV-B, spec §1.6); evaluation on the full 1024x2048 image by 512x512 sliding
# window [I: stride 341 = 2/3 of the crop].
c2vkd_city_test_cfg = dict(mode='slide', crop_size=(512, 512), stride=(341, 341))
# Default (issue 25): the official Cityscapes loader: flip, long side rescaled to base * U[0.5, 1.75], random crop, no
# photometric distortion. [I] base = 2048, the native long side (RandomResize's scale (2048, 1024) x ratio keeps the
# 2:1 frames' long side at exactly 2048 * ratio); a plain crop (cat_max_ratio=1.0, mmseg's default: no class-ratio
# retry). The smallest frame (1024x512) still covers the 512x512 crop, so nothing is padded. The student alone and the
# baselines on the pair read it too, so they see the data C2VKD sees.
c2vkd_city_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomResize', scale=(2048, 1024), ratio_range=(0.5, 1.75), keep_ratio=True),
    dict(type='RandomCrop', crop_size=(512, 512), cat_max_ratio=1.0),
    dict(type='PackSegInputs')
]
# The named variant (configs/c2vkd/*_mmseg-data.py, the default before issue 25): mmseg's Cityscapes augmentation with
# 512x512 crops (ratio 0.5-2.0, class-ratio crop retry, flip, photometric distortion).
c2vkd_city_mmseg_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=(2048, 1024), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=(512, 512), cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs')
]

# Optimisation (paper §IV-B/C as read in spec §1.6): AdamW lr 6e-5 (weight decay 0.01 as the code), batch 24 (the
# C2VKD Cityscapes configs run the official script's 4 GPUs x 6; the student alone and the baselines 8 x 3), 50k
# iterations, poly decay power 1.0 to 0 after a 1500-iteration linear warm-up (the code's) [I].
c2vkd_optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='AdamW', lr=6e-5, betas=(0.9, 0.999), weight_decay=0.01))
c2vkd_param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0, end=1500),
    dict(type='PolyLR', eta_min=0.0, power=1.0, begin=1500, end=50000, by_epoch=False)]
c2vkd_train_cfg = dict(type='IterBasedTrainLoop', max_iters=50000, val_interval=5000)
