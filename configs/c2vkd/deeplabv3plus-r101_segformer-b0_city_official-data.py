# C2VKD with the official script's Cityscapes data recipe: flip, long side rescaled to 2048 * U[0.5, 1.75], 512x512
# random crop, no photometric distortion (mmseg_transkd/configs/distill/c2vkd_recipe.py), and its batch: 6 images per
# GPU on 4 GPUs (= 24), so the cross-image Gram term pools 6 images per GPU as in the code. Train with bash
# tools/dist_train.sh configs/c2vkd/deeplabv3plus-r101_segformer-b0_city_official-data.py 4 Everything else as the B0
# config (OS16 teacher, DKD-style PDD, CE weight 0, 50k iterations, sliding-window test).
_base_ = ['./deeplabv3plus-r101_segformer-b0_city.py']
train_dataloader = dict(batch_size=6, dataset=dict(pipeline=_base_.c2vkd_city_official_pipeline))
