# HeteroAKD, Transformer -> CNN: SegFormer MiT-B4 (mmseg's released Cityscapes model) -> DeepLabV3 R18-D8 on
# Cityscapes, 512x1024 crops, CIRKD recipe (8 GPUs x 2 images, 40k iterations, SGD 0.02). Teacher stage 4 (512 ch,
# 1/32) and student stage 4 (512 ch, 1/8) meet in the 19-class logits space at the student's grid.
_base_ = ['mmseg::deeplabv3/deeplabv3_r18-d8_4xb2-80k_cityscapes-512x1024.py',
          '../../mmseg_transkd/configs/distill/heteroakd.py']
custom_imports = dict(imports=['mmseg_transkd'], allow_failed_imports=False)

model = dict(
    _delete_=True,
    type='DistillSegmentor',
    student=_base_.model,
    teacher=dict(
        config='mmseg::segformer/segformer_mit-b4_8xb1-160k_cityscapes-1024x1024.py',
        checkpoint='https://download.openmmlab.com/mmsegmentation/v0.5/segformer/segformer_mit-b4_8x1_1024x1024_160k_cityscapes/segformer_mit-b4_8x1_1024x1024_160k_cityscapes_20211207_080709-07f6c333.pth'),  # noqa
    recipe='heteroakd')
optim_wrapper = _base_.cirkd_optim_wrapper
param_scheduler = _base_.cirkd_param_scheduler
train_cfg = _base_.cirkd_train_cfg
default_hooks = dict(checkpoint=dict(interval=4000))
