# The KA student alone (He et al., CVPR 2019, arXiv 1903.04688; seeds.md §3.1): MobileNetV2 "without ASPP and
# decoder", atrous convolution giving output stride 16, a 1x1 classifier on its last (320-channel) feature.
# [I] mmseg's MobileNetV2 FCN Cityscapes config (ImageNet-pretrained mmcls://mobilenet_v2, 512x1024 crops, SGD 0.01,
# 80k iterations, 4 GPUs x 2 images) with: strides (1,2,2,2,1,1,1) and dilations (1,1,1,1,1,2,2) (OS16, the last two
# layers dilated instead of strided), mmseg's out_indices, FCNHead on the last stage with no conv (num_convs=0:
# dropout 0.1 + a 1x1 conv, i.e. a plain classifier), and no auxiliary head. This is also the "student alone" baseline.
_base_ = 'mmseg::mobilenet_v2/mobilenet-v2-d8_fcn_4xb2-80k_cityscapes-512x1024.py'
model = dict(
    backbone=dict(strides=(1, 2, 2, 2, 1, 1, 1), dilations=(1, 1, 1, 1, 1, 2, 2), out_indices=(1, 2, 4, 6)),
    decode_head=dict(in_channels=320, in_index=3, channels=320, num_convs=0, concat_input=False),
    auxiliary_head=None)
