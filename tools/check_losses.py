"""Checks that a training run logged finite losses: reads MMEngine's ``vis_data/scalars.json`` of a work dir.

    python tools/check_losses.py WORK_DIR [--min-iters 10]

Prints how many iterations were logged and the last value of every loss term; exits 1 if a loss is NaN or infinite,
if no loss was logged, or if fewer than --min-iters iterations were (tools/gpu_check.sh runs it after each training).
"""
import argparse
import math
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # the repository, run as a script
from mmseg_transkd.demo.report import read_scalars  # noqa: E402


def read_losses(work_dir: str) -> list:
    """``[(iteration, {loss key: value})]`` of the newest run in ``work_dir`` (MMEngine writes one timestamped folder
    per run; the log interval must be 1 to see every iteration)."""
    rows = []
    for entry in read_scalars(work_dir)['train']:
        losses = {k: v for k, v in entry.items() if 'loss' in k}
        if losses:
            rows.append((entry.get('iter', entry.get('step')), losses))
    return rows


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('work_dir')
    p.add_argument('--min-iters', type=int, default=1, help='fewest logged iterations that pass')
    args = p.parse_args()
    rows = read_losses(args.work_dir)
    bad = [(it, k, v) for it, losses in rows for k, v in losses.items()
           if not isinstance(v, (int, float)) or not math.isfinite(v)]
    last = ', '.join(f'{k} {v:.4g}' for k, v in rows[-1][1].items()) if rows else '-'
    print(f'{args.work_dir}: {len(rows)} logged iterations, last: {last}')
    if bad:
        print(f'NOT FINITE: {bad[:5]}')
        return 1
    if len(rows) < args.min_iters:
        print(f'too few logged iterations: {len(rows)} < {args.min_iters}')
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
