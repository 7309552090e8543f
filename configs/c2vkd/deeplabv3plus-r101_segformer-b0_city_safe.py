# C2VKD "safe" preset [I] (spec §1.5/§1.8): the student's CE added with weight 1 (ce_weight = 1), the escape hatch if
# training with labels through PDD only is unstable. Everything else as the faithful B0 config.
_base_ = ['./deeplabv3plus-r101_segformer-b0_city.py']
ce_weight = 1.0
model = dict(student=dict(decode_head=dict(loss_decode=dict(loss_weight=ce_weight))))
