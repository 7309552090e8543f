"""The PVTv2-B2 -> B0 semantic-FPN pair (spec §3.2) on MMDetection's PVTv2, an optional dependency."""
import copy
import importlib.util
import os
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from tiny import CROP, REPO, expanded, tiny_cfg

KD_CONFIG = REPO / 'configs/transkd/pvtv2_b2_b0_fpn_city.py'
TEACHER_CONFIG = REPO / 'configs/baselines/fpn_pvtv2-b2_4xb2-80k_cityscapes-512x1024.py'
needs_mmdet = pytest.mark.skipif(importlib.util.find_spec('mmdet') is None,
                                 reason='MMDetection (optional, requirements/tests.txt) is not installed')
S_DIMS, T_DIMS = 8, 16  # stage channels 8/16/40/64 and 16/32/80/128 (heads 1/2/5/8)


def shrink_pvt_fpn(model: dict, embed_dims: int, depths: list) -> dict:
    """Shrinks a semantic-FPN PVTv2 model config in place: widths, depths, FPN/head channels, no pretrained init."""
    heads = model['backbone']['num_heads']
    model['backbone'].update(embed_dims=embed_dims, num_layers=depths, init_cfg=None)
    model['neck'].update(in_channels=[embed_dims * h for h in heads], out_channels=16)
    model['decode_head'].update(in_channels=[16] * 4, channels=8)
    model['data_preprocessor']['size'] = CROP
    model['test_cfg'] = dict(mode='whole')
    return model


def tiny_pair_cfg(data_root: str, work_dir: str) -> Config:
    teacher = shrink_pvt_fpn(Config.fromfile(str(TEACHER_CONFIG)).model.to_dict(), T_DIMS, [1, 2, 1, 1])
    cfg = tiny_cfg(None, data_root, work_dir, config=KD_CONFIG, teacher=teacher, max_iters=2, val_interval=2)
    shrink_pvt_fpn(cfg.model.student, S_DIMS, [1, 1, 1, 1])
    return cfg


def test_plugin_imports_without_mmdet_and_pvtv2_names_the_package():
    code = ('import sys; sys.modules["mmdet"] = None\n'  # makes every `import mmdet...` fail
            'import mmseg_transkd\n'
            'from mmengine.registry import init_default_scope; init_default_scope("mmseg")\n'
            'from mmseg.registry import MODELS\n'
            'try:\n'
            '    MODELS.build(dict(type="PVTv2", embed_dims=8))\n'
            'except ImportError as err:\n'
            '    print("ERR", err)\n')
    out = subprocess.run([sys.executable, '-c', code], cwd=REPO, capture_output=True, text=True, timeout=300,
                         env={**os.environ, 'PYTHONWARNINGS': 'ignore'})
    assert out.returncode == 0, out.stderr[-2000:]
    assert 'ERR' in out.stdout and 'mmdet==3.3.0' in out.stdout and 'type="PVTv2"' in out.stdout


def test_shipped_configs_carry_real_urls_and_the_spec_layout():
    kd = Config.fromfile(str(KD_CONFIG))
    student, teacher = kd.model.student, Config.fromfile(str(TEACHER_CONFIG)).model
    assert kd.model.teacher.config == 'configs/baselines/fpn_pvtv2-b2_4xb2-80k_cityscapes-512x1024.py'
    for model, url, dims, depths in ((student, 'pvt_v2_b0.pth', 32, [2, 2, 2, 2]),
                                     (teacher, 'pvt_v2_b2.pth', 64, [3, 4, 6, 3])):
        assert model.backbone.type == 'PVTv2' and model.pretrained is None
        assert model.backbone.init_cfg.checkpoint == f'https://github.com/whai362/PVT/releases/download/v2/{url}'
        assert model.backbone.embed_dims == dims and model.backbone.num_layers == depths
        assert model.neck.type == 'FPN' and model.neck.out_channels == 256 and model.neck.num_outs == 4
        assert model.neck.in_channels == [dims * h for h in (1, 2, 5, 8)]
        assert model.decode_head.type == 'FPNHead' and model.decode_head.channels == 128
    assert expanded(kd.model).student_recorders.embeds == dict(type='ModuleOutputsRecorder', source='backbone',
                                                     module_type='PatchEmbed', index=0)


@needs_mmdet
def test_real_pair_builds_csf_and_pea_from_probed_channels(monkeypatch):
    monkeypatch.chdir(REPO)
    cfg = Config.fromfile(str(KD_CONFIG))
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.teacher['load_checkpoint'] = False
    model = MODELS.build(model_cfg)  # no init_weights: the ImageNet weights are not downloaded
    assert type(model.student.backbone).__name__ == 'PyramidVisionTransformerV2'
    csf, pea = model.connectors.csf, model.connectors.pea
    assert [(u.conv1.conv.in_channels, u.conv2.conv.out_channels) for u in csf.units] == [
        (32, 64), (64, 128), (160, 320), (256, 512)]
    assert [(p.in_features, p.out_features) for p in pea.projs] == [(32, 64), (64, 128), (160, 320), (256, 512)]
    # PVTv2 B0/B2 have MiT's stage widths, so the connectors have the MiT pair's sizes (tests/test_configs.py)
    assert sum(p.numel() for p in csf.parameters()) == 644_160
    assert sum(p.numel() for p in pea.parameters()) == 193_536


@needs_mmdet
def test_tiny_pair_records_stage_maps_and_patch_tokens_and_trains(city_root, tmp_path):
    cfg = tiny_pair_cfg(city_root, str(tmp_path / 'work'))
    model = MODELS.build(copy.deepcopy(cfg.model))
    model.init_weights()
    csf, pea = model.connectors.csf, model.connectors.pea
    s_ch, t_ch = [S_DIMS * h for h in (1, 2, 5, 8)], [T_DIMS * h for h in (1, 2, 5, 8)]
    assert [u.conv1.conv.in_channels for u in csf.units] == s_ch
    assert [u.conv2.conv.out_channels for u in csf.units] == t_ch
    assert [(p.in_features, p.out_features) for p in pea.projs] == list(zip(s_ch, t_ch))

    x = torch.randn(2, 3, 64, 96)
    samples = []
    for _ in range(2):
        s = SegDataSample(gt_sem_seg=PixelData(data=torch.randint(0, 19, (1, 64, 96))))
        s.set_metainfo(dict(img_shape=(64, 96), pad_shape=(64, 96), ori_shape=(64, 96)))
        samples.append(s)
    model.eval()  # no drop-path, so the recorded maps can be compared with a second forward
    tensors, _ = model.distill_tensors(x)
    for side, ch in (('S', s_ch), ('T', t_ch)):
        # stage maps after the stage norm (B x C x h x w) and patch-embedding tokens (B x N x C), strides 4/8/16/32
        assert [tuple(f.shape) for f in tensors[f'{side}.feats']] == [
            (2, c, 64 // s, 96 // s) for c, s in zip(ch, (4, 8, 16, 32))]
        assert [tuple(e.shape) for e in tensors[f'{side}.embeds']] == [
            (2, (64 // s) * (96 // s), c) for c, s in zip(ch, (4, 8, 16, 32))]
    with torch.no_grad():  # the recorded student maps are the backbone outputs the FPN neck reads
        for rec, out in zip(tensors['S.feats'], model.student.backbone(x)):
            torch.testing.assert_close(rec, out)
    model.train()

    losses = model.loss(x, samples)
    assert {'loss_csf', 'loss_pea', 'decode.loss_ce'} <= set(losses)
    total = sum(v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total)
    total.backward()
    for part in (model.student.backbone, model.student.neck, csf, pea):
        assert all(p.grad is not None for p in part.parameters() if p.requires_grad), type(part).__name__
    assert all(p.grad is None and not p.requires_grad for p in model.teacher.parameters())
    assert not model.teacher.training


@needs_mmdet
def test_runner_smoke_two_iterations(city_root, tmp_path):
    cfg = tiny_pair_cfg(city_root, str(tmp_path / 'work'))
    runner = Runner.from_cfg(cfg)
    teacher_before = {k: v.clone() for k, v in runner.model.teacher.state_dict().items()}
    runner.train()
    assert runner.iter == 2
    ckpt = torch.load(str(tmp_path / 'work' / 'iter_2.pth'), map_location='cpu', weights_only=False)
    assert not any(k.startswith('teacher.') for k in ckpt['state_dict'])
    assert any(k.startswith('connectors.csf.') for k in ckpt['state_dict'])
    for k, v in runner.model.teacher.state_dict().items():
        torch.testing.assert_close(v, teacher_before[k])
