# TransKD-Base on ACDC, trained on all four conditions as segformer_b2_b0_acdc.py, validated and tested on the
# 'fog' condition only (the paper's per-condition ACDC results).
_base_ = ['./segformer_b2_b0_acdc.py']
val_dataloader = dict(dataset=dict(conditions=('fog', )))
test_dataloader = dict(dataset=dict(conditions=('fog', )))
