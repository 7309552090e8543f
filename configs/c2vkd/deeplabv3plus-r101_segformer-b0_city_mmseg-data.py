# C2VKD with mmseg's Cityscapes augmentation instead of the official loader (the default before issue 25): random
# resize 0.5-2.0, 512x512 crop with class-ratio retry, flip, photometric distortion
# (c2vkd_city_mmseg_pipeline of mmseg_transkd/configs/distill/c2vkd_recipe.py), on 8 GPUs x 3 (= 24; the cross-image
# Gram term pools 3 images per GPU). Everything else as the B0 config.
_base_ = ['./deeplabv3plus-r101_segformer-b0_city.py']
train_dataloader = dict(batch_size=3, dataset=dict(pipeline=_base_.c2vkd_city_mmseg_pipeline))
