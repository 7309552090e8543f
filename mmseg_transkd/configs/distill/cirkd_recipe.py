# CIRKD's recipe for CNN students (Yang et al., CVPR 2022; seeds.md §2.3): SGD lr 0.02, momentum 0.9, wd 1e-4,
# poly 0.9, 40k iterations, batch 16 (8 GPUs x 2 images), 512x1024 crops on Cityscapes. A fragment: variables only.
cirkd_optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=1e-4), clip_grad=None)
cirkd_param_scheduler = [dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=40000, by_epoch=False)]
cirkd_train_cfg = dict(type='IterBasedTrainLoop', max_iters=40000, val_interval=4000)

# CIRKD's recipe for SegFormer students (seeds.md §2.3; issue 16): plain AdamW (lr 2e-4, betas 0.9/0.999, weight
# decay 1e-4, no per-parameter multipliers, no warm-up), poly 0.9, 160k iterations, batch 8 in total (8 GPUs x 1),
# 1024x1024 crops on Cityscapes. Configs set `optim_wrapper = dict(_base_.cirkd_segformer_optim_wrapper,
# _delete_=True)`: merged into mmseg's SegFormer wrapper it would keep that one's paramwise_cfg (head lr x10).
cirkd_segformer_optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='AdamW', lr=2e-4, betas=(0.9, 0.999), weight_decay=1e-4), clip_grad=None)
cirkd_segformer_param_scheduler = [dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=160000, by_epoch=False)]
cirkd_segformer_train_cfg = dict(type='IterBasedTrainLoop', max_iters=160000, val_interval=16000)
