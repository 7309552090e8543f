# A heterogeneous pair of HeteroAKD's tables, Transformer -> CNN: SegFormer MiT-B4 (mmseg's released Cityscapes
# model) -> DeepLabV3 R18-D8 on Cityscapes, with the recipe of configs/heteroakd/segformer-b4_deeplabv3-r18_city.py so
# the baselines compare with HeteroAKD: CIRKD's CNN recipe (512x1024 crops, SGD 0.02, poly 0.9, 40k iterations,
# 8 GPUs x 2). Method configs add their building blocks.
_base_ = [
    'mmseg::deeplabv3/deeplabv3_r18-d8_4xb2-80k_cityscapes-512x1024.py', '../../../mmseg_transkd/configs/distill/baselines.py'
]
custom_imports = dict(imports=['mmseg_transkd'], allow_failed_imports=False)

teacher_config = 'mmseg::segformer/segformer_mit-b4_8xb1-160k_cityscapes-1024x1024.py'
teacher_checkpoint = 'https://download.openmmlab.com/mmsegmentation/v0.5/segformer/segformer_mit-b4_8x1_1024x1024_160k_cityscapes/segformer_mit-b4_8x1_1024x1024_160k_cityscapes_20211207_080709-07f6c333.pth'  # noqa
model = dict(
    _delete_=True,
    type='DistillSegmentor',
    student=_base_.model,
    teacher=dict(config=teacher_config, checkpoint=teacher_checkpoint))
train_dataloader = dict(batch_size=2)  # x 8 GPUs = 16
optim_wrapper = _base_.cirkd_optim_wrapper
param_scheduler = _base_.cirkd_param_scheduler
train_cfg = _base_.cirkd_train_cfg
default_hooks = dict(checkpoint=dict(interval=4000))
