# C2VKD, CNN -> Transformer on Cityscapes: DeepLabV3+ R101 at output stride 16 (mmseg's released 80k R101-D16-MG124
# Cityscapes model; the paper's teacher is OS16) -> SegFormer MiT-B0 (ImageNet-1k pretrained encoder, new head). Data:
# the official loader (flip, long side 2048 * U[0.5, 1.75], 512x512 crop, no photometric distortion; issue 25) and its
# batch, 6 images per GPU on 4 GPUs (= 24), so the cross-image Gram term pools 6 images per GPU as in the code: train
# with `bash tools/dist_train.sh configs/c2vkd/deeplabv3plus-r101_segformer-b0_city.py 4`. Student, data pipeline and
# schedule otherwise as the student trained alone (configs/baselines/segformer_mit-b0_8xb3-50k_cityscapes-512x512.py,
# 8 GPUs x 3 = the same 24 images per step): 50k iterations, AdamW 6e-5, poly power 1.0; 512x512 sliding-window test.
# PDD is DKD per pixel (alpha = beta = 0.5, T = 1) and the student's CE is weighted 0, as in the official script. Needs
# the CLIP RN101 attention pool at checkpoints/clip_rn101_attnpool.pth (see mmseg_transkd/configs/distill/c2vkd.py).
# Variants: *_mmseg-data (mmseg's augmentation, 8 GPUs x 3), *_paper-binary (the paper's binary PDD), *_pool-both
# (student features through the frozen pool too), *_safe (CE weight 1), *_noclip (no linguistic term) and
# deeplabv3plus-r101-d8_* (mmseg's OS8 teacher).
_base_ = ['../baselines/segformer_mit-b0_8xb3-50k_cityscapes-512x512.py',
          '../../mmseg_transkd/configs/distill/c2vkd.py']
custom_imports = dict(imports=['mmseg_transkd'], allow_failed_imports=False)
student = _base_.model
student.decode_head.loss_decode.loss_weight = _base_.ce_weight
model = dict(
    _delete_=True,
    type='DistillSegmentor',
    student=student,
    teacher=_base_.c2vkd_city_teacher,
    recipe='c2vkd')
train_dataloader = dict(batch_size=6)
