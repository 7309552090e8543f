"""Named recipes from any MMSeg project: registry = fragments, override rules, a config outside the repository trained
through mmseg's packaged tools/train.py equal to our shipped config's model; the pair check table; feature maps."""
import copy
import glob
import os
import os.path as osp
import subprocess
import sys

import cv2
import mmseg
import pytest
import torch
from mmengine.config import Config
from mmseg.registry import MODELS

from mmseg_transkd.models.distillers.recipes import (FRAGMENTS, PARTS, RECIPES, expand_recipe, fragment_recipe_names,
                                                     recipe_names, resolve_recipe)
from mmseg_transkd.analysis.pair_check import check_pair

from tiny import (CONFIGS, REPO, STUDENT_DEPTHS, STUDENT_DIMS, TEACHER_DEPTHS, TEACHER_DIMS, shrink_mit, tiny_cfg,
                  tiny_deeplabv3plus)

MMSEG_TRAIN = osp.join(osp.dirname(mmseg.__file__), '.mim', 'tools', 'train.py')  # mmseg's own packaged tool


@pytest.fixture
def one_thread():
    """Tiny models on a shared 2-core machine: one intra-op thread is several times faster than two."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def test_every_fragment_dict_with_losses_is_a_recipe_equal_to_it():
    names = set()
    for path in sorted(glob.glob(osp.join(FRAGMENTS, '*.py'))):
        frag = Config.fromfile(path)
        evaluated = {k for k, v in frag.items() if isinstance(v, dict) and 'distill_losses' in v}
        assert set(fragment_recipe_names(path)) == evaluated, path  # the static scan finds exactly these
        for name in evaluated:
            assert RECIPES.get(name)() == frag[name].to_dict(), name
        assert not names & evaluated, f'recipe names repeated across fragments: {names & evaluated}'
        names |= evaluated
    assert set(recipe_names()) == names | {'transkd_gl', 'transkd_ea', 'ensemble_kd'}
    assert {'transkd_base', 'c2vkd', 'heteroakd', 'ka_stage2', 'kd', 'fitnet', 'cwd', 'skd', 'ifvd', 'review',
            'cirkd', 'dist'} <= names


def test_overrides_merge_replace_and_drop_and_pair_dependent_recipes():
    base = RECIPES.get('transkd_base')()
    got = resolve_recipe('transkd_base', overrides=dict(
        connectors=dict(csf=dict(mid_channels=32)),  # one field: the rest of the recipe's CSF stays
        distill_losses=dict(loss_pea=None, loss_new=dict(type='StageMSELoss', inputs=dict(preds_S='C.pea',
                                                                                          preds_T='T.embeds')))))
    assert got['connectors']['csf'] == dict(base['connectors']['csf'], mid_channels=32)
    assert got['connectors']['pea'] == base['connectors']['pea']
    assert list(got['distill_losses']) == ['loss_csf', 'loss_new'] and got['student_recorders'] == \
        base['student_recorders']
    replaced = resolve_recipe('transkd_base', overrides=dict(connectors=dict(_delete_=True, x=dict(type='PEA'))))
    assert replaced['connectors'] == dict(x=dict(type='PEA'))
    assert resolve_recipe(None, overrides=dict(connectors=dict(a=dict(type='PEA'), b=None))) == \
        dict(student_recorders={}, teacher_recorders={}, connectors=dict(a=dict(type='PEA')), distill_losses={})
    with pytest.raises(ValueError, match=r"model\.recipe: unknown distillation recipe 'transkd'; registered: \["):
        resolve_recipe('transkd')
    # GL / EA read the student backbone: its stage heads and patch sizes
    student = dict(backbone=dict(num_heads=[1, 2, 4, 8], patch_sizes=[7, 3, 3, 5]))
    gl = resolve_recipe('transkd_gl', student)
    assert gl['connectors']['gl']['num_heads'] == [1, 2, 4, 8] and gl['connectors']['pea']['inputs'] == ['C.gl']
    assert resolve_recipe('transkd_gl', student, overrides=dict(connectors=dict(gl=dict(num_heads=2))))[
        'connectors']['gl']['num_heads'] == 2
    ea = resolve_recipe('transkd_ea', student)
    assert ea['connectors']['ea']['kernel_sizes'] == [7, 3, 3, 5]
    assert ea['distill_losses']['loss_pea']['inputs']['preds_S'] == 'C.ea'
    assert ea['student_recorders']['stage_inputs']['type'] == 'ModuleInputsRecorder'
    # the result is a fresh copy: editing it does not change the registry
    ea['connectors'].clear()
    assert RECIPES.get('transkd_base')() == base


def _user_config(shipped: Config, work_dir: str) -> str:
    """A config as a user of the installed package writes it: mmseg's own config as base, custom_imports, and a model
    dict naming a recipe with an override; only the sizes and data are tiny. No path into this repository."""
    teacher = dict(config=shipped.model.teacher.config.to_dict(), checkpoint=shipped.model.teacher.checkpoint)
    data = {k: shipped[k].to_dict() for k in ('train_dataloader', 'val_dataloader', 'test_dataloader', 'train_cfg',
                                              'default_hooks', 'log_processor', 'env_cfg', 'randomness')}
    lines = [
        "_base_ = ['mmseg::segformer/segformer_mit-b0_8xb1-160k_cityscapes-1024x1024.py']",
        "custom_imports = dict(imports=['mmseg_transkd'], allow_failed_imports=False)",
        f'student = {shipped.model.student.to_dict()!r}',
        f'teacher = {teacher!r}',
        "model = dict(_delete_=True, type='DistillSegmentor', student=student, teacher=teacher, recipe='transkd_gl',",
        "             distill_losses=dict(loss_pea=dict(loss_weight=0.5)))",
        *[f'{k} = {v!r}' for k, v in data.items()],
        f'work_dir = {work_dir!r}']
    return '\n'.join(lines) + '\n'


def test_config_outside_the_repository_trains_through_mmseg_train_and_equals_our_config(city_root, tmp_path,
                                                                                      one_thread):
    assert osp.isfile(MMSEG_TRAIN), MMSEG_TRAIN
    # ours: configs/transkd/segformer_b2_b0_city_gl.py with tiny networks and data, plus the same override
    shipped = tiny_cfg('gl', city_root, str(tmp_path / 'ours'), max_iters=1, val_interval=1)
    elsewhere = tmp_path / 'my_project'
    elsewhere.mkdir()
    user_file = elsewhere / 'my_kd.py'
    user_file.write_text(_user_config(shipped, str(elsewhere / 'work')))
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS='1', PYTHONUNBUFFERED='1')  # stands for the install
    res = subprocess.run([sys.executable, MMSEG_TRAIN, str(user_file)], cwd=elsewhere, env=env, capture_output=True,
                         text=True, timeout=600)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-3000:]
    assert "recipe 'transkd_gl' -> connectors ['csf', 'pea', 'gl']" in out  # our plugin, imported from REPO
    assert 'Iter(train) [1/1]' in out and 'mIoU' in out
    ckpt = torch.load(elsewhere / 'work' / 'iter_1.pth', map_location='cpu')
    assert not any(k.startswith('teacher.') for k in ckpt['state_dict'])

    # the same model as ours: same recipe expansion, same modules and hyper-parameters, same initial weights
    shipped.merge_from_dict({'model.distill_losses.loss_pea.loss_weight': 0.5})
    theirs = Config.fromfile(str(user_file))
    ours_cfg, theirs_cfg = expand_recipe(shipped.model), expand_recipe(theirs.model)
    for key in (*PARTS, 'student', 'teacher', 'type'):
        assert ours_cfg[key] == theirs_cfg[key], key
    assert ours_cfg['distill_losses']['loss_pea']['loss_weight'] == 0.5
    models = []
    for cfg in (shipped.model, theirs.model):
        torch.manual_seed(0)
        models.append(MODELS.build(copy.deepcopy(cfg)))
    ours, user = models
    assert repr(ours.connectors) == repr(user.connectors) and repr(ours.distill_losses) == repr(user.distill_losses)
    ours_sd, user_sd = ours.state_dict(), user.state_dict()
    assert list(ours_sd) == list(user_sd)
    assert all(torch.equal(ours_sd[k], user_sd[k]) for k in ours_sd)
    assert ours.distill_losses.loss_pea.loss_weight == 0.5 and ours.connectors.gl.num_heads == 8
    # the checkpoint mmseg's tool wrote loads into our shipped config's model with no missing or unexpected key
    ours.load_state_dict(ckpt['state_dict'], strict=True)


def _tiny_pairs():
    cfg = Config.fromfile(str(CONFIGS['base']))
    mit_s = shrink_mit(copy.deepcopy(cfg.model.student.to_dict()), STUDENT_DIMS, STUDENT_DEPTHS, 16)
    mit_t = shrink_mit(copy.deepcopy(cfg.model.student.to_dict()), TEACHER_DIMS, TEACHER_DEPTHS, 32)
    cnn_s = tiny_deeplabv3plus(mit_s['data_preprocessor'])
    cnn_t = tiny_deeplabv3plus(mit_s['data_preprocessor'])
    cnn_t['backbone'].update(stem_channels=16, base_channels=16)  # 16..128 channels
    cnn_t['decode_head'].update(in_channels=128, channels=32, c1_in_channels=16)
    return (mit_s, mit_t), (cnn_s, cnn_t)


# Expected from the pairs' structure: (fits, words of the reason). Every other recipe fits both pairs.
# C2VKD taps ResNet layer4; KA's phi_s is the student head's 256-channel projection (MobileDeepLabHead/ASPPHead
# `bottleneck`), which SegFormer's head has not
NOT_FOR_MIT_PAIR = {'c2vkd': 'backbone.layer4', 'c2vkd_noclip': 'backbone.layer4',
                    'c2vkd_pool_both': 'backbone.layer4',
                    'ka_stage2': 'no attribute `bottleneck`', 'ka_fitnet': 'no attribute `bottleneck`'}
# TransKD needs patch embeddings; C2VKD's CLIP pool file is absent
NOT_FOR_CNN_STUDENT = {'transkd_base': 'no PatchEmbed', 'transkd_gl': 'no PatchEmbed', 'transkd_ea': 'no PatchEmbed',
                       'c2vkd': 'attnpool_ckpt', 'c2vkd_pool_both': 'attnpool_ckpt'}


def test_check_pair_table_on_a_tiny_mit_pair_and_a_tiny_cnn_pair(tmp_path, monkeypatch, capsys, one_thread):
    import importlib.util
    spec = importlib.util.spec_from_file_location('check_pair_tool', REPO / 'tools' / 'check_pair.py')
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    monkeypatch.chdir(tmp_path)  # no checkpoints/clip_rn101_attnpool.pth here
    (mit_s, mit_t), (cnn_s, cnn_t) = _tiny_pairs()
    for name, (student, teacher), expected_no in (('mit', (mit_s, mit_t), NOT_FOR_MIT_PAIR),
                                                  ('cnn', (cnn_s, cnn_t), NOT_FOR_CNN_STUDENT)):
        files = []
        for role, model in (('student', student), ('teacher', teacher)):
            Config(dict(model=model)).dump(str(tmp_path / f'{name}_{role}.py'))
            files.append(str(tmp_path / f'{name}_{role}.py'))
        tool.main(files + ['--probe-size', '32', '32'])
        out = capsys.readouterr().out
        rows = {line.split()[0]: line for line in out.splitlines() if line.split() and line.split()[0] in RECIPES}
        assert set(rows) == set(recipe_names()), out
        for recipe, line in rows.items():
            fits = line.split()[1]
            if recipe in expected_no:
                assert fits == 'no' and expected_no[recipe] in line, (name, line)
                assert 'Traceback' not in line and '\n' not in line
            else:
                assert fits == 'yes', (name, line)
        assert f'{len(rows) - len(expected_no)} of {len(rows)} recipes fit this pair.' in out
    # KA's stage-1 encoder is a file: the shape check builds it without, and says so (on the pair it fits)
    assert 'loads its weights from a file at train time' in rows['ka_stage2']
    # a KD recipe without trainable connectors adds no parameters; TransKD's CSF/PEA do
    rows = {r['recipe']: r for r in check_pair(mit_s, mit_t, ['kd', 'transkd_base'], (32, 32))}
    assert rows['kd']['kd_params'] == 0 and rows['transkd_base']['kd_params'] > 0


def test_feature_map_picture_of_a_tiny_distiller(city_root, tmp_path, one_thread):
    import importlib.util
    spec = importlib.util.spec_from_file_location('feature_maps_tool', REPO / 'tools' / 'analysis' / 'feature_maps.py')
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    cfg = tiny_cfg('gl', city_root, str(tmp_path / 'w'))
    cfg_file = str(tmp_path / 'gl.py')
    cfg.dump(cfg_file)
    # a "trained" checkpoint: the distiller's own state dict (student + connectors, never the teacher)
    torch.manual_seed(3)
    model = MODELS.build(copy.deepcopy(cfg.model))
    ckpt = str(tmp_path / 'kd.pth')
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, ckpt)
    image = sorted(glob.glob(osp.join(city_root, 'leftImg8bit', 'val', '*', '*.png')))[0]
    label = image.replace('leftImg8bit', 'gtFine', 1).replace('_leftImg8bit.png', '_gtFine_labelTrainIds.png')
    out = str(tmp_path / 'maps.png')
    rows, cols = tool.main([cfg_file, image, '--checkpoint', ckpt, '--out', out, '--panel', '64', '--label', label])
    # the input/prediction row, then the four MiT stages of loss_csf (CSF vs T.feats) and of loss_pea (PEA vs T.embeds)
    assert (rows, cols) == (1 + 4 + 4, 4)
    png = cv2.imread(out)
    assert png.shape[:2] == (rows * 64, cols * 64)
    # random-init mode needs no checkpoint at all (the teacher's file is not read either)
    out2 = str(tmp_path / 'maps_norm.png')
    tool.main([cfg_file, image, '--random-init', '--mode', 'norm', '--out', out2, '--panel', '48',
               '--cfg-options', 'model.teacher.checkpoint=/nonexistent.pth'])
    assert cv2.imread(out2).shape[:2] == (9 * 48, 4 * 48)


def test_cpu_ddp_set_up_replaces_syncbn_inside_a_named_recipe(monkeypatch):
    """KA's recipe builds SyncBN adapters; a CPU DDP run (gloo) must see them in the config to switch them to BN."""
    import socket
    from mmseg_transkd.utils import setup_distributed, teardown_distributed
    if torch.cuda.is_available():
        pytest.skip('the SyncBN -> BN switch is for CPU-only machines')
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    for k, v in dict(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port), RANK='0', WORLD_SIZE='1', LOCAL_RANK='0').items():
        monkeypatch.setenv(k, v)
    cfg = Config(dict(model=dict(type='DistillSegmentor', student=dict(type='EncoderDecoder'),
                                 teacher=dict(config='t.py', checkpoint='t.pth'), recipe='ka_stage2')))
    assert 'SyncBN' in repr(RECIPES.get('ka_stage2')())
    try:
        setup_distributed(cfg, 'pytorch')
    finally:
        teardown_distributed()
    assert 'recipe' not in cfg.model and 'SyncBN' not in repr(cfg.model.to_dict())
    assert cfg.model.connectors.adapt.norm_cfg.type == 'BN' and cfg.model.connectors.translate.norm_cfg.type == 'BN'
