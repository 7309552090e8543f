# C2VKD on Pascal VOC 2012 aug (21 classes): DeepLabV3+ R101-D8 (mmseg's released 40k VOC-aug model) -> SegFormer
# MiT-B0, on mmseg's VOC-aug data settings (512x512 crops, whole-image test) with the paper's recipe (8x3, 50k, AdamW
# 6e-5, poly 1.0) [I: the paper states the recipe for Cityscapes].
# mmseg releases no output-stride-16 DeepLabV3+ R101 for VOC (the paper's VOC teacher, 75.77 mIoU, is OS16), so
# this config keeps the OS8 model; the VLFD losses resize its 1/8 layer4 to the 1/16 grid.
_base_ = [
    'mmseg::_base_/models/segformer_mit-b0.py', 'mmseg::_base_/datasets/pascal_voc12_aug.py',
    'mmseg::_base_/default_runtime.py', 'mmseg::_base_/schedules/schedule_80k.py',
    '../../mmseg_transkd/configs/distill/c2vkd.py', '../../mmseg_transkd/configs/distill/c2vkd_recipe.py'
]
custom_imports = dict(imports=['mmseg_transkd'], allow_failed_imports=False)
crop_size = (512, 512)
mit_b0 = 'https://download.openmmlab.com/mmsegmentation/v0.5/pretrain/segformer/mit_b0_20220624-7e0fe6dd.pth'  # noqa
student = _base_.model
student.data_preprocessor.size = crop_size
student.backbone.init_cfg = dict(type='Pretrained', checkpoint=mit_b0)
student.decode_head.num_classes = 21
student.decode_head.loss_decode.loss_weight = _base_.ce_weight
model = dict(
    _delete_=True,
    type='DistillSegmentor',
    student=student,
    teacher=dict(
        config='mmseg::deeplabv3plus/deeplabv3plus_r101-d8_4xb4-40k_voc12aug-512x512.py',
        checkpoint='https://download.openmmlab.com/mmsegmentation/v0.5/deeplabv3plus/deeplabv3plus_r101-d8_512x512_40k_voc12aug/deeplabv3plus_r101-d8_512x512_40k_voc12aug_20200613_205333-faf03387.pth'),  # noqa
    recipe='c2vkd')
train_dataloader = dict(batch_size=3)
optim_wrapper = dict(_delete_=True, **_base_.c2vkd_optim_wrapper)
param_scheduler = _base_.c2vkd_param_scheduler
train_cfg = _base_.c2vkd_train_cfg
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=5000))
