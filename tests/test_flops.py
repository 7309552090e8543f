"""The official-convention MAC counter: hand computations, and the spec's figures at 512x1024 (transkd.md §4, §6)."""
import pytest
import torch
import torch.nn as nn
from mmseg.registry import MODELS

from mmseg_transkd.models.connectors import CSF, PEA, EmbeddingAssistant, GLMixer
from mmseg_transkd.utils import load_config
from mmseg_transkd.analysis.flops import count_official_macs

B0, B2 = [32, 64, 160, 256], [64, 128, 320, 512]
GRIDS = [(128, 256), (64, 128), (32, 64), (16, 32)]


def macs(module, *inputs):
    module.eval()
    return count_official_macs(module, lambda: module(*inputs))


def test_rules_by_hand():
    # conv 3x3, 2->3 channels, bias, on 4x4: 48 outputs x (2*9) MACs + 48 bias adds
    assert macs(nn.Conv2d(2, 3, 3, padding=1), torch.zeros(1, 2, 4, 4)) == 48 * 18 + 48
    # depth-wise: 3 groups, 1 input channel each, no bias
    assert macs(nn.Conv2d(3, 3, 3, padding=1, groups=3, bias=False), torch.zeros(1, 3, 4, 4)) == 48 * 9
    assert macs(nn.Linear(4, 5), torch.zeros(3, 4)) == 12 * 5  # bias not counted
    assert macs(nn.BatchNorm2d(3), torch.zeros(1, 3, 4, 4)) == 2 * 48
    assert macs(nn.LayerNorm(8, elementwise_affine=False), torch.zeros(2, 8)) == 16
    assert macs(nn.ReLU(), torch.zeros(1, 3, 4, 4)) == 48
    assert macs(nn.AdaptiveAvgPool2d(1), torch.zeros(1, 3, 4, 4)) == 48
    assert macs(nn.GELU(), torch.zeros(10)) == 0 and macs(nn.Softmax(-1), torch.zeros(10)) == 0
    # attention: q and out projections on 5 queries, k and v on 3 keys, 8 channels; the matmuls are not counted
    mha = nn.MultiheadAttention(8, 2, batch_first=True).eval()
    q, kv = torch.zeros(1, 5, 8), torch.zeros(1, 3, 8)
    assert count_official_macs(mha, lambda: mha(query=q, key=kv, value=kv)) == (2 * 40 + 24 + 24) * 8


def test_connectors_match_the_spec_at_512x1024():
    feats = [torch.zeros(1, c, h, w) for c, (h, w) in zip(B0, GRIDS)]
    embeds = [torch.zeros(1, h * w, c) for c, (h, w) in zip(B0, GRIDS)]
    # spec §6: CSF 2.487, PEA 0.306, GL 0.336, EA 1.377 GMACs
    assert macs(CSF(B0, B2), feats) / 1e9 == pytest.approx(2.487, abs=5e-4)
    assert macs(PEA(B0, B2), embeds) / 1e9 == pytest.approx(0.306, abs=5e-4)
    assert macs(GLMixer(B0, [1, 2, 5, 8]), embeds) / 1e9 == pytest.approx(0.336, abs=5e-4)
    aligned = [torch.zeros(1, h * w, c) for c, (h, w) in zip(B2, GRIDS)]
    ea_inputs = [torch.zeros(1, 3, 512, 1024)] + feats[:3]
    assert macs(EmbeddingAssistant([3] + B0[:3], B2), aligned, ea_inputs) / 1e9 == pytest.approx(1.377, abs=5e-4)


def official_head_macs(channels, dim, classes=20, grid=GRIDS):
    """The official all-MLP head at 512x1024, by hand: per-stage Linear to D, 1x1 fuse conv 4D->D + BN + ReLU at
    stride 4, 1x1 classifier with bias."""
    n1 = grid[0][0] * grid[0][1]
    linears = sum(h * w * c for c, (h, w) in zip(channels, grid)) * dim
    return linears + n1 * 4 * dim * dim + 2 * n1 * dim + n1 * dim + n1 * dim * classes + n1 * classes


@pytest.mark.parametrize('cfg,channels,depths,dim,total', [
    ('mmseg::segformer/segformer_mit-b0_8xb1-160k_cityscapes-1024x1024.py', B0, [2, 2, 2, 2], 256, 13.67),
    ('mmseg::segformer/segformer_mit-b2_8xb1-160k_cityscapes-1024x1024.py', B2, [3, 4, 6, 3], 768, 113.84),
])
def test_mmseg_mit_encoders_match_the_official_ones(cfg, channels, depths, dim, total):
    """Spec totals minus the official heads give the official encoders; mmseg's encoders count the same up to one
    known difference: mmseg's Mix-FFN uses biased 1x1 Conv2d for fc1 (C->4C) and fc2 (4C->C), whose biases count under
    the conv rule, where the official code uses Linear layers (bias not counted)."""
    model = MODELS.build(load_config(cfg).model)
    x = torch.zeros(1, 3, 512, 1024)
    encoder = count_official_macs(model.backbone.eval(), lambda: model.backbone(x))
    ffn_bias = sum(d * h * w * 5 * c for d, c, (h, w) in zip(depths, channels, GRIDS))
    official_encoder = total * 1e9 - official_head_macs(channels, dim)
    assert (encoder - ffn_bias) / 1e9 == pytest.approx(official_encoder / 1e9, abs=0.005)  # spec rounds to 0.01


def test_get_flops_and_the_benchmark_estimate_run_the_student_as_training_does(monkeypatch, capsys):
    """KD records the student's logits (decode_head.conv_seg): counting connectors must run the student's full forward,
    not only its backbone (that raised 'recorded nothing'). KD has no connectors: student + connectors = student."""
    import runpy
    import sys

    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from mmseg_transkd.analysis import benchmark as bench
    from tiny import REPO
    config = 'configs/demo/kd_tiny-b2-b0_demo.py'
    monkeypatch.chdir(REPO)  # the demo configs name their teacher config relative to the repository
    monkeypatch.setattr(sys, 'argv', ['get_flops.py', config, '--shape', '64', '128'])
    runpy.run_path(str(REPO / 'tools/get_flops.py'), run_name='__main__')
    rows = {line[:40].strip(): line[40:].split() for line in capsys.readouterr().out.splitlines()
            if line.startswith(('teacher', 'student'))}
    assert set(rows) == {'teacher', 'student (deployable)', 'student + connectors (training)'}
    assert rows['student + connectors (training)'] == rows['student (deployable)']
    init_default_scope('mmseg')
    estimate = bench.Steps(Config.fromfile(config), 1, (64, 128), 'cpu', modes=('distill',)).mac_estimate()
    assert estimate['connectors'] == 0 and estimate['student'] > 0 and estimate['estimate'] == 1.0
