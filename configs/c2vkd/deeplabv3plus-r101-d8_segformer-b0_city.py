# C2VKD on Cityscapes with mmseg's output-stride-8 teacher (DeepLabV3+ R101-D8, the released 80k Cityscapes model):
# the variant for users of the D8 model. Layer4 is 64x64 at 512x512 and is resized bilinearly to the 32x32 common grid
# for the VLFD terms; the attention pool takes it at 64x64, its positional embedding interpolated to that grid [I].
# Everything else as the OS16 B0 config.
_base_ = ['./deeplabv3plus-r101_segformer-b0_city.py']
model = dict(teacher=_base_.c2vkd_city_teacher_os8)
