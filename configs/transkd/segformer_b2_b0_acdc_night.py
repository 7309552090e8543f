# TransKD-Base on ACDC, trained on all four conditions as segformer_b2_b0_acdc.py, validated and tested on the
# 'night' condition only (the paper's per-condition ACDC results).
_base_ = ['./segformer_b2_b0_acdc.py']
val_dataloader = dict(dataset=dict(conditions=('night', )))
test_dataloader = dict(dataset=dict(conditions=('night', )))
