# Forward-hook recorders shared by the distillation fragments (a fragment: variables only).
# mmseg heads call self.forward directly, so a hook on a head itself would not fire: logits are recorded at the
# decode head's classifier conv. The distiller runs the teacher's decode head only when a connector or loss reads a
# teacher recorder that sits in it (e.g. T.logits); otherwise the teacher stops after its backbone (and neck).
backbone_stages = dict(type='ModuleOutputsRecorder', source='backbone')  # every stage, shallow to deep
last_stage = dict(type='ModuleOutputsRecorder', source='backbone', index=-1)  # [deepest stage] (a 1-element list)
head_logits = dict(type='ModuleOutputsRecorder', source='decode_head.conv_seg')  # B x K x h x w final logits
