"""Distillation step efficiency: time and peak memory of (a) the student step, (b) teacher inference, (c) distillation.

    python tools/benchmark.py configs/transkd/segformer_b2_b0_city.py [--shape 512 1024] [--batch 2] [--iters 5]
        [--warmup 2] [--teacher-precision bf16] [--device cpu|cuda] [--no-memory] [--cfg-options ...]

Prints per-step medians, the ratio (c) / ((a) + (b)) measured side by side in one run, the memory ratio, and a
breakdown of (c); with --teacher-precision it also prints how the KD loss values change against an fp32 teacher.
See mmseg_transkd/utils/benchmark.py for what exactly each step contains. The teacher has random weights (nothing
is downloaded); timing does not depend on them.
"""
import argparse
import gc
import json
import platform
import subprocess
import sys

import torch
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope

import mmseg_transkd  # noqa: F401
from mmseg_transkd.utils import benchmark as bench


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config')
    p.add_argument('--shape', type=int, nargs=2, default=(512, 1024), metavar=('H', 'W'))
    p.add_argument('--batch', type=int, default=2)
    p.add_argument('--iters', type=int, default=5, help='timed rounds (the median is reported)')
    p.add_argument('--warmup', type=int, default=2)
    p.add_argument('--teacher-precision', choices=['bf16', 'fp16'], default=None)
    p.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    p.add_argument('--no-memory', action='store_true', help='skip the peak-memory measurement')
    p.add_argument('--cfg-options', nargs='+', action=DictAction)
    p.add_argument('--memory-of', choices=bench.MODES, help=argparse.SUPPRESS)  # internal: CPU memory subprocess
    return p.parse_args()


def load(args) -> Config:
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    return cfg


def cpu_memory_child(args) -> None:
    """Runs only one step kind in this fresh process and prints its peak resident memory above the baseline."""
    gc.collect()
    baseline = bench.rss_mib()
    bench.reset_peak_rss()
    steps = bench.Steps(load(args), args.batch, args.shape, 'cpu', args.teacher_precision, modes=(args.memory_of,))
    for _ in range(2):
        steps.fns[args.memory_of]()
    print(json.dumps(dict(peak_mib=bench.peak_rss_mib() - baseline)))


def cpu_peaks(args) -> dict:
    peaks = {}
    for mode in bench.MODES:
        cmd = [sys.executable, __file__, *sys.argv[1:], '--memory-of', mode]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        peaks[mode] = json.loads(out.strip().splitlines()[-1])['peak_mib']
    return peaks


def kd_loss_change(cfg: Config, args) -> dict:
    """KD loss values with the reduced-precision teacher vs an fp32 teacher (same weights, same batch)."""
    ref = bench.build_distiller(cfg, None, args.device).eval()
    low = bench.build_distiller(cfg, args.teacher_precision, args.device).eval()
    low.load_state_dict(ref.state_dict())
    low.teacher.load_state_dict(ref.teacher.state_dict())
    inputs, _ = bench.synthetic_batch(ref.student.decode_head.num_classes, args.batch, args.shape, args.device)
    out = {}
    with torch.no_grad():
        values = []
        for model in (ref, low):
            tensors, _ = model.distill_tensors(inputs)
            values.append({n: float(v) for n, v in model.distill_loss_values(tensors).items()})
    for name in values[0]:
        out[name] = (values[0][name], values[1][name])
    return out


def main() -> None:
    args = parse_args()
    torch.manual_seed(0)
    if args.memory_of:
        return cpu_memory_child(args)
    cfg = load(args)
    steps = bench.Steps(cfg, args.batch, args.shape, args.device, args.teacher_precision)
    times = steps.time_rounds(args.iters, args.warmup)
    breakdowns = [steps.distill_breakdown() for _ in range(max(1, args.iters // 2))]
    med = {m: bench.median(v) for m, v in times.items()}
    estimate = steps.mac_estimate()
    peaks = None
    if not args.no_memory:
        if args.device == 'cuda':
            peaks = {m: bench.cuda_peak_mib(steps, m) for m in bench.MODES}
        else:
            del steps
            peaks = cpu_peaks(args)

    device = (torch.cuda.get_device_name() if args.device == 'cuda'
              else f'CPU {platform.processor() or platform.machine()}, {torch.get_num_threads()} threads')
    print(f'benchmark: {args.config}')
    print(f'input {args.batch}x3x{args.shape[0]}x{args.shape[1]}, {device}, torch {torch.__version__}, teacher '
          f'precision {args.teacher_precision or "fp32"}, median of {args.iters} rounds after {args.warmup} warm-up')
    labels = {'student': '(a) student training step', 'teacher': '(b) teacher inference (as KD runs it)',
              'distill': '(c) distillation step'}
    mem_label = 'peak MiB (CUDA allocated)' if args.device == 'cuda' else 'peak MiB (RSS above runtime)'
    print(f'{"step":<40} {"s/iter":>9} {mem_label:>30}')
    for m in bench.MODES:
        mem = f'{peaks[m]:.0f}' if peaks else '-'
        print(f'{labels[m]:<40} {med[m]:>9.3f} {mem:>30}')
    print(f'time   (c) / ((a) + (b)) = {med["distill"] / (med["student"] + med["teacher"]):.3f}   (MAC estimate '
          f'{estimate["estimate"]:.3f}: forward GMACs student {estimate["student"] / 1e9:.2f}, teacher '
          f'{estimate["teacher"] / 1e9:.2f}, connectors {estimate["connectors"] / 1e9:.2f}; training ~ 3 forwards)')
    if peaks:
        print(f'memory (c) / ((a) + (b)) = {peaks["distill"] / (peaks["student"] + peaks["teacher"]):.3f}')
    phases = {k: bench.median([b[k] for b in breakdowns]) for k in breakdowns[0]}
    print('breakdown of (c), s: ' + ' | '.join(f'{k} {v:.3f}' for k, v in phases.items()))
    if args.teacher_precision:
        for name, (fp32, low) in kd_loss_change(cfg, args).items():
            print(f'{name}: fp32 teacher {fp32:.6g}, {args.teacher_precision} teacher {low:.6g} '
                  f'(relative change {abs(low - fp32) / max(abs(fp32), 1e-12):.2e})')


if __name__ == '__main__':
    main()
