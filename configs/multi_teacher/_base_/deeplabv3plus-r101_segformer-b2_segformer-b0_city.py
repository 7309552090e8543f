# Two teachers for one SegFormer MiT-B0 student on Cityscapes: a CNN, C2VKD's DeepLabV3+ R101 at output stride 16
# (mmseg's released R101-D16-MG124 80k model, `c2vkd_city_teacher`), and a Transformer, TransKD's SegFormer MiT-B2
# (mmseg's released 160k model). The student, data and schedule are the student-alone config's
# (../../baselines/segformer_mit-b0_8xb3-50k_cityscapes-512x512.py: 512x512 crops, 8 GPUs x 3, 50k iterations, AdamW
# 6e-5), as for C2VKD and the baselines on the CNN -> Transformer pair, so a run here differs from those only in its
# teachers and distillation terms. Both teachers read RGB with ImageNet mean/std, as the student. Method configs add
# their recipe entries.
_base_ = ['../../baselines/segformer_mit-b0_8xb3-50k_cityscapes-512x512.py']
custom_imports = dict(imports=['mmseg_transkd'], allow_failed_imports=False)

segformer_b2_teacher = dict(
    config='mmseg::segformer/segformer_mit-b2_8xb1-160k_cityscapes-1024x1024.py',
    checkpoint='https://download.openmmlab.com/mmsegmentation/v0.5/segformer/segformer_mit-b2_8x1_1024x1024_160k_cityscapes/segformer_mit-b2_8x1_1024x1024_160k_cityscapes_20211207_134205-6096669a.pth')  # noqa
model = dict(
    _delete_=True,
    type='DistillSegmentor',
    student=_base_.model,
    teachers=dict(cnn=_base_.c2vkd_city_teacher, vit=segformer_b2_teacher))
