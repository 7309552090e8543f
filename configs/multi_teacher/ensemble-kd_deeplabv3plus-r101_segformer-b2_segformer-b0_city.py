# Ensemble KD from two teachers, DeepLabV3+ R101-D16 (`cnn`) and SegFormer MiT-B2 (`vit`) -> SegFormer MiT-B0 on
# Cityscapes (./_base_/deeplabv3plus-r101_segformer-b2_segformer-b0_city.py): per-pixel KL towards the teachers'
# averaged class probabilities (the `ensemble_kd` recipe; mmseg_transkd/configs/distill/multi_teacher.py).
# Weights: T = 1, lambda = 1, teachers weighted equally [I] (configs/multi_teacher/README.md).
_base_ = ['./_base_/deeplabv3plus-r101_segformer-b2_segformer-b0_city.py']
model = dict(recipe='ensemble_kd')
