# SegFormer MiT-B0 alone under TransKD's own protocol on Cityscapes (the release's "Student (B0)" row): the official
# architecture (OfficialMixVisionTransformer + OfficialSegformerHead, 20 outputs), not pretrained, inputs not
# normalised, whole 512x1024 images, labels at 1/4, class-weighted CE, AdamW 6e-5, 1000 epochs at batch 2 (1 GPU).
# Evaluates a converted official student too (tools/convert_official_transkd.py). Validation and test use mmseg's
# full-resolution mIoU; the *_official-eval.py sibling uses the release's protocol (labels at 1/8 of native).
_base_ = [
    '../_base_/models/segformer_official_mit-b0.py', '../_base_/datasets/cityscapes_transkd_paper.py',
    'mmseg::_base_/default_runtime.py', '../_base_/schedules/transkd_paper_1000e.py'
]
custom_imports = dict(imports=['mmseg_transkd'], allow_failed_imports=False)
data_preprocessor = dict(size=(512, 1024))
model = dict(data_preprocessor=data_preprocessor)
log_processor = dict(by_epoch=True)
