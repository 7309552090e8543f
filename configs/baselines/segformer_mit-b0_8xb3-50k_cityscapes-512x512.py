# SegFormer MiT-B0 trained alone (CE only) with C2VKD's Cityscapes recipe: the reference every KD increment on the
# DeepLabV3+ R101 -> MiT-B0 pair is measured against (C2VKD and the baselines on the pair use the same student, data and
# schedule, from mmseg_transkd/configs/distill/c2vkd_recipe.py). C2VKD's official data loader (flip, long side 2048 *
# U[0.5, 1.75], 512x512 crops, no photometric distortion), 8 GPUs x 3, 50k iterations, AdamW 6e-5, poly 1.0 after a
# 1500-iteration warm-up, 512x512 sliding-window test. A plain mmseg config (no plugin needed).
_base_ = [
    'mmseg::_base_/models/segformer_mit-b0.py', 'mmseg::_base_/datasets/cityscapes.py',
    'mmseg::_base_/default_runtime.py', 'mmseg::_base_/schedules/schedule_80k.py',
    '../../mmseg_transkd/configs/distill/c2vkd_recipe.py'
]
crop_size = (512, 512)
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(init_cfg=_base_.c2vkd_mit_b0_init),
    test_cfg=_base_.c2vkd_city_test_cfg)
train_dataloader = dict(batch_size=3, dataset=dict(pipeline=_base_.c2vkd_city_train_pipeline))
optim_wrapper = dict(_delete_=True, **_base_.c2vkd_optim_wrapper)
param_scheduler = _base_.c2vkd_param_scheduler
train_cfg = _base_.c2vkd_train_cfg
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=5000))
