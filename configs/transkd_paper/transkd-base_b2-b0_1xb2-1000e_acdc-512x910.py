# TransKD-Base (arXiv 2202.13393) under the paper's own protocol on ACDC (all conditions): CSF + HCL on the stage maps, PEA +
# stage-weighted MSE on the patch embeddings, class-weighted CE on 1/4-resolution labels, non-pretrained official
# MiT-B0 student, whole 512x910 inputs without normalisation, AdamW 6e-5 wd 0.01 on every parameter, 1000 epochs.
# The teacher is the release's SegFormer-B2 ACDC teacher converted to mmseg:
#   python tools/convert_official_transkd.py segformerb2_teacher_acdc.pth checkpoints/segformerb2_teacher_acdc_mmseg.pth
# (the release's TransKD-Base script loads its Cityscapes teacher on ACDC, spec §3.2; the *_release.py sibling does
# the same, this config fixes it).
# CSF uses the fixed single bottleneck; to load a converted official wrapper checkpoint add
#   --cfg-options model.connectors.csf.bottleneck=official load_from=<converted .pth>
_base_ = ['./segformer-official-b0_1xb2-1000e_acdc-512x910.py']
teacher_config = '{{fileDirname}}/segformer-official-b2_1xb2-1000e_acdc-512x910.py'
teacher_checkpoint = 'checkpoints/segformerb2_teacher_acdc_mmseg.pth'
model = dict(
    _delete_=True,
    type='DistillSegmentor',
    student=_base_.model,
    teacher=dict(config=teacher_config, checkpoint=teacher_checkpoint),
    recipe='transkd_base')
