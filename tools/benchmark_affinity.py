"""Peak memory and time of KA's affinity loss, materialised (naive) vs row-chunked, forward + backward.

    python tools/benchmark_affinity.py [--image 1024 2048] [--stride 16] [--channels 256] [--batch 1]
        [--chunks 256 1024] [--device cpu|cuda]

The default is the KA setting at full Cityscapes resolution: a 1024x2048 image at output stride 16 (64x128 = 8192
positions) with the 256-channel translated teacher feature. Each variant runs ``KAAffinityLoss`` (``chunk=None`` is the
naive one) forward and backward on random student/teacher maps. On the CPU each variant runs in a fresh process and the
peak is the resident high-water mark (VmHWM) above the process's size once the inputs exist; on CUDA it is
``max_memory_allocated`` above the inputs.
"""
import argparse
import json
import os.path as osp
import platform
import subprocess
import sys
import time

import torch

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Peak memory of the KA affinity loss: naive vs chunked.')
    parser.add_argument('--image', type=int, nargs=2, default=[1024, 2048], metavar=('H', 'W'))
    parser.add_argument('--stride', type=int, default=16, help='output stride of the compared maps')
    parser.add_argument('--channels', type=int, default=256)
    parser.add_argument('--batch', type=int, default=1)
    parser.add_argument('--chunks', type=int, nargs='+', default=[256, 1024], help='row-block sizes to measure')
    parser.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    parser.add_argument('--child', default=None, help=argparse.SUPPRESS)  # one variant, in this process
    return parser.parse_args(argv)


def run_variant(args, chunk) -> dict:
    """Forward + backward of one variant; returns its peak memory (MiB above the inputs), time and loss value."""
    from mmseg_transkd.models.losses.ka import KAAffinityLoss
    from mmseg_transkd.analysis.benchmark import peak_rss_mib, reset_peak_rss, rss_mib
    h, w = args.image[0] // args.stride, args.image[1] // args.stride
    g = torch.Generator().manual_seed(0)
    s = torch.randn(args.batch, args.channels, h, w, generator=g).to(args.device).requires_grad_()
    t = torch.randn(args.batch, args.channels, h, w, generator=g).to(args.device)
    loss_fn = KAAffinityLoss(chunk=chunk)
    if args.device == 'cuda':
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
    else:
        base = rss_mib()
        reset_peak_rss()
    start = time.perf_counter()
    loss = loss_fn(s, t)
    loss.backward()
    if args.device == 'cuda':
        torch.cuda.synchronize()
        peak = (torch.cuda.max_memory_allocated() - base) / 2**20
    else:
        peak = peak_rss_mib() - base
    return dict(chunk=chunk, peak_mib=peak, seconds=time.perf_counter() - start, loss=loss.item(),
                grad_norm=s.grad.norm().item())


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.child is not None:
        print(json.dumps(run_variant(args, None if args.child == 'naive' else int(args.child))))
        return
    if args.device == 'cuda' and not torch.cuda.is_available():
        raise SystemExit('--device cuda: no CUDA device is available.')
    h, w = args.image[0] // args.stride, args.image[1] // args.stride
    m = h * w
    results = []
    for variant in ['naive'] + [str(c) for c in args.chunks]:
        cmd = [sys.executable, osp.abspath(__file__), '--child', variant, '--image', *map(str, args.image),
               '--stride', str(args.stride), '--channels', str(args.channels), '--batch', str(args.batch),
               '--device', args.device]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
        results.append(json.loads(out))
    device = torch.cuda.get_device_name(0) if args.device == 'cuda' else \
        f'CPU {platform.machine()}, {torch.get_num_threads()} threads'
    print(f'KA affinity loss, forward + backward: image {args.image[0]}x{args.image[1]}, OS{args.stride} -> {h}x{w} = '
          f'{m} positions, {args.channels} channels, batch {args.batch}; {device}, torch {torch.__version__}')
    print(f'one fp32 m x m affinity matrix: {args.batch * m * m * 4 / 2**20:.0f} MiB')
    print(f'{"variant":<22}{"peak MiB":>10}{"s":>8}{"loss":>12}{"|grad|":>12}')
    naive = results[0]
    for r in results:
        name = 'naive (materialised)' if r['chunk'] is None else f'chunked, {r["chunk"]} rows'
        print(f'{name:<22}{r["peak_mib"]:>10.1f}{r["seconds"]:>8.2f}{r["loss"]:>12.6f}{r["grad_norm"]:>12.6f}')
    for r in results[1:]:
        print(f'chunk {r["chunk"]}: peak {r["peak_mib"] / naive["peak_mib"]:.3f} x naive, '
              f'loss difference {abs(r["loss"] - naive["loss"]):.2e}')


if __name__ == '__main__':
    main()
