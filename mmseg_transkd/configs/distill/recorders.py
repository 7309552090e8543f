# Forward-hook recorders shared by the distillation fragments (a fragment: variables only).
# mmseg heads call self.forward directly, so a hook on a head itself would not fire: logits are recorded at the
# decode head's classifier conv, the head's fused feature at the input of its classifier (HeadFeatureRecorder). The
# distiller runs the teacher's decode head only when a connector or loss reads a teacher recorder that sits in it
# (e.g. T.logits, T.feat on head_feature); otherwise the teacher stops after its backbone (and neck).
backbone_stages = dict(type='ModuleOutputsRecorder', source='backbone')  # every stage, shallow to deep
last_stage = dict(type='ModuleOutputsRecorder', source='backbone', index=-1)  # [deepest stage] (a 1-element list)
head_logits = dict(type='ModuleOutputsRecorder', source='decode_head.conv_seg')  # B x K x h x w final logits
# [the decode head's fused feature] before the classifier's dropout: DeepLabV3 after ASPP (ASPPHead.bottleneck),
# PSPNet after the PSP module (PSPHead.bottleneck), SegFormer's fused map (SegformerHead.fusion_conv)
head_feature = dict(type='HeadFeatureRecorder', head='decode_head')
