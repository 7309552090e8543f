# A second demo teacher, a CNN, for the several-teacher demo (ensemble-kd_tiny-r18-b2-b0_demo.py): DeepLabV3+ with a
# ResNetV1c-18 layout at a quarter of its widths (16/32/64/128 channels), output stride 16 (layer4 dilated by 2), a
# depthwise-separable ASPP head (rates 1/2/3/4 for the 8x8 grid of a 128x128 crop) and the 1/4 skip of stage 1.
# Randomly initialised (no download); trained with the demo teacher's schedule (segformer_tiny-b2_demo.py, 1200
# iterations). It reads BGR images with caffe-style statistics (mean subtracted, no scaling), as older CNN checkpoints
# do, while the student reads RGB with ImageNet mean/std: the distiller renormalises the student's input for it.
#   python tools/train.py configs/demo/deeplabv3plus_tiny-r18_demo.py   # -> work_dirs/deeplabv3plus_tiny-r18_demo/
_base_ = ['./segformer_tiny-b2_demo.py']
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    _delete_=True,
    type='EncoderDecoder',
    data_preprocessor=dict(
        type='SegDataPreProcessor', mean=[103.53, 116.28, 123.675], std=[1.0, 1.0, 1.0], bgr_to_rgb=False,
        pad_val=0, seg_pad_val=255, size=(128, 128)),
    backbone=dict(
        type='ResNetV1c', depth=18, stem_channels=16, base_channels=16, num_stages=4, out_indices=(0, 1, 2, 3),
        strides=(1, 2, 2, 1), dilations=(1, 1, 1, 2), norm_cfg=norm_cfg, norm_eval=False, contract_dilation=True),
    decode_head=dict(
        type='DepthwiseSeparableASPPHead', in_channels=128, in_index=3, channels=64, dilations=(1, 2, 3, 4),
        c1_in_channels=16, c1_channels=12, dropout_ratio=0.1, num_classes=19, norm_cfg=norm_cfg,
        align_corners=False, loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
