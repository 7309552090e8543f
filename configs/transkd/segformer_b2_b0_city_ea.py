# TransKD-EA (arXiv 2202.13393): TransKD-Base plus the Embedding Assistant: extra patch embeddings of the inputs of the
# student's patch embeddings, at the teacher's width, fused with the PEA outputs by learnable weights (0.1 ... 0.8).
_base_ = ['./segformer_b2_b0_city.py']

model = dict(
    student_recorders=dict(
        # the tensor entering each student PatchEmbed: the image, then the previous stage's output map
        stage_inputs=dict(type='ModuleInputsRecorder', source='backbone', module_type='PatchEmbed')),
    connectors=dict(
        ea=dict(
            type='EmbeddingAssistant',
            inputs=['C.pea', 'S.stage_inputs'],
            channels_from=dict(in_channels='S.stage_inputs', out_channels='T.embeds'),
            kernel_sizes={{_base_.model.student.backbone.patch_sizes}},
            norm_eps=1e-5)),
    distill_losses=dict(loss_pea=dict(inputs=dict(preds_S='C.ea'))))
