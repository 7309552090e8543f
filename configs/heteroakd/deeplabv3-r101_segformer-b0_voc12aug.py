# HeteroAKD, CNN -> Transformer on Pascal VOC 2012 aug: DeepLabV3 R101-D8 (mmseg's released VOC-aug model, 21
# classes) -> SegFormer MiT-B0 (mmseg has no B0 VOC config: its MiT-B0 model with 21 classes on mmseg's VOC-aug data
# settings, 512x512 crops). CIRKD's SegFormer recipe (seeds.md §2.3, issue 16): plain AdamW lr 2e-4, weight decay 1e-4,
# no head lr multiplier, no warm-up, poly 0.9, 8 GPUs x 1; 40k iterations as mmseg's VOC schedules [I].
_base_ = [
    'mmseg::_base_/models/segformer_mit-b0.py', 'mmseg::_base_/datasets/pascal_voc12_aug.py',
    'mmseg::_base_/default_runtime.py', 'mmseg::_base_/schedules/schedule_40k.py',
    '../../mmseg_transkd/configs/distill/cirkd_recipe.py'
]
custom_imports = dict(imports=['mmseg_transkd'], allow_failed_imports=False)
crop_size = (512, 512)
mit_b0 = 'https://download.openmmlab.com/mmsegmentation/v0.5/pretrain/segformer/mit_b0_20220624-7e0fe6dd.pth'  # noqa
student = _base_.model
student.data_preprocessor.size = crop_size
student.backbone.init_cfg = dict(type='Pretrained', checkpoint=mit_b0)
student.decode_head.num_classes = 21
model = dict(
    _delete_=True,
    type='DistillSegmentor',
    student=student,
    teacher=dict(
        config='mmseg::deeplabv3/deeplabv3_r101-d8_4xb4-40k_voc12aug-512x512.py',
        checkpoint='https://download.openmmlab.com/mmsegmentation/v0.5/deeplabv3/deeplabv3_r101-d8_512x512_40k_voc12aug/deeplabv3_r101-d8_512x512_40k_voc12aug_20200613_161432-0017d784.pth'),  # noqa
    recipe='heteroakd')
train_dataloader = dict(batch_size=1)  # x 8 GPUs = 8
optim_wrapper = dict(_base_.cirkd_segformer_optim_wrapper, _delete_=True)
param_scheduler = [dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=40000, by_epoch=False)]
