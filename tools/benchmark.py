"""Distillation step efficiency: time and peak memory of (a) the student step, (b) teacher inference, (c) distillation.

    python tools/benchmark.py configs/transkd/segformer_b2_b0_city.py [--shape 512 1024] [--batch 2] [--iters 5]
        [--warmup 2] [--teacher-precision bf16] [--official-step] [--profile] [--device cpu|cuda] [--threads N]
        [--cpu-time] [--no-memory] [--cfg-options ...]

Prints per-step medians (s/iter, img/s, peak memory), the ratio (c) / ((a) + (b)) measured side by side in one run
(with several teachers, (b) runs all of them and the MAC estimate counts all of them),
the memory ratio, and a breakdown of (c); with --teacher-precision it also prints how the KD loss values change
against an fp32 teacher. --official-step also times the official release's steps rebuilt from the same modules
(student step with the release's task loss, the whole teacher, and the distillation step with the teacher under
no_grad) in the same rounds and prints (c) / (c'). --profile adds one profiled run of every step (top operators,
layout copies). On a busy machine, --threads 1 --cpu-time measures process CPU time of one thread, which other jobs
hardly change (note that with one thread PyTorch runs 1x1 convolutions with its own kernel instead of oneDNN's).
See mmseg_transkd/analysis/benchmark.py for what exactly each step contains. The teacher has random weights (nothing
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
from mmseg_transkd.analysis import benchmark as bench


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config')
    p.add_argument('--shape', type=int, nargs=2, default=(512, 1024), metavar=('H', 'W'))
    p.add_argument('--batch', type=int, default=2)
    p.add_argument('--iters', type=int, default=5, help='timed rounds (the median is reported)')
    p.add_argument('--warmup', type=int, default=2)
    p.add_argument('--teacher-precision', choices=['bf16', 'fp16'], default=None)
    p.add_argument('--official-step', action='store_true',
                   help="also time the official release's steps (teacher under no_grad) rebuilt from the same modules")
    p.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    p.add_argument('--threads', type=int, default=None, help='torch CPU threads (default: torch\'s own choice)')
    p.add_argument('--cpu-time', action='store_true',
                   help='time with process CPU time instead of wall time (CPU only; with --threads 1 it hardly '
                        'depends on other jobs on the machine)')
    p.add_argument('--no-memory', action='store_true', help='skip the peak-memory measurement')
    p.add_argument('--profile', action='store_true',
                   help='also profile one run of each step: top operators and layout copies (aten::copy_)')
    p.add_argument('--cfg-options', nargs='+', action=DictAction)
    p.add_argument('--memory-of', choices=bench.MODES + bench.OFFICIAL_MODES,
                   help=argparse.SUPPRESS)  # internal: CPU memory subprocess
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    return args


def modes(args) -> tuple:
    return bench.MODES + (bench.OFFICIAL_MODES if args.official_step else ())


def load(args) -> Config:
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    return cfg


def cpu_memory_child(args) -> None:
    """Runs only one step kind in this fresh process and prints its peak resident memory above the baseline.

    The high-water mark is reset after the build, once what the step does not use is freed (the build makes the
    whole distiller), so the peak counts the step's own models, optimizer state and activations only."""
    gc.collect()
    baseline = bench.rss_mib()
    steps = bench.Steps(load(args), args.batch, args.shape, 'cpu', args.teacher_precision, modes=(args.memory_of,))
    gc.collect()
    bench.reset_peak_rss()
    for _ in range(2):
        steps.fns[args.memory_of]()
    print(json.dumps(dict(peak_mib=bench.peak_rss_mib() - baseline)))


def cpu_peaks(args) -> dict:
    peaks = {}
    for mode in modes(args):
        cmd = [sys.executable, __file__, *sys.argv[1:], '--memory-of', mode]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        peaks[mode] = json.loads(out.strip().splitlines()[-1])['peak_mib']
    return peaks


def kd_loss_change(cfg: Config, args) -> dict:
    """KD loss values with the reduced-precision teacher vs an fp32 teacher (same weights, same batch)."""
    ref = bench.build_distiller(cfg, None, args.device).eval()
    low = bench.build_distiller(cfg, args.teacher_precision, args.device).eval()
    low.load_state_dict(ref.state_dict())
    for name, teacher in low.teacher_modules().items():
        teacher.load_state_dict(ref.teacher_modules()[name].state_dict())
    inputs, samples = bench.synthetic_batch(ref.student.decode_head.num_classes, args.batch, args.shape, args.device)
    out = {}
    with torch.no_grad():
        values = []
        for model in (ref, low):
            tensors, _ = model.distill_tensors(inputs)
            if model._needs_gt:  # losses that read the labels (e.g. HeteroAKD's, C2VKD's)
                tensors['GT'] = torch.stack([s.gt_sem_seg.data[0] for s in samples])
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
    if args.cpu_time and args.device != 'cpu':
        raise SystemExit('--cpu-time measures CPU steps; drop it with --device cuda')
    steps = bench.Steps(cfg, args.batch, args.shape, args.device, args.teacher_precision, modes=modes(args),
                        cpu_time=args.cpu_time)
    label_shape = steps.label_shape
    times = steps.time_rounds(args.iters, args.warmup)
    breakdowns = [steps.distill_breakdown() for _ in range(max(1, args.iters // 2))]
    med = {m: bench.median(v) for m, v in times.items()}
    estimate = steps.mac_estimate()
    profiles = {m: bench.profile_step(fn) for m, fn in steps.fns.items()} if args.profile else None
    peaks = None
    if not args.no_memory:
        if args.device == 'cuda':
            peaks = {m: bench.cuda_peak_mib(steps, m) for m in modes(args)}
        else:
            del steps
            peaks = cpu_peaks(args)

    device = (torch.cuda.get_device_name() if args.device == 'cuda'
              else f'CPU {platform.processor() or platform.machine()}, {torch.get_num_threads()} threads'
              + (', process CPU time' if args.cpu_time else ''))
    print(f'benchmark: {args.config}')
    print(f'input {args.batch}x3x{args.shape[0]}x{args.shape[1]}, labels {label_shape[0]}x{label_shape[1]}, '
          f'{device}, torch {torch.__version__}, teacher precision {args.teacher_precision or "fp32"}, median of '
          f'{args.iters} rounds after {args.warmup} warm-up')
    labels = {'student': '(a) student training step', 'teacher': '(b) teacher inference (as KD runs it)',
              'distill': '(c) distillation step', 'official_student': "(a') official student step",
              'official_teacher': "(b') official teacher inference",
              'official_distill': "(c') official step, no_grad T"}
    mem_label = 'peak MiB (CUDA allocated)' if args.device == 'cuda' else 'peak MiB (RSS above runtime)'
    print(f'{"step":<40} {"s/iter":>9} {"img/s":>8} {mem_label:>30}')
    for m in modes(args):
        mem = f'{peaks[m]:.0f}' if peaks else '-'
        print(f'{labels[m]:<40} {med[m]:>9.3f} {args.batch / med[m]:>8.2f} {mem:>30}')
    ratio = med['distill'] / (med['student'] + med['teacher'])
    print(f'time   (c) / ((a) + (b)) = {ratio:.3f}   (MAC estimate '
          f'{estimate["estimate"]:.3f}: forward GMACs student {estimate["student"] / 1e9:.2f}, teacher '
          f'{estimate["teacher"] / 1e9:.2f}, connectors {estimate["connectors"] / 1e9:.2f}; training ~ 3 forwards)')
    print(f'time   measured / MAC estimate = {ratio / estimate["estimate"]:.3f}')
    if peaks:
        print(f'memory (c) / ((a) + (b)) = {peaks["distill"] / (peaks["student"] + peaks["teacher"]):.3f}')
    phases = {k: bench.median([b[k] for b in breakdowns]) for k in breakdowns[0]}
    print('breakdown of (c), s: ' + ' | '.join(f'{k} {v:.3f}' for k, v in phases.items()))
    if args.official_step:
        print(f"time   (c) / (c') = {med['distill'] / med['official_distill']:.3f}   (the official step with its "
              f"teacher under no_grad; (a) / (a') = {med['student'] / med['official_student']:.3f}, (b) / (b') = "
              f"{med['teacher'] / med['official_teacher']:.3f})")
        if peaks:
            print(f"memory (c) / (c') = {peaks['distill'] / peaks['official_distill']:.3f}")
    if profiles:
        for m, prof in profiles.items():
            print(f'profile {labels[m].split(" ")[0]}: {prof["total_ms"]:.0f} ms self time, aten::copy_ '
                  f'{prof["copies"]} calls ({prof["copied_mib"]:.0f} MiB); top: ' + ' | '.join(
                      f'{name} x{count} {ms:.0f} ms' for name, count, ms in prof['top']))
    if args.teacher_precision:
        for name, (fp32, low) in kd_loss_change(cfg, args).items():
            print(f'{name}: fp32 teacher {fp32:.6g}, {args.teacher_precision} teacher {low:.6g} '
                  f'(relative change {abs(low - fp32) / max(abs(fp32), 1e-12):.2e})')


if __name__ == '__main__':
    main()
