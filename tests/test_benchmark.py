"""tools/benchmark.py output, and the per-step cost of the distillation path (no lookups, no host syncs)."""
import re
import subprocess
import sys

import pytest
import torch
import torch.nn as nn

from test_distiller import build, fake_batch
from tiny import REPO


def test_benchmark_prints_steps_ratios_breakdown_and_precision_effect():
    res = subprocess.run([sys.executable, 'tools/benchmark.py', 'configs/demo/transkd-gl_tiny-b2-b0_demo.py',
                          '--shape', '64', '128', '--batch', '2', '--iters', '2', '--warmup', '1',
                          '--teacher-precision', 'bf16'], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    out = res.stdout
    # columns: s/iter, img/s, peak MiB
    rows = {m.group(1): (float(m.group(2)), float(m.group(3))) for m in re.finditer(
        r'^\((\w)\) .*?\s+([\d.]+)\s+[\d.]+\s+(\d+)\s*$', out, re.M)}
    assert set(rows) == {'a', 'b', 'c'} and all(t > 0 and mem > 0 for t, mem in rows.values())
    ratio = float(re.search(r'time   \(c\) / \(\(a\) \+ \(b\)\) = ([\d.]+)', out).group(1))
    # the printed ratio uses unrounded times; the rows show 3 decimals (the tiny steps take tens of ms)
    assert ratio == pytest.approx(rows['c'][0] / (rows['a'][0] + rows['b'][0]), rel=0.03)
    mem = float(re.search(r'memory \(c\) / \(\(a\) \+ \(b\)\) = ([\d.]+)', out).group(1))
    assert mem == pytest.approx(rows['c'][1] / (rows['a'][1] + rows['b'][1]), rel=0.03)
    assert 'MAC estimate' in out and 'teacher precision bf16' in out
    phases = re.search(r'breakdown of \(c\), s: (.*)', out).group(1)
    for phase in ('teacher forward', 'student forward + task loss', 'connectors + KD losses forward', 'backward',
                  'optimizer step'):
        assert phase in phases
    changes = re.findall(r'^(loss_\w+): fp32 teacher ([\d.e+-]+), bf16 teacher ([\d.e+-]+)', out, re.M)
    assert {c[0] for c in changes} == {'loss_csf', 'loss_pea'}
    for _, fp32, bf16 in changes:
        assert float(bf16) == pytest.approx(float(fp32), rel=0.05)


def test_loss_path_has_no_module_lookups_or_host_syncs(city_root, tmp_path, monkeypatch):
    """Per step, the distiller only calls hooks it registered at build time: no submodule searches, no .item()."""
    model, _ = build('ea', city_root, tmp_path)
    model.train()
    data = model.data_preprocessor(fake_batch(), True)
    model.loss(**data)  # warm-up outside the patches
    calls = []

    def forbid(name):
        def fn(*args, **kwargs):
            calls.append(name)
            raise AssertionError(f'{name} called in the distillation loss path')
        return fn

    for name in ('get_submodule', 'named_modules', 'modules'):
        monkeypatch.setattr(nn.Module, name, forbid(name))
    monkeypatch.setattr(torch.Tensor, 'item', forbid('Tensor.item'))
    monkeypatch.setattr(torch.Tensor, 'tolist', forbid('Tensor.tolist'))
    monkeypatch.setattr(torch.Tensor, '__bool__', forbid('Tensor.__bool__'))
    tensors, _ = model.distill_tensors(data['inputs'], model.student.extract_feat)
    for name, loss in model.distill_losses.items():
        loss(**{a: tensors[r] for a, r in model._loss_inputs[name].items()})
    assert calls == []
