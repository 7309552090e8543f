# The KA student alone (He et al., CVPR 2019, arXiv 1903.04688; seeds.md §3.1; issue 16): MobileNetV2 at output stride
# 16 with the head of TF-DeepLab's MobileNetV2 models (image pooling + 1x1-256 branch, 1x1 projection to 256, dropout,
# 1x1 classifier; no atrous branches, no decoder), `ka_student_backbone` / `ka_student_head` of
# mmseg_transkd/configs/distill/ka.py. Also the "student alone" baseline.
# The paper's student recipe (seeds.md §3.3, issue 25): SGD lr 0.007, momentum 0.9, weight decay 4e-5, TF-DeepLab's
# poly 0.9, 90k iterations, batch 16 = 8 GPUs x 2 [I: the layout]. [I] Data and evaluation: the teacher's mmseg config
# (DeepLabV3+ R50-D8 Cityscapes: 512x1024 crops, whole-image test).
_base_ = ['mmseg::deeplabv3plus/deeplabv3plus_r50-d8_4xb2-80k_cityscapes-512x1024.py', '../../mmseg_transkd/configs/distill/ka.py']
custom_imports = dict(imports=['mmseg_transkd'], allow_failed_imports=False)
model = dict(
    pretrained='mmcls://mobilenet_v2',
    backbone=dict(_base_.ka_student_backbone, _delete_=True),
    decode_head=dict(_base_.ka_student_head, _delete_=True, num_classes=19),
    auxiliary_head=None)
train_dataloader = dict(batch_size=2)
optim_wrapper = dict(_delete_=True, **_base_.ka_student_optim_wrapper)
param_scheduler = _base_.ka_student_param_scheduler_90k
train_cfg = _base_.ka_student_train_cfg_90k
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=9000))
