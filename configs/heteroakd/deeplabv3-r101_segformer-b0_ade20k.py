# HeteroAKD, CNN -> Transformer on ADE20K: DeepLabV3 R101-D8 (mmseg's released ADE20K model, 150 classes) ->
# SegFormer MiT-B0. mmseg's ADE20K MiT-B0 model and data (512x512 crops), CIRKD's SegFormer recipe (seeds.md §2.3,
# issue 16): plain AdamW lr 2e-4, weight decay 1e-4, no head lr multiplier, no warm-up, poly 0.9, 160k iterations,
# 8 GPUs x 1 [I: CIRKD's 160k is its Cityscapes length; it is also mmseg's ADE20K length].
_base_ = ['mmseg::segformer/segformer_mit-b0_8xb2-160k_ade20k-512x512.py', '../../mmseg_transkd/configs/distill/cirkd_recipe.py']
custom_imports = dict(imports=['mmseg_transkd'], allow_failed_imports=False)

model = dict(
    _delete_=True,
    type='DistillSegmentor',
    student=_base_.model,
    teacher=dict(
        config='mmseg::deeplabv3/deeplabv3_r101-d8_4xb4-160k_ade20k-512x512.py',
        checkpoint='https://download.openmmlab.com/mmsegmentation/v0.5/deeplabv3/deeplabv3_r101-d8_512x512_160k_ade20k/deeplabv3_r101-d8_512x512_160k_ade20k_20200615_105816-b1f72b3b.pth'),  # noqa
    recipe='heteroakd')
train_dataloader = dict(batch_size=1)  # x 8 GPUs = 8
optim_wrapper = dict(_base_.cirkd_segformer_optim_wrapper, _delete_=True)
param_scheduler = _base_.cirkd_segformer_param_scheduler
train_cfg = _base_.cirkd_segformer_train_cfg
default_hooks = dict(checkpoint=dict(interval=16000))
