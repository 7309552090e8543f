"""Several teachers in one DistillSegmentor: per-teacher inputs, precision, references and heads; per-teacher recipes
and the ensemble target by hand; errors naming the key; the shipped configs; the tools; a real Runner run."""
import copy
import math
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import OptimWrapper
from mmengine.runner import Runner
from mmseg.registry import MODELS

from mmseg_transkd.models.distillers.recipes import RECIPES, expand_recipe, resolve_recipe
from mmseg_transkd.models.losses import EnsembleKLDivergence, PixelKLDivergence
from test_distiller import NORMS, fake_batch
from tiny import REPO, tiny_cfg, tiny_deeplabv3plus, write_teacher_checkpoint

LOGITS = dict(type='ModuleOutputsRecorder', source='decode_head.conv_seg')
STAGES = dict(type='ModuleOutputsRecorder', source='backbone')


@pytest.fixture(scope='module')
def pair(tmp_path_factory):
    """A tiny MiT student (RGB, ImageNet statistics) and two tiny teachers with their checkpoints: ``vit``, a MiT
    reading RGB scaled to [0, 1], and ``cnn``, a DeepLabV3+ reading BGR with caffe statistics (mean only)."""
    root = tmp_path_factory.mktemp('multi_teacher')
    cfg = tiny_cfg('base', str(root), str(root / 'w'))  # the data root only holds the cached teacher checkpoint here
    student = cfg.model.student.to_dict()
    vit = copy.deepcopy(cfg.model.teacher.config.to_dict())
    vit['data_preprocessor'].update(bgr_to_rgb=True, **NORMS['unit'])
    cnn = tiny_deeplabv3plus(student['data_preprocessor'])
    cnn['backbone'].update(stem_channels=16, base_channels=16)  # 16..128 channels
    cnn['decode_head'].update(in_channels=128, channels=32, c1_in_channels=16)
    cnn['data_preprocessor'].update(bgr_to_rgb=False, **NORMS['caffe'])
    teachers = {}
    for name, model in (('cnn', cnn), ('vit', vit)):
        teachers[name] = dict(config=model, checkpoint=write_teacher_checkpoint(model, str(root / f'{name}.pth')))
    return dict(student=student, teachers=teachers, root=root)


def distiller(pair, **kwargs) -> dict:
    return dict(type='DistillSegmentor', student=copy.deepcopy(pair['student']),
                teachers=copy.deepcopy(pair['teachers']), **kwargs)


# recorders and a loss on each teacher: the CNN's logits (its head runs), the MiT's stages (its head does not)
TWO_SIDES = dict(
    student_recorders=dict(logits=LOGITS, feats=STAGES),
    teacher_recorders=dict(cnn=dict(logits=LOGITS, feats=STAGES), vit=dict(feats=STAGES, logits=LOGITS)),
    connectors=dict(csf=dict(type='CSF', inputs=['S.feats'], mid_channels=8,
                             channels_from=dict(in_channels='S.feats', out_channels='T.vit.feats'))),
    distill_losses=dict(loss_kd_cnn=dict(type='PixelKLDivergence', inputs=dict(preds_S='S.logits',
                                                                               preds_T='T.cnn.logits')),
                        loss_pa_cnn=dict(type='PairwiseAffinityLoss', inputs=dict(preds_S='S.feats',
                                                                                  preds_T='T.cnn.feats')),
                        loss_csf_vit=dict(type='HCLoss', inputs=dict(preds_S='C.csf', preds_T='T.vit.feats'))))


def test_each_teacher_gets_its_own_input_and_its_references(pair):
    """Different channel orders and normalisations: each teacher's backbone sees what its own preprocessor makes of
    the raw image; T.cnn.* / T.vit.* are that teacher's tensors; only the heads a recorder needs run."""
    model = MODELS.build(distiller(pair, **TWO_SIDES))
    cnn, vit = model.teachers.cnn, model.teachers.vit
    seen = {name: [] for name in ('cnn', 'vit')}
    heads = {name: [] for name in ('cnn', 'vit')}
    for name, teacher in (('cnn', cnn), ('vit', vit)):
        teacher.backbone.register_forward_pre_hook(lambda m, args, n=name: seen[n].append(args[0]))
        teacher.decode_head.register_forward_hook(lambda *a, n=name: heads[n].append(1))
    raw = torch.randint(0, 256, (3, 64, 64)).float()
    raw[:, 0, 0] = torch.tensor([10.0, 100.0, 200.0])  # B, G, R as cv2 loads them
    x = model.data_preprocessor(dict(inputs=[raw]), False)['inputs']
    tensors, _ = model.distill_tensors(x)
    for name, teacher in (('cnn', cnn), ('vit', vit)):
        own = teacher.data_preprocessor(dict(inputs=[raw]), False)['inputs']
        torch.testing.assert_close(seen[name][0], own, rtol=1e-5, atol=1e-4)
    torch.testing.assert_close(seen['cnn'][0][0, :, 0, 0], torch.tensor([10.0, 100.0, 200.0]) -
                               torch.tensor([103.53, 116.28, 123.675]))  # BGR, mean only
    torch.testing.assert_close(seen['vit'][0][0, :, 0, 0], torch.tensor([200.0, 100.0, 10.0]) / 255)  # RGB in [0, 1]
    # the vit's logits recorder is read by nothing: dropped, so its head does not run; the cnn's head runs once
    assert heads == {'cnn': [1], 'vit': []} and 'T.vit.logits' not in model.recorders
    assert [run.heads for run in model._teacher_runs.values()] == [['decode_head'], []]
    with torch.no_grad():
        torch.testing.assert_close(tensors['T.cnn.feats'], list(cnn.extract_feat(seen['cnn'][0])))
        torch.testing.assert_close(tensors['T.vit.feats'], list(vit.extract_feat(seen['vit'][0])))
        torch.testing.assert_close(tensors['T.cnn.logits'][0], cnn.decode_head(cnn.extract_feat(seen['cnn'][0])))
    assert [t.shape[1] for t in tensors['T.cnn.feats']] == [16, 32, 64, 128]
    assert [t.shape[1] for t in tensors['T.vit.feats']] == [16, 32, 80, 128]
    # the probe filled the CSF from the vit's widths
    assert [u.conv2.conv.out_channels for u in model.connectors.csf.units] == [16, 32, 80, 128]


def test_teachers_are_frozen_in_eval_and_out_of_checkpoints(pair):
    model = MODELS.build(distiller(pair, **TWO_SIDES))
    before = {n: {k: v.clone() for k, v in t.state_dict().items()} for n, t in model.teachers.items()}
    optim = OptimWrapper(torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-3))
    model.train()
    assert not any(m.training for m in model.teachers.modules())
    assert not any(p.requires_grad for p in model.teachers.parameters())
    log_vars = model.train_step(fake_batch(), optim)
    assert {'loss_kd_cnn', 'loss_csf_vit', 'decode.loss_ce'} <= set(log_vars)
    for name, teacher in model.teachers.items():
        assert all(torch.equal(v, before[name][k]) for k, v in teacher.state_dict().items()), name
    keys = list(model.state_dict())
    assert not any(k.startswith(('teacher.', 'teachers.')) for k in keys)
    assert any(k.startswith('connectors.csf.') for k in keys) and any(k.startswith('student.') for k in keys)
    result = model.load_state_dict(model.state_dict(), strict=True)  # missing teacher keys are not an error
    assert result.missing_keys == [] and result.unexpected_keys == []
    student_only = MODELS.build(distiller(pair, **TWO_SIDES, student_only=True))
    assert student_only.load_state_dict(model.state_dict(), strict=True).missing_keys == []


def test_precision_per_teacher(pair):
    """A teacher's own teacher_precision wins over the top-level default; fp16 needs CUDA and says which key."""
    spec = distiller(pair, **TWO_SIDES, teacher_precision='bf16')
    spec['teachers']['vit']['teacher_precision'] = None
    model = MODELS.build(spec)
    tensors, _ = model.distill_tensors(torch.randn(1, 3, 64, 64))
    assert tensors['T.cnn.feats'][0].dtype == torch.bfloat16 and tensors['T.vit.feats'][0].dtype == torch.float32
    spec['teachers']['vit']['teacher_precision'] = 'fp16'
    model = MODELS.build(spec)  # the build-time probe runs every teacher in full precision
    with pytest.raises(RuntimeError, match=r'model\.teachers\.vit\.teacher_precision="fp16" needs CUDA'):
        model.distill_tensors(torch.randn(1, 3, 64, 64))
    spec['teachers']['cnn']['teacher_precision'] = 'int8'
    with pytest.raises(ValueError, match=r'model\.teachers\.cnn\.teacher_precision must be one of'):
        MODELS.build(spec)


@pytest.mark.parametrize('change,error,message', [
    (lambda m: m['teachers']['vit'].update(checkpoint='/nope/vit.pth'), FileNotFoundError,
     r'^model\.teachers\.vit\.checkpoint: checkpoint file "/nope/vit\.pth" not found'),
    (lambda m: m['distill_losses']['loss_kd_cnn']['inputs'].update(preds_T='T.cmm.logits'), ValueError,
     r'^model\.distill_losses\.loss_kd_cnn\.inputs\.preds_T: "T\.cmm\.logits" names no teacher "cmm"; .*cnn, vit'),
    (lambda m: m['distill_losses']['loss_kd_cnn']['inputs'].update(preds_T='T.logits'), ValueError,
     r'"T\.logits" names no teacher "logits"; .*a teacher reference is T\.<teacher>\.<recorder>'),
    (lambda m: m['connectors']['csf']['channels_from'].update(out_channels='T.vlt.feats'), ValueError,
     r'^model\.connectors\.csf\.channels_from\.out_channels: "T\.vlt\.feats" names no teacher "vlt"'),
    (lambda m: m['teacher_recorders'].update(vlt=dict(feats=STAGES)), ValueError,
     r"^model\.teacher_recorders: \['vlt'\] name no teacher of model\.teachers \(cnn, vit\)"),
    (lambda m: m.update(teacher=m['teachers']['cnn']), ValueError, r'^model: set teacher=.* not both'),
    (lambda m: m['teachers'].update({'a.b': m['teachers']['cnn']}), ValueError, r"teacher name 'a\.b' must be"),
])
def test_bad_several_teacher_configs_name_the_key(pair, change, error, message):
    model = distiller(pair, **copy.deepcopy(TWO_SIDES))
    change(model)
    with pytest.raises(error, match=message):
        MODELS.build(model)


def test_a_recipe_per_teacher_with_its_weight():
    teachers = dict(cnn=dict(config='c.py', checkpoint='c.pth'), vit=dict(config='v.py', checkpoint='v.pth'))
    got = resolve_recipe([dict(recipe='cwd', teacher='cnn', weight=0.5), dict(recipe='transkd_base', teacher='vit'),
                          'ensemble_kd'], teachers=teachers,
                         overrides=dict(connectors=dict(csf_vit=dict(mid_channels=8))))
    embeds = dict(type='ModuleOutputsRecorder', source='backbone', module_type='PatchEmbed', index=0)
    # cwd's and ensemble_kd's T.cnn.logits (and S.logits) are one recorder each
    assert got['teacher_recorders'] == dict(cnn=dict(logits=LOGITS), vit=dict(feats=STAGES, embeds=embeds,
                                                                              logits=LOGITS))
    assert set(got['student_recorders']) == {'logits', 'feats', 'embeds'}
    cwd = got['distill_losses']['loss_cwd_cnn']
    assert cwd['loss_weight'] == 1.5 and cwd['tau'] == 4.0  # the recipe's lambda 3 times 0.5
    assert cwd['inputs'] == dict(preds_S='S.logits', preds_T='T.cnn.logits')
    assert got['connectors']['csf_vit']['channels_from'] == dict(in_channels='S.feats', out_channels='T.vit.feats')
    assert got['connectors']['csf_vit']['mid_channels'] == 8  # the override reached the renamed connector
    assert got['distill_losses']['loss_csf_vit']['inputs'] == dict(preds_S='C.csf_vit', preds_T='T.vit.feats')
    assert got['distill_losses']['loss_ensemble_kd']['inputs'] == dict(
        preds_S='S.logits', preds_T=['T.cnn.logits', 'T.vit.logits'])
    # a loss whose recipe sets no loss_weight is scaled from its class default (PixelKLDivergence: 1.0)
    RECIPES.register_module(name='_no_weight', module=lambda student=None, teacher=None: dict(
        distill_losses=dict(loss_x=dict(type='PixelKLDivergence', inputs=dict(preds_S='S.a', preds_T='T.b'))),
        connectors=dict(c=dict(type='CSF'))))
    try:
        scaled = resolve_recipe([dict(recipe='_no_weight', teacher='cnn', weight=2.0)], teachers=teachers)
        assert scaled['distill_losses']['loss_x_cnn']['loss_weight'] == 2.0
        assert 'loss_weight' not in scaled['connectors']['c_cnn']  # connectors have no weight to scale
        RECIPES.module_dict['_no_weight'] = lambda student=None, teacher=None: dict(
            distill_losses=dict(loss_x=dict(type='CSF')))  # a "loss" class with no loss_weight argument
        with pytest.raises(ValueError, match=r'model\.recipe\[0\]\.weight: loss loss_x_cnn \(CSF\) has no default'):
            resolve_recipe([dict(recipe='_no_weight', teacher='cnn', weight=2.0)], teachers=teachers)
    finally:
        RECIPES.module_dict.pop('_no_weight')


@pytest.mark.parametrize('recipe,teachers,message', [
    ([dict(recipe='kd', teacher='rnn')], True, r"model\.recipe\[0\]\.teacher: 'rnn' is not a teacher of "
                                               r"model\.teachers \(cnn, vit\)"),
    ([dict(recipe='ensemble_kd', teacher='cnn')], True, r"model\.recipe\[0\]\.teacher: recipe 'ensemble_kd' reads "
                                                        'every teacher'),
    ([dict(recipe='kd', teacher='cnn'), dict(recipe='kd', teacher='cnn')], True, r'model\.recipe\[1\]: .*loss_kd_cnn'),
    ([dict(recipe='kd', teacher='cnn', weight=-1)], True, r'model\.recipe\[0\]\.weight must be a number >= 0'),
    ([dict(recipe='kd', techer='cnn')], True, r'model\.recipe\[0\]: with several teachers .*dict\(recipe=<name>'),
    ([dict(recipe='kdd', teacher='cnn')], True, r"model\.recipe\[0\]\.recipe: unknown distillation recipe 'kdd'"),
    ('ensemble_kd', False, r"model\.recipe: recipe 'ensemble_kd' distils several teachers: set model\.teachers"),
    ([dict(recipe='kd')], False, r'model\.recipe: a list of recipe entries needs several teachers'),
])
def test_bad_recipe_entries_name_the_key(recipe, teachers, message):
    pair = dict(teachers=dict(cnn={}, vit={})) if teachers else dict(teacher={})
    with pytest.raises(ValueError, match=message):
        resolve_recipe(recipe, **pair)


def _hand_ensemble_kd(z_s, zs_t, tau, gt, ignore=255):
    """T^2 * mean over valid pixels of sum_c pbar_c (log pbar_c - log q_c), pbar the mean of the teachers' softmaxes
    at T, q the student's, by plain Python loops (teacher maps already on the student's grid)."""
    def softmax(values):
        e = [math.exp(v / tau) for v in values]
        return [v / sum(e) for v in e]

    _, k, h, w = z_s.shape
    total, count = 0.0, 0
    for y in range(h):
        for x in range(w):
            if gt[0, y, x] == ignore:
                continue
            q = softmax([z_s[0, c, y, x].item() for c in range(k)])
            ps = [softmax([z[0, c, y, x].item() for c in range(k)]) for z in zs_t]
            pbar = [sum(p[c] for p in ps) / len(ps) for c in range(k)]
            total += sum(pbar[c] * (math.log(pbar[c]) - math.log(q[c])) for c in range(k))
            count += 1
    return tau ** 2 * total / count


def test_ensemble_target_by_hand():
    g = torch.Generator().manual_seed(0)
    z_s = torch.randn(1, 3, 2, 2, generator=g) * 2
    z_1 = torch.randn(1, 3, 2, 2, generator=g) * 3
    z_2 = torch.randn(1, 3, 1, 1, generator=g) * 3  # a coarser teacher: resized (bilinear, from 1x1: replicated)
    gt = torch.tensor([[[0, 1], [255, 2]]])
    loss = EnsembleKLDivergence(tau=2.0, loss_weight=0.5)
    # one teacher may give a list of stages (recorders do): [z] and z mean the same
    got = loss(z_s.requires_grad_(), [[z_1], z_2], gt)
    expected = 0.5 * _hand_ensemble_kd(z_s, [z_1, z_2.expand(1, 3, 2, 2)], 2.0, gt)
    assert got.item() == pytest.approx(expected, rel=1e-5)
    got.backward()
    assert z_s.grad.abs().sum() > 0 and z_s.grad[0, :, 1, 0].abs().sum() == 0  # the ignored pixel pulls nothing
    # one teacher: plain KD, exactly
    assert torch.equal(EnsembleKLDivergence(tau=2.0)(z_s, [z_1], gt), PixelKLDivergence(tau=2.0)(z_s, z_1, gt))
    with pytest.raises(ValueError, match='preds_T must list the teachers'):
        loss(z_s, z_1)
    with pytest.raises(ValueError, match='teacher 2 of preds_T gives 2 logit maps but the student 1'):
        loss(z_s, [z_1, [z_1, z_1]])


def test_one_teacher_under_teachers_equals_teacher(pair):
    """The generic path with one named teacher computes exactly what the single teacher= path computes: the same
    recipe gives the same loss values and the same student, and an ensemble of one teacher is plain KD."""
    cnn = copy.deepcopy(pair['teachers']['cnn'])
    single = dict(type='DistillSegmentor', student=copy.deepcopy(pair['student']), teacher=cnn, recipe='kd')
    models = []
    for spec in (single, dict(single, teacher=None, teachers=dict(t=cnn), recipe=[dict(recipe='kd', teacher='t')]),
                 dict(single, teacher=None, teachers=dict(t=cnn), recipe='ensemble_kd')):
        torch.manual_seed(0)
        models.append(MODELS.build(spec).train())
    data = models[0].data_preprocessor(fake_batch(), True)
    values = []
    for model in models:
        torch.manual_seed(1)  # the same drop-path and dropout draws
        values.append(model.loss(**copy.deepcopy(data)))
    assert values[0]['loss_kd'] == values[1]['loss_kd_t'] == values[2]['loss_ensemble_kd']
    assert values[0]['decode.loss_ce'] == values[1]['decode.loss_ce']
    assert list(models[0].state_dict()) == list(models[1].state_dict())  # no teacher keys, the same student keys


def _with_teachers(cfg: Config, pair) -> Config:
    """A tiny_cfg with its single teacher replaced by the two tiny teachers."""
    cfg.model.pop('teacher')
    cfg.model.teachers = copy.deepcopy(pair['teachers'])
    return cfg


def test_runner_trains_validates_saves_and_exports(pair, city_root, tmp_path, plain_config_text):
    from mmseg_transkd.utils import export_student
    work = str(tmp_path / 'work')
    cfg = _with_teachers(tiny_cfg('base', city_root, work, max_iters=2, val_interval=2), pair)
    cfg.model.recipe = [dict(recipe='transkd_base', teacher='vit'), dict(recipe='ensemble_kd', weight=0.5)]
    runner = Runner.from_cfg(cfg)
    before = {n: {k: v.clone() for k, v in t.state_dict().items()} for n, t in runner.model.teachers.items()}
    runner.train()
    scalars = runner.message_hub.log_scalars
    assert {'train/loss_csf_vit', 'train/loss_pea_vit', 'train/loss_ensemble_kd', 'train/decode.loss_ce',
            'val/mIoU'} <= set(scalars)
    for name, teacher in runner.model.teachers.items():
        assert not teacher.training and all(torch.equal(v, before[name][k]) for k, v in teacher.state_dict().items())
    ckpt = torch.load(osp.join(work, 'iter_2.pth'), map_location='cpu', weights_only=True)
    assert not any(k.startswith(('teacher.', 'teachers.')) for k in ckpt['state_dict'])
    assert any(k.startswith('connectors.csf_vit.') for k in ckpt['state_dict'])
    cfg_file = str(tmp_path / 'multi.py')
    cfg.dump(cfg_file)
    info = export_student(osp.join(work, 'iter_2.pth'), str(tmp_path / 'student.pth'), config=cfg_file)
    exported = torch.load(info['checkpoint'], map_location='cpu')['state_dict']
    assert set(exported) == set(runner.model.student.state_dict())


def test_shipped_configs(monkeypatch):
    """The Cityscapes configs name mmseg's released teachers and build the real networks (random teacher weights);
    the demo config's teachers read different channel orders."""
    monkeypatch.chdir(REPO)
    folder = REPO / 'configs' / 'multi_teacher'
    ens = Config.fromfile(str(folder / 'ensemble-kd_deeplabv3plus-r101_segformer-b2_segformer-b0_city.py'))
    per = Config.fromfile(str(folder / 'transkd-base-cwd_deeplabv3plus-r101_segformer-b2_segformer-b0_city.py'))
    for cfg in (ens, per):
        assert cfg.model.teachers.cnn.config == \
            'mmseg::deeplabv3plus/deeplabv3plus_r101-d16-mg124_4xb2-80k_cityscapes-512x1024.py'
        assert cfg.model.teachers.vit.config == 'mmseg::segformer/segformer_mit-b2_8xb1-160k_cityscapes-1024x1024.py'
        assert all(t.checkpoint.startswith('https://download.openmmlab.com/') for t in cfg.model.teachers.values())
    assert expand_recipe(ens.model).distill_losses == dict(loss_ensemble_kd=dict(
        type='EnsembleKLDivergence', tau=1.0, loss_weight=1.0,
        inputs=dict(preds_S='S.logits', preds_T=['T.cnn.logits', 'T.vit.logits'])))
    model_cfg = copy.deepcopy(per.model)
    for teacher in model_cfg.teachers.values():
        teacher.load_checkpoint = False
    model_cfg.student.backbone.init_cfg = None
    model = MODELS.build(model_cfg)
    assert set(model.distill_losses) == {'loss_csf_vit', 'loss_pea_vit', 'loss_cwd_cnn'}
    assert [u.conv2.conv.out_channels for u in model.connectors.csf_vit.units] == [64, 128, 320, 512]  # MiT-B2
    assert [run.heads for run in model._teacher_runs.values()] == [['decode_head'], []]  # CWD reads cnn's logits
    demo = Config.fromfile('configs/demo/ensemble-kd_tiny-r18-b2-b0_demo.py').model
    for teacher in demo.teachers.values():
        teacher.load_checkpoint = False
    model = MODELS.build(demo)
    assert model._teacher_runs['cnn'].input_map[2] is True and model._teacher_runs['vit'].input_map is None


def test_tools_count_every_teacher(monkeypatch, capsys):
    """get_flops: a row per teacher and their sum; the benchmark's teacher step and MAC estimate: both teachers;
    check_pair: one-teacher recipes per teacher, ensemble_kd on both."""
    import runpy
    import sys

    from mmengine.registry import init_default_scope

    from mmseg_transkd.analysis import benchmark as bench
    from mmseg_transkd.analysis.flops import count_official_macs
    config = 'configs/demo/ensemble-kd_tiny-r18-b2-b0_demo.py'
    monkeypatch.chdir(REPO)
    monkeypatch.setattr(sys, 'argv', ['get_flops.py', config, '--shape', '64', '64'])
    runpy.run_path(str(REPO / 'tools/get_flops.py'), run_name='__main__')
    rows = {line[:40].strip(): [float(v.replace(',', '')) for v in line[40:].split()]
            for line in capsys.readouterr().out.splitlines() if line.startswith(('teacher', 'student'))}
    assert {'teacher cnn', 'teacher vit', 'teachers (all)'} <= set(rows)
    total = [a + b for a, b in zip(rows['teacher cnn'], rows['teacher vit'])]
    assert rows['teachers (all)'][0] == total[0]  # parameters; the GFLOPs columns are printed rounded
    assert rows['teachers (all)'][1:] == pytest.approx(total[1:], abs=2e-3)
    assert all(v > 0 for v in rows['teacher cnn'] + rows['teacher vit'])

    init_default_scope('mmseg')
    steps = bench.Steps(Config.fromfile(config), 1, (64, 64), 'cpu', modes=('teacher', 'distill'))
    d = steps.distiller
    per_teacher = {name: count_official_macs(t, lambda: d._teacher_forward(steps.inputs))
                   for name, t in d.teacher_modules().items()}
    assert all(v > 0 for v in per_teacher.values())
    assert steps.mac_estimate()['teacher'] == sum(per_teacher.values())
    calls = []
    for teacher in steps.teacher_runner.teacher_modules().values():
        teacher.backbone.register_forward_hook(lambda *a: calls.append(1))
    steps.fns['teacher']()
    assert len(calls) == 2

    spec = runpy.run_path(str(REPO / 'tools/check_pair.py'))
    spec['main']([config, '--recipes', 'kd', 'transkd_base', 'ensemble_kd', '--probe-size', '32', '32'])
    out = capsys.readouterr().out
    table = {tuple(line.split()[:2]): line.split()[2] for line in out.splitlines()
             if line.split()[:1] in (['kd'], ['transkd_base'], ['ensemble_kd'])}
    assert table == {('kd', 'cnn'): 'yes', ('kd', 'vit'): 'yes', ('transkd_base', 'cnn'): 'no',
                     ('transkd_base', 'vit'): 'yes', ('ensemble_kd', 'all'): 'yes'}, out
    assert '4 of 5 recipes fit these 2 teachers' in out
