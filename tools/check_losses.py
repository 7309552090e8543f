"""Checks that training runs logged finite losses: reads MMEngine's ``vis_data/scalars.json`` of each work dir.

    python tools/check_losses.py WORK_DIR [WORK_DIR ...] [--min-iters 10] [--ratio NUM DEN [--windows 5]]

Prints how many iterations were logged and the last value of every loss term; exits 1 if a loss is NaN or infinite,
if no loss was logged, or if fewer than --min-iters iterations were (tools/gpu_check.sh runs it after each training).
``--ratio NUM DEN`` also prints how two logged loss terms compare over training (e.g. ``loss_adapt decode.loss_ce``:
a weighted distillation term against the task loss): the logged iterations are cut into ``--windows`` equal parts and
each part's mean of NUM is divided by its mean of DEN, per run and, for several runs, averaged over the runs.
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


def ratio_windows(rows: list, num: str, den: str, windows: int) -> list:
    """``[(first iteration, last iteration, mean num / mean den)]`` over ``windows`` equal parts of the logged rows
    that have both keys."""
    pts = [(it, losses[num], losses[den]) for it, losses in rows if num in losses and den in losses]
    if not pts:
        raise SystemExit(f'no logged iteration has both {num!r} and {den!r}')
    out = []
    for w in range(min(windows, len(pts))):
        part = pts[w * len(pts) // min(windows, len(pts)):(w + 1) * len(pts) // min(windows, len(pts))]
        out.append((part[0][0], part[-1][0], sum(p[1] for p in part) / sum(p[2] for p in part)))
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('work_dirs', nargs='+', metavar='work_dir')
    p.add_argument('--min-iters', type=int, default=1, help='fewest logged iterations that pass')
    p.add_argument('--ratio', nargs=2, metavar=('NUM', 'DEN'), help='also print loss NUM / loss DEN over training')
    p.add_argument('--windows', type=int, default=5, help='parts of the run for --ratio (default: 5)')
    args = p.parse_args()
    status, ratios = 0, []
    for work_dir in args.work_dirs:
        rows = read_losses(work_dir)
        bad = [(it, k, v) for it, losses in rows for k, v in losses.items()
               if not isinstance(v, (int, float)) or not math.isfinite(v)]
        last = ', '.join(f'{k} {v:.4g}' for k, v in rows[-1][1].items()) if rows else '-'
        print(f'{work_dir}: {len(rows)} logged iterations, last: {last}')
        if bad:
            print(f'NOT FINITE: {bad[:5]}')
            status = 1
        elif len(rows) < args.min_iters:
            print(f'too few logged iterations: {len(rows)} < {args.min_iters}')
            status = 1
        elif args.ratio:
            ratios.append(ratio_windows(rows, *args.ratio, args.windows))
            print(f'  {args.ratio[0]} / {args.ratio[1]} by part of the run: ' +
                  ', '.join(f'iters {a}-{b}: {r:.4g}' for a, b, r in ratios[-1]))
    if len(ratios) > 1 and len({len(r) for r in ratios}) == 1:
        means = [sum(r[w][2] for r in ratios) / len(ratios) for w in range(len(ratios[0]))]
        print(f'{args.ratio[0]} / {args.ratio[1]}, mean of {len(ratios)} runs by part: ' +
              ', '.join(f'iters {a}-{b}: {m:.4g}' for (a, b, _), m in zip(ratios[0], means)))
    return status


if __name__ == '__main__':
    sys.exit(main())
