# HeteroAKD, CNN -> Transformer on ADE20K: DeepLabV3 R101-D8 (mmseg's released ADE20K model, 150 classes) ->
# SegFormer MiT-B0 with mmseg's ADE20K recipe (512x512 crops, 160k iterations, AdamW) at CIRKD's lr 2e-4 [I].
_base_ = ['mmseg::segformer/segformer_mit-b0_8xb2-160k_ade20k-512x512.py']
custom_imports = dict(imports=['mmseg_transkd'], allow_failed_imports=False)

model = dict(
    _delete_=True,
    type='DistillSegmentor',
    student=_base_.model,
    teacher=dict(
        config='mmseg::deeplabv3/deeplabv3_r101-d8_4xb4-160k_ade20k-512x512.py',
        checkpoint='https://download.openmmlab.com/mmsegmentation/v0.5/deeplabv3/deeplabv3_r101-d8_512x512_160k_ade20k/deeplabv3_r101-d8_512x512_160k_ade20k_20200615_105816-b1f72b3b.pth'),  # noqa
    recipe='heteroakd')
optim_wrapper = dict(optimizer=dict(lr=2e-4))
