"""The DistillSegmentor on a tiny MiT pair: frozen teacher, hooks, loss keys, checkpoint contents, bad input."""
import copy

import pytest
import torch
from mmengine.optim import OptimWrapper
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from mmengine.structures import PixelData

from tiny import expanded, tiny_cfg, write_teacher_checkpoint


def build(variant, city_root, tmp_path, **overrides):
    cfg = tiny_cfg(variant, city_root, str(tmp_path / 'work'))
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.update(overrides)
    return MODELS.build(model_cfg), cfg


def fake_batch(n=2, hw=(64, 64), seed=0):
    g = torch.Generator().manual_seed(seed)
    inputs = [torch.randint(0, 255, (3, *hw), generator=g, dtype=torch.uint8) for _ in range(n)]
    samples = []
    for _ in range(n):
        s = SegDataSample(metainfo=dict(img_shape=hw, ori_shape=hw, pad_shape=hw))
        s.gt_sem_seg = PixelData(data=torch.randint(0, 19, (1, *hw), generator=g))
        samples.append(s)
    return dict(inputs=inputs, data_samples=samples)


@pytest.mark.parametrize('variant,keys', [('base', {'loss_csf', 'loss_pea'}), ('gl', {'loss_csf', 'loss_pea'}),
                                          ('ea', {'loss_csf', 'loss_pea'})])
def test_train_steps_keep_teacher_frozen(variant, keys, city_root, tmp_path):
    model, _ = build(variant, city_root, tmp_path)
    teacher_before = {k: v.clone() for k, v in model.teacher.state_dict().items()}
    optim = OptimWrapper(torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-3))
    model.train()
    assert not any(m.training for m in model.teacher.modules()), 'teacher must stay in eval mode'
    assert not any(p.requires_grad for p in model.teacher.parameters())
    student_before = {k: v.clone() for k, v in model.student.state_dict().items()}
    for step in range(2):
        log_vars = model.train_step(fake_batch(seed=step), optim)
        assert keys | {'decode.loss_ce', 'loss'} <= set(log_vars)
        assert all(torch.isfinite(torch.as_tensor(v)) for v in log_vars.values())
    for k, v in model.teacher.state_dict().items():
        assert torch.equal(v, teacher_before[k]), f'teacher tensor {k} changed'
    assert any(not torch.equal(v, student_before[k]) for k, v in model.student.state_dict().items())
    # one explicit backward: the teacher gets no gradient, every connector parameter does (DDP needs no
    # find_unused_parameters), and the KD terms alone reach the student backbone
    data = model.data_preprocessor(fake_batch(seed=5), True)
    losses = model.loss(**data)
    sum(v for k, v in losses.items() if k in keys).backward()
    assert all(p.grad is None for p in model.teacher.parameters())
    assert all(p.grad is not None for p in model.connectors.parameters())
    assert model.student.backbone.layers[0][0].projection.weight.grad.abs().sum() > 0


def test_recorded_tensors_are_mit_stages_and_patch_embeddings(city_root, tmp_path):
    model, _ = build('ea', city_root, tmp_path)
    x = torch.randn(2, 3, 64, 64)
    tensors, _ = model.distill_tensors(x)
    got = {ref: [tuple(t.shape) for t in v] for ref, v in tensors.items()}
    assert got['S.feats'] == [(2, 8, 16, 16), (2, 16, 8, 8), (2, 40, 4, 4), (2, 64, 2, 2)]
    assert got['T.feats'] == [(2, 16, 16, 16), (2, 32, 8, 8), (2, 80, 4, 4), (2, 128, 2, 2)]
    assert got['S.embeds'] == [(2, 256, 8), (2, 64, 16), (2, 16, 40), (2, 4, 64)]
    assert got['T.embeds'] == [(2, 256, 16), (2, 64, 32), (2, 16, 80), (2, 4, 128)]
    assert got['S.stage_inputs'] == [(2, 3, 64, 64), (2, 8, 16, 16), (2, 16, 8, 8), (2, 40, 4, 4)]
    # channels came from the networks
    assert [u.conv2.conv.out_channels for u in model.connectors.csf.units] == [16, 32, 80, 128]
    assert [p.in_features for p in model.connectors.pea.projs] == [8, 16, 40, 64]
    # hooks record nothing outside loss(): validation keeps no tensors alive
    model.eval()
    model._forward(x)
    assert all(v is None for r in model.recorders.values() for v in r._slots)


def test_teacher_runs_backbone_only(city_root, tmp_path):
    model, _ = build('base', city_root, tmp_path)
    calls = []
    model.teacher.decode_head.register_forward_hook(lambda *a: calls.append(1))
    model.train()
    model.train_step(fake_batch(), OptimWrapper(torch.optim.SGD(model.connectors.parameters(), lr=0.0)))
    assert calls == []


def test_checkpoint_state_has_no_teacher(city_root, tmp_path):
    model, _ = build('gl', city_root, tmp_path)
    keys = list(model.state_dict())
    assert not any(k.startswith('teacher.') for k in keys)
    assert any(k.startswith('student.backbone.') for k in keys)
    assert {'connectors.gl.alpha', 'connectors.gl.beta'} <= set(keys)
    result = model.load_state_dict(model.state_dict(), strict=True)  # missing teacher keys are not an error
    assert result.missing_keys == [] and result.unexpected_keys == []


def test_student_only_loads_a_distillation_checkpoint(city_root, tmp_path):
    model, cfg = build('ea', city_root, tmp_path)
    student_only = MODELS.build(dict(copy.deepcopy(cfg.model), student_only=True))
    assert not hasattr(student_only, 'teacher') and len(list(student_only.parameters())) == len(
        list(model.student.parameters()))
    result = student_only.load_state_dict(model.state_dict(), strict=True)
    assert result.missing_keys == [] and result.unexpected_keys == []
    model.eval(), student_only.eval()
    x = torch.randn(1, 3, 64, 64)
    torch.testing.assert_close(student_only._forward(x), model._forward(x))
    with pytest.raises(RuntimeError, match='student_only'):
        student_only.loss(x, [])


@pytest.mark.parametrize('teacher_bgr_to_rgb', [True, False])
def test_teacher_input_is_renormalised_when_preprocessors_differ(teacher_bgr_to_rgb, city_root, tmp_path):
    """End to end: the tensor entering the teacher's backbone is what the teacher's own preprocessor makes of the raw
    image, also when only the student converts BGR to RGB."""
    cfg = tiny_cfg('base', city_root, str(tmp_path / 'w'))
    teacher = copy.deepcopy(cfg.model.teacher.config)
    teacher['data_preprocessor'].update(mean=[0.0, 0.0, 0.0], std=[255.0, 255.0, 255.0],
                                        bgr_to_rgb=teacher_bgr_to_rgb)
    ckpt = write_teacher_checkpoint(teacher, str(tmp_path / 't.pth'))
    model = MODELS.build(dict(copy.deepcopy(cfg.model), teacher=dict(config=teacher, checkpoint=ckpt)))
    assert model.data_preprocessor.channel_conversion  # the student (SegFormer config) converts BGR to RGB
    seen = []
    model.teacher.backbone.register_forward_pre_hook(lambda m, args: seen.append(args[0]))
    raw = torch.randint(0, 256, (3, 64, 64)).float()  # as loaded (BGR)
    s_in = model.data_preprocessor(dict(inputs=[raw]), False)['inputs']
    model._teacher_forward(s_in)
    torch.testing.assert_close(seen[0], model.teacher.data_preprocessor(dict(inputs=[raw]), False)['inputs'],
                               rtol=1e-5, atol=1e-5)
    expected = raw / 255 if not teacher_bgr_to_rgb else raw.flip(0) / 255
    torch.testing.assert_close(seen[0][0], expected, rtol=1e-5, atol=1e-5)


NORMS = {'imagenet': dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375]),
         'unit': dict(mean=[0.0, 0.0, 0.0], std=[255.0, 255.0, 255.0]),
         'caffe': dict(mean=[103.53, 116.28, 123.675], std=[1.0, 1.0, 1.0]),
         'none': dict(mean=None, std=None)}


def test_teacher_normalisation_matches_the_teachers_preprocessor_for_every_combination():
    """Every (student, teacher) pair of BGR->RGB conversion and normalisation: the map from the student's network
    input gives exactly the teacher's own SegDataPreProcessor output on the raw image."""
    from itertools import product

    from mmseg.models import SegDataPreProcessor

    from mmseg_transkd.models.distillers.distill_segmentor import DistillSegmentor
    raw = torch.randint(0, 256, (3, 4, 5)).float()
    raw[:, 0, 0] = torch.tensor([10.0, 100.0, 200.0])  # B, G, R as cv2 loads them
    for s_conv, t_conv, s_norm, t_norm in product([True, False], [True, False], NORMS, NORMS):
        s_pre = SegDataPreProcessor(bgr_to_rgb=s_conv, **NORMS[s_norm])
        t_pre = SegDataPreProcessor(bgr_to_rgb=t_conv, **NORMS[t_norm])
        x_s = s_pre(dict(inputs=[raw]), False)['inputs']
        x_t = DistillSegmentor._to_teacher_input(x_s, DistillSegmentor._teacher_normalisation(s_pre, t_pre))
        torch.testing.assert_close(x_t, t_pre(dict(inputs=[raw]), False)['inputs'], rtol=1e-5, atol=1e-4,
                                   msg=f'student bgr_to_rgb={s_conv} {s_norm}, teacher bgr_to_rgb={t_conv} {t_norm}')
    # the example: RGB ImageNet student, BGR teacher with mean 0 / std 255
    s_pre = SegDataPreProcessor(bgr_to_rgb=True, **NORMS['imagenet'])
    t_pre = SegDataPreProcessor(bgr_to_rgb=False, **NORMS['unit'])
    x_t = DistillSegmentor._to_teacher_input(s_pre(dict(inputs=[raw]), False)['inputs'],
                                             DistillSegmentor._teacher_normalisation(s_pre, t_pre))
    torch.testing.assert_close(x_t[0, :, 0, 0], torch.tensor([10.0, 100.0, 200.0]) / 255)  # not (0.112, .., 0.700)
    assert DistillSegmentor._teacher_normalisation(s_pre, s_pre) is None  # equal preprocessing: no extra work


def test_missing_teacher_checkpoint_is_named(city_root, tmp_path):
    cfg = tiny_cfg('base', city_root, str(tmp_path / 'w'))
    cfg.model.teacher.checkpoint = str(tmp_path / 'nope.pth')
    with pytest.raises(FileNotFoundError, match=r'model\.teacher\.checkpoint: checkpoint file ".*nope\.pth" not found'):
        MODELS.build(cfg.model)


def test_wrong_teacher_checkpoint_is_named(city_root, tmp_path):
    cfg = tiny_cfg('base', city_root, str(tmp_path / 'w'))
    other = copy.deepcopy(cfg.model.student.to_dict())  # a student-sized checkpoint given as the teacher's
    cfg.model.teacher.checkpoint = write_teacher_checkpoint(other, str(tmp_path / 'student.pth'))
    with pytest.raises(RuntimeError, match=r'model\.teacher\.checkpoint: .* does not fit the teacher'):
        MODELS.build(cfg.model)


def _truncated_file(path):
    torch.save({'state_dict': {'w': torch.zeros(256)}}, path)
    with open(path, 'r+b') as f:
        f.truncate(f.seek(0, 2) // 2)


@pytest.mark.parametrize('make,message', [
    (_truncated_file, r'is not a usable checkpoint \(truncated or corrupt'),
    (lambda p: open(p, 'w').write('<html>404 Not Found</html>'), r'is not a usable checkpoint \(not a readable torch '
                                                                 r'checkpoint'),
    (lambda p: torch.save([torch.zeros(2)], p), r'holds no model weights .*got a list'),
    (lambda p: torch.save({'epoch': 3, 'lr': 0.1}, p), r'holds no model weights .*got a dict with keys'),
])
def test_unusable_teacher_file_is_named(make, message, city_root, tmp_path):
    """A truncated download, an HTML error page saved as .pth, a torch file without weights: one message naming the
    key and the file, before anything is trained."""
    cfg = tiny_cfg('base', city_root, str(tmp_path / 'w'))
    path = str(tmp_path / 'teacher.pth')
    make(path)
    cfg.model.teacher.checkpoint = path
    with pytest.raises(ValueError, match=r'model\.teacher\.checkpoint: ".*teacher\.pth" ' + message):
        MODELS.build(cfg.model)


def _fragment(path: str, name: str) -> dict:
    from mmseg_transkd.models.distillers.recipes import fragment
    return copy.deepcopy(fragment(path[:-len('.py')])[name].to_dict())


def _heteroakd_without_kd() -> dict:
    fragment = _fragment('heteroakd.py', 'heteroakd')
    del fragment['distill_losses']['loss_kd']  # so that the HeteroAKD loss itself must notice
    return fragment


def _pdd() -> dict:
    fragment = _fragment('c2vkd.py', 'recorders')
    fragment['teacher_recorders'] = dict(logits=fragment['teacher_recorders']['logits'])
    return dict(fragment, distill_losses=dict(loss_pdd=_fragment('c2vkd.py', 'pdd_loss')))


@pytest.mark.parametrize('fragment,name,loss', [
    (lambda: _fragment('baselines.py', 'kd'), 'loss_kd', 'PixelKLDivergence'),
    (lambda: _fragment('baselines.py', 'cwd'), 'loss_cwd', 'ChannelWiseDivergence'),
    (lambda: _fragment('baselines.py', 'dist'), 'loss_dist', 'DISTLoss'),
    (_pdd, 'loss_pdd', 'PixelDecoupledKD'),
    (_heteroakd_without_kd, 'loss_hakd', 'HeteroAKDLoss'),
])
def test_logit_losses_refuse_a_teacher_with_other_classes_at_build(fragment, name, loss, city_root, tmp_path):
    """The shipped KD, CWD, DIST, PDD and HeteroAKD settings with a 21-class teacher for a 19-class student."""
    cfg = tiny_cfg('base', city_root, str(tmp_path / 'w'))
    teacher = copy.deepcopy(cfg.model.teacher.config)
    teacher['decode_head']['num_classes'] = 21
    model = dict(type='DistillSegmentor', student=cfg.model.student,
                 teacher=dict(config=teacher, checkpoint=write_teacher_checkpoint(teacher, str(tmp_path / 't.pth'))),
                 **fragment())
    what = '19 classes but the teacher.s have 21' if loss != 'ChannelWiseDivergence' else \
        '19 channels but the teacher 21 .*for logits \\(classes\\), use a teacher with the student.s classes'
    with pytest.raises(ValueError, match=rf'model\.distill_losses\.{name} \({loss}\): .*{what}'):
        MODELS.build(model)


def _fewer_stages(teacher: dict) -> None:
    teacher['backbone']['out_indices'] = (0, 1, 2)
    teacher['decode_head'].update(in_channels=[16, 32, 80], in_index=[0, 1, 2])


def _finer_patch_grid(teacher: dict) -> None:
    teacher['backbone']['strides'] = [2, 2, 2, 2]  # teacher patch grid twice as fine as the student's


@pytest.mark.parametrize('change,message', [
    (_fewer_stages, r'model\.connectors\.csf \(CSF\).*student has 4 stages.*teacher has 3'),
    (_finer_patch_grid, r'model\.distill_losses\.loss_csf .*student .*teacher'),
])
def test_pair_mismatch_fails_at_build_naming_both_sides(change, message, city_root, tmp_path):
    cfg = tiny_cfg('base', city_root, str(tmp_path / 'w'))
    teacher = copy.deepcopy(cfg.model.teacher.config)
    change(teacher)
    cfg.model.teacher = dict(config=teacher, checkpoint=write_teacher_checkpoint(teacher, str(tmp_path / 't.pth')))
    with pytest.raises(ValueError, match=message):
        MODELS.build(cfg.model)


def test_unknown_reference_and_bad_loss_name(city_root, tmp_path):
    cfg = tiny_cfg('base', city_root, str(tmp_path / 'w'))
    bad = expanded(cfg.model)
    bad.connectors.pea.inputs = ['S.embedz']
    with pytest.raises(ValueError, match=r'model\.connectors\.pea\.inputs: unknown tensor reference "S\.embedz"'):
        MODELS.build(bad)
    bad = expanded(cfg.model)
    bad.distill_losses['pea_term'] = bad.distill_losses.pop('loss_pea')
    with pytest.raises(ValueError, match='must contain "loss"'):
        MODELS.build(bad)


@pytest.mark.parametrize('variant', ['base', 'gl', 'ea'])
def test_cpu_bf16_autocast_training_has_no_nan_or_dtype_errors(variant, city_root, tmp_path):
    """--amp on the CPU (AutocastOptimWrapper, bf16), also with a bf16 teacher: finite fp32 losses, student updated."""
    from mmseg_transkd.engine import AutocastOptimWrapper
    model, _ = build(variant, city_root, tmp_path, teacher_precision='bf16')
    optim = AutocastOptimWrapper(optimizer=torch.optim.AdamW([p for p in model.parameters() if p.requires_grad],
                                                             lr=1e-3))
    model.train()
    seen = {}
    model.connectors.csf.register_forward_hook(lambda m, a, out: seen.update(csf=out[0].dtype))  # returns None
    for step in range(2):
        log_vars = model.train_step(fake_batch(seed=step), optim)
        assert all(torch.isfinite(torch.as_tensor(v)) for v in log_vars.values())
    assert seen['csf'] == torch.bfloat16  # the connectors ran under autocast
    tensors, _ = model.distill_tensors(torch.randn(1, 3, 64, 64))
    assert tensors['T.feats'][0].dtype == torch.bfloat16  # bf16 teacher
    assert all(loss(**{a: tensors[r] for a, r in model._loss_inputs[n].items()}).dtype == torch.float32
               for n, loss in model.distill_losses.items())


def test_teacher_precision_is_checked(city_root, tmp_path):
    with pytest.raises(ValueError, match='model.teacher_precision must be one of'):
        build('base', city_root, tmp_path, teacher_precision='int8')


def test_fp16_teacher_builds_on_the_cpu_and_refuses_to_run_there(city_root, tmp_path):
    """Runners build the model on the CPU and move it to the GPU afterwards: the build-time probe must not run the
    teacher in fp16 (found on the GPU check: --amp training with teacher_precision='fp16' failed at build)."""
    model, _ = build('base', city_root, tmp_path, teacher_precision='fp16')
    assert model._teacher_runs[None].dtype is torch.float16
    with pytest.raises(RuntimeError, match='teacher_precision="fp16" needs CUDA'):
        model.distill_tensors(torch.randn(1, 3, 64, 64))


def test_connectors_are_ordered_by_inputs_and_channels_from():
    """A connector whose channels come from another connector's output is built after it, whatever the dict order."""
    from mmseg_transkd.models.distillers.distill_segmentor import DistillSegmentor
    cfgs = {'b': dict(inputs=['S.x'], channels_from=dict(out_channels='C.a')),
            'c': dict(inputs=['C.b']),
            'a': dict(inputs=['T.x'])}
    assert [n for n, _ in DistillSegmentor._ordered_connectors(cfgs)] == ['a', 'b', 'c']
    with pytest.raises(ValueError, match=r'cyclic C\.\* references.*\[.a., .b.\]'):
        DistillSegmentor._ordered_connectors({'a': dict(inputs=['C.b']), 'b': dict(inputs=['S.x'],
                                                                                   channels_from=dict(c='C.a'))})
