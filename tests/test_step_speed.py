"""Issue 19: the faster student-step and KD-loss paths compute the same numbers as the formulations they replace;
the benchmark's official-step comparison, tools/gpu_check.sh and tools/check_losses.py."""
import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.models.utils import resize
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from mmseg_transkd.models.losses import HCLoss


def channels_last(*shape, requires_grad=False):
    """A B×C×h×w tensor laid out as MiT's stage outputs are (a channels-last view of B×h×w×C tokens)."""
    b, c, h, w = shape
    x = torch.randn(b, h, w, c).permute(0, 3, 1, 2)
    return x.requires_grad_() if requires_grad else x


def _official_head(in_channels=(8, 16, 40, 64), channels=32, num_classes=20):
    init_default_scope('mmseg')
    return MODELS.build(dict(
        type='OfficialSegformerHead', in_channels=list(in_channels), in_index=[0, 1, 2, 3], channels=channels,
        dropout_ratio=0.1, num_classes=num_classes, norm_cfg=dict(type='BN', requires_grad=True),
        align_corners=False, loss_decode=dict(type='ClassWeightedCELoss')))


def reference_head_forward(head, feats):
    """The official head as written before issue 19: mmseg's ``resize`` on every stage, stage 1 included."""
    size, outs = feats[0].shape[2:], []
    for x, linear in zip(feats, head.linear_c):
        b, _, h, w = x.shape
        x = linear(x.flatten(2).transpose(1, 2)).transpose(1, 2).reshape(b, -1, h, w)
        outs.append(resize(x, size=size, mode='bilinear', align_corners=False))
    return head.cls_seg(head.linear_fuse(torch.cat(outs[::-1], dim=1)))


def _samples(labels):
    out = []
    for label in labels:
        s = SegDataSample()
        s.gt_sem_seg = PixelData(data=label[None])
        out.append(s)
    return out


def _grads(module, feats):
    return [p.grad.clone() for p in module.parameters()] + [f.grad.clone() for f in feats]


@pytest.mark.parametrize('label_hw', [(16, 32), (64, 128)])
def test_official_head_without_same_size_resizes_is_bit_identical(label_hw, monkeypatch):
    """Same logits, losses and gradients, bit for bit, as the pre-change head with mmseg's loss: for labels on the
    logit grid (TransKD's protocol) and at the image size (mmseg's, where the logits are upsampled)."""
    torch.manual_seed(0)
    head = _official_head().train()
    feats = [channels_last(2, c, 16 // 2 ** i, 32 // 2 ** i, requires_grad=True)
             for i, c in enumerate((8, 16, 40, 64))]
    labels = torch.randint(0, 19, (2, *label_hw))
    labels[:, :2] = 255
    samples = _samples(labels)

    def run(forward, loss_by_feat):
        for p in list(head.parameters()) + feats:
            p.grad = None
        torch.manual_seed(1)  # the same Dropout2d mask
        logits = forward(head, feats)
        losses = loss_by_feat(head, logits, samples)
        losses['loss_ce'].backward()
        return logits.detach(), {k: v.detach() for k, v in losses.items()}, _grads(head, feats)

    calls = []
    interpolate = F.interpolate
    monkeypatch.setattr(F, 'interpolate', lambda *a, **k: calls.append(a[0].shape[2:]) or interpolate(*a, **k))
    new = run(type(head).forward, type(head).loss_by_feat)
    on_grid = label_hw == (16, 32)
    assert len(calls) == (3 if on_grid else 4)  # stages 2-4 (and the logits when the labels are larger)
    ref = run(reference_head_forward, BaseDecodeHead.loss_by_feat)  # mmseg's loss: a resize in any case
    assert torch.equal(new[0], ref[0])
    assert new[1].keys() == ref[1].keys() == {'loss_ce', 'acc_seg'}
    assert all(torch.equal(new[1][k], ref[1][k]) for k in new[1])
    assert all(torch.equal(a, b) for a, b in zip(new[2], ref[2]))


def test_official_mit_skips_the_head_average_of_the_attention_weights():
    """OfficialMixVisionTransformer asks nn.MultiheadAttention not to average the (discarded) attention weights over
    the heads: same features and gradients bit for bit, and no averaging reduction left in the forward pass."""
    from torch.profiler import ProfilerActivity, profile
    init_default_scope('mmseg')
    torch.manual_seed(0)
    cfg = dict(type='OfficialMixVisionTransformer', embed_dims=8, num_layers=[1, 1, 1, 1], num_heads=[1, 2, 5, 8],
               sr_ratios=[8, 4, 2, 1], drop_path_rate=0.1, init_cfg=None)
    model = MODELS.build(cfg).train()
    x = torch.randn(2, 3, 64, 64)

    def run():
        for p in model.parameters():
            p.grad = None
        torch.manual_seed(1)  # the same drop-path draws
        outs = model(x)
        sum((o * torch.linspace(-1, 1, o.numel()).view_as(o)).sum() for o in outs).backward()
        return [o.detach() for o in outs] + [p.grad.clone() for p in model.parameters()]

    def head_averages():
        with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof, torch.no_grad():
            model(x)
        return sum(1 for e in prof.events() if e.name == 'aten::mean' and e.input_shapes
                   and len(e.input_shapes[0]) == 4)

    new, new_means = run(), head_averages()
    for layer in model.layers:  # back to mmseg's call: weights averaged over the heads
        for block in layer[1]:
            block.attn.attn._forward_pre_hooks.clear()
    ref, ref_means = run(), head_averages()
    assert new_means == 0 and ref_means == 4  # one per attention block
    assert all(torch.equal(a, b) for a, b in zip(new, ref))


def reference_hcl(preds_s, preds_t, levels=(4, 2, 1)):
    """HCL as written before issue 19: autograd through every pooling."""
    total = 0.0
    for s, t in zip(preds_s, preds_t):
        loss, weight, norm = F.mse_loss(s, t), 1.0, 1.0
        for level in levels:
            if level >= s.shape[2]:
                continue
            weight /= 2.0
            loss = loss + weight * F.mse_loss(F.adaptive_avg_pool2d(s, level), F.adaptive_avg_pool2d(t, level))
            norm += weight
        total = total + loss / norm
    return total


@pytest.mark.parametrize('levels, shapes', [
    ((4, 2, 1), [(2, 6, 16, 32), (2, 5, 8, 12), (1, 3, 4, 8)]),  # nested bins: one-pass gradient (and h <= 4)
    ((4, 2, 1), [(2, 3, 10, 14)]),                                 # bins of unequal size: autograd path
    ((3, 2, 1), [(1, 4, 12, 12)]),                                 # 2 does not divide 3: autograd path
])
def test_hcl_one_pass_gradient_equals_autograd(levels, shapes):
    torch.manual_seed(0)
    s = [channels_last(*shape, requires_grad=True) for shape in shapes]
    t = [channels_last(*shape) for shape in shapes]
    ref_s = [x.detach().clone().requires_grad_() for x in s]
    value = HCLoss(levels=levels, loss_weight=1.5)(s, t)
    ref = 1.5 * reference_hcl(ref_s, t, levels)
    assert torch.equal(value, ref)  # the same operations in the same order
    (value * 0.7).backward()
    (ref * 0.7).backward()
    for x, r in zip(s, ref_s):
        torch.testing.assert_close(x.grad, r.grad, rtol=1e-6, atol=1e-7 * r.grad.abs().max().item())
        assert x.grad.is_contiguous(memory_format=torch.channels_last) or x.shape[2] * x.shape[3] == 1
    with torch.no_grad():
        assert torch.equal(HCLoss(levels=levels)(s, t), reference_hcl(s, t, levels))


# ------------------------------------------------------------------ benchmark: label grid and the official step
def _tiny_paper_cfg(variant: str = 'base'):
    from mmengine.config import Config
    from tiny import REPO, STUDENT_DEPTHS, STUDENT_DIMS, shrink_mit, tiny_teacher_model
    cfg = Config.fromfile(str(REPO / f'configs/transkd_paper/transkd-{variant}_b2-b0_1xb2-1000e_city-512x1024.py'))
    shrink_mit(cfg.model.student, STUDENT_DIMS, STUDENT_DEPTHS, 16)
    cfg.model.teacher.config = tiny_teacher_model(cfg)
    return cfg


def test_official_step_computes_the_same_losses_as_the_distiller():
    """(c') is the release's step on the same modules: its task loss (NLLLoss(weight) on log_softmax) equals our
    ClassWeightedCELoss on the same logits, and the KD losses are the distiller's own; labels are on the 1/4 grid."""
    from mmseg_transkd.analysis import benchmark as bench
    init_default_scope('mmseg')
    torch.manual_seed(0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny tensors: one thread is faster, and robust to a busy machine
    try:
        _check_official_step(bench)
    finally:
        torch.set_num_threads(threads)


def _check_official_step(bench):
    steps = bench.Steps(_tiny_paper_cfg('ea'), 2, (64, 128), 'cpu', modes=bench.MODES + bench.OFFICIAL_MODES)
    assert steps.label_shape == (16, 32) and steps.samples[0].gt_sem_seg.data.shape[-2:] == (16, 32)
    d, official = steps.distiller, steps.official
    assert official.d is d and official.student is not d.student and torch.equal(official.labels[0],
                                                                                  steps.samples[0].gt_sem_seg.data[0])
    d.eval()  # no dropout / drop path: both sides see the same logits
    with torch.no_grad():
        ours = d.student.loss(steps.inputs, steps.samples)['decode.loss_ce']
        theirs = official.task_loss(d.student._forward(steps.inputs))
    torch.testing.assert_close(theirs, ours, rtol=1e-6, atol=0)
    d.train()
    before = [p.detach().clone() for p in d.connectors.parameters()]
    times = steps.time_rounds(1, 0)
    assert set(times) == set(bench.MODES + bench.OFFICIAL_MODES)
    assert all(not torch.equal(a, p) for a, p in zip(before, d.connectors.parameters()) if p.numel() > 1)


def test_benchmark_cli_prints_the_official_comparison(tmp_path, capsys, monkeypatch):
    """tools/benchmark.py --official-step in-process (no memory subprocesses): the three official rows and (c)/(c')."""
    import importlib.util
    import re
    import sys
    from tiny import REPO
    cfg = _tiny_paper_cfg('base')
    cfg.dump(str(tmp_path / 'tiny_paper.py'))
    spec = importlib.util.spec_from_file_location('benchmark_tool', REPO / 'tools/benchmark.py')
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    monkeypatch.setattr(sys, 'argv', ['benchmark.py', str(tmp_path / 'tiny_paper.py'), '--shape', '64', '128',
                                      '--iters', '1', '--warmup', '0', '--official-step', '--no-memory',
                                      '--threads', '1', '--cpu-time'])
    threads = torch.get_num_threads()
    try:
        tool.main()
    finally:
        torch.set_num_threads(threads)
    out = capsys.readouterr().out
    assert 'labels 16x32' in out and 'process CPU time' in out
    rows = dict(re.findall(r"^(\(\w'?\)) .*?\s+([\d.]+)\s+[\d.]+\s+-\s*$", out, re.M))
    assert set(rows) == {'(a)', '(b)', '(c)', "(a')", "(b')", "(c')"}
    ratio = float(re.search(r"time   \(c\) / \(c'\) = ([\d.]+)", out).group(1))
    assert ratio == pytest.approx(float(rows['(c)']) / float(rows["(c')"]), rel=0.02, abs=2e-3)
    time_ratio, estimate = map(float, re.search(r'\(c\) / \(\(a\) \+ \(b\)\) = ([\d.]+)\s+\(MAC estimate ([\d.]+)',
                                                out).groups())
    against = float(re.search(r'measured / MAC estimate = ([\d.]+)', out).group(1))
    assert against == pytest.approx(time_ratio / estimate, rel=0.01)


# ------------------------------------------------------------------ tools/gpu_check.sh (CUDA only) and its checker
@pytest.mark.parametrize('mode', ['gpu', 'cpu'])
def test_gpu_check_script_parses_and_its_commands_are_valid(mode, tmp_path, monkeypatch):
    """CI has no GPU: check the script's shell syntax, and that every command of its dry run (and of its --cpu mode,
    the script's own CPU check) runs $PYTHON, names existing configs, only existing config sections and valid
    benchmark flags, trains on the data it writes, and keeps the runs offline."""
    import argparse
    import importlib.util
    import os
    import shlex
    import subprocess
    import sys
    from mmengine.config import Config, DictAction
    from tiny import REPO
    script = REPO / 'tools/gpu_check.sh'
    assert subprocess.run(['bash', '-n', str(script)]).returncode == 0
    data = tmp_path / 'scenes'
    res = subprocess.run(['bash', str(script), '--dry-run', '--out', str(tmp_path), '--data', str(data), '--iters',
                          '3'] + (['--cpu'] if mode == 'cpu' else []), capture_output=True, text=True, timeout=60,
                         env=dict(os.environ, PYTHON='/opt/py/bin/python3'))
    assert res.returncode == 0, res.stderr
    commands = [shlex.split(line[2:]) for line in res.stdout.splitlines() if line.startswith('+ ')]
    assert {c[0] for c in commands} == {'/opt/py/bin/python3'}
    tools = [c[1] for c in commands]
    assert tools.count('tools/train.py') == 3 and tools.count('tools/check_losses.py') == 3
    assert tools.count('tools/benchmark.py') == 6 and tools.count('tools/make_demo_data.py') == 1
    assert commands[0][commands[0].index('--root') + 1] == str(data)
    spec = importlib.util.spec_from_file_location('benchmark_tool', REPO / 'tools/benchmark.py')
    bench_tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench_tool)
    precisions, device = set(), 'cpu' if mode == 'cpu' else 'cuda'
    for cmd in commands:
        if cmd[1] == 'tools/train.py':
            assert (REPO / cmd[2]).is_file() and '--amp' in cmd
            namespace = argparse.Namespace()
            DictAction(option_strings=[], dest='x')(None, namespace, cmd[cmd.index('--cfg-options') + 1:])
            options = namespace.x
            cfg = Config.fromfile(str(REPO / cmd[2]))
            for key in options:  # every option sets a field of an existing section (a typo would add a new one)
                node = cfg
                for part in key.split('.')[:-1]:
                    assert part in node, f'{key}: no section {part} in {cmd[2]}'
                    node = node[part]
            assert options['model.teacher.load_checkpoint'] is False
            assert options['model.student.backbone.init_cfg'] is None
            assert options['train_cfg.max_iters'] == 3
            assert options['train_dataloader.dataset.data_root'].rstrip('/') == str(data)
            precisions.add(options.get('model.teacher_precision'))
            # the runner builds the model on the CPU before moving it to the GPU: it must build here as configured
            # (an fp16 teacher once failed at this point on the GPU machine)
            cfg.merge_from_dict(options)
            init_default_scope('mmseg')
            MODELS.build(cfg.model)
        elif cmd[1] == 'tools/benchmark.py':
            monkeypatch.setattr(sys, 'argv', cmd[1:])
            args = bench_tool.parse_args()
            assert (REPO / args.config).is_file() and args.device == device
            precisions.add(args.teacher_precision)
        elif cmd[1] == 'tools/check_losses.py':
            assert cmd[cmd.index('--min-iters') + 1] == '3'
    # the CPU has no fp16 autocast: its check runs bf16 where the GPU run has fp16
    assert precisions == ({'bf16', None} if mode == 'cpu' else {'fp16', 'bf16', None})


def test_gpu_check_runs_every_step_and_lists_the_failures(tmp_path):
    """A lent GPU's time is short: a failing step does not stop the others; the end names every failed command and
    the script exits 1 (here with a stand-in for $PYTHON that fails every tool but the data writer)."""
    import os
    import subprocess
    from tiny import REPO
    fake = tmp_path / 'python'
    fake.write_text('#!/bin/bash\ncase "$1" in\n  -c) exit 0 ;;\n  tools/make_demo_data.py) exit 0 ;;\n'
                    '  *) echo "broken $1" >&2; exit 7 ;;\nesac\n')
    fake.chmod(0o755)
    res = subprocess.run(['bash', str(REPO / 'tools/gpu_check.sh'), '--cpu', '--out', str(tmp_path / 'out')],
                         capture_output=True, text=True, timeout=60, env=dict(os.environ, PYTHON=str(fake)))
    assert res.returncode == 1, res.stdout + res.stderr
    out = res.stdout
    assert out.count('+ ') == 13 and out.count('FAILED (7)') == 12
    failed = out.split('command(s) FAILED')[1].splitlines()[1:]
    assert len(failed) == 12 and all(line.startswith(f'  {fake} tools/') for line in failed)
    assert 'make_demo_data' not in ''.join(failed) and 'all checks passed' not in out
    assert (tmp_path / 'out' / 'gpu_check.log').read_text().count('broken tools/train.py') == 3


def test_check_losses_refuses_non_finite_or_missing_iterations(tmp_path):
    import json
    import subprocess
    import sys
    from tiny import REPO

    def run(rows):
        folder = tmp_path / f'run{len(list(tmp_path.iterdir()))}'
        (folder / '20240101_000000' / 'vis_data').mkdir(parents=True)
        with open(folder / '20240101_000000' / 'vis_data' / 'scalars.json', 'w') as f:
            for row in rows:
                f.write(json.dumps(row) + '\n')
        return subprocess.run([sys.executable, 'tools/check_losses.py', str(folder), '--min-iters', '2'], cwd=REPO,
                              capture_output=True, text=True).returncode

    ok = [dict(iter=i, lr=1e-4, loss=1.0, loss_csf=0.5) for i in (1, 2)]
    assert run(ok) == 0
    assert run(ok[:1]) == 1  # too few iterations
    assert run(ok + [dict(iter=3, loss=float('nan'), loss_csf=0.5)]) == 1
    assert run(ok + [dict(iter=3, loss=1.0, loss_csf=float('inf'))]) == 1


def test_check_losses_ratio_by_part_of_the_run(tmp_path):
    """--ratio NUM DEN: per run and part, mean(NUM) / mean(DEN) over the logged iterations of that part, then the mean
    over the runs (the L_adapt / CE evidence of issue 25)."""
    import json
    import subprocess
    import sys
    from tiny import REPO
    runs = {'a': [(10, 6.0, 2.0), (20, 2.0, 2.0), (30, 1.0, 1.0), (40, 3.0, 1.0)],
            'b': [(10, 1.0, 1.0), (20, 1.0, 1.0), (30, 4.0, 1.0), (40, 2.0, 1.0)]}
    for name, rows in runs.items():
        (tmp_path / name / '20240101_000000' / 'vis_data').mkdir(parents=True)
        with open(tmp_path / name / '20240101_000000' / 'vis_data' / 'scalars.json', 'w') as f:
            for it, num, den in rows:
                f.write(json.dumps({'iter': it, 'loss': num + den, 'loss_adapt': num, 'decode.loss_ce': den}) + '\n')
    out = subprocess.run([sys.executable, 'tools/check_losses.py', str(tmp_path / 'a'), str(tmp_path / 'b'), '--ratio',
                          'loss_adapt', 'decode.loss_ce', '--windows', '2'], cwd=REPO, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    # a: (6 + 2) / (2 + 2) = 2, (1 + 3) / (1 + 1) = 2; b: 2 / 2 = 1, 6 / 2 = 3; means 1.5 and 2.5
    assert 'by part of the run: iters 10-20: 2, iters 30-40: 2' in out.stdout
    assert 'by part of the run: iters 10-20: 1, iters 30-40: 3' in out.stdout
    assert 'mean of 2 runs by part: iters 10-20: 1.5, iters 30-40: 2.5' in out.stdout
