# transkd-ea_b2-b0_1xb2-1000e_acdc-512x910.py evaluated with the official TransKD mIoU protocol (spec §3.3): labels nearest-resized once from native
# resolution to the 1/4 logit grid of the 512-high input (Cityscapes 128x256, ACDC 128x228) and compared with the
# argmax of the raw 1/4-resolution logits, mIoU over all 19 classes (OfficialIoUMetric). tools/test.py on this config
# prints numbers under the release's protocol.
_base_ = ['./transkd-ea_b2-b0_1xb2-1000e_acdc-512x910.py']
test_dataloader = dict(dataset=dict(pipeline=_base_.official_test_pipeline))
test_evaluator = _base_.official_evaluator
