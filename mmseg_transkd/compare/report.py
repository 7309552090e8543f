"""Tables, sentences and the figure of a comparison, computed from the runs' own logs (nothing is typed in)."""
import math
import os.path as osp
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

import numpy as np

from ..demo.report import markdown_table, text_table
from .budget import Budget
from .comparison import Outcome
from .stats import FEW_SEEDS, LEVEL, Paired, explain, mean_std, paired, t_critical

COMPUTE_FIGURE = 'comparison_equal_compute.png'  # the figure of the equal-compute runs, next to comparison.png
SHORT = {'helps': 'helps (beyond noise)', 'hurts': 'hurts (beyond noise)', 'noise': 'within noise',
         'one seed': 'one seed: no interval'}


@dataclass
class Row:
    """One method's numbers over its seeds."""
    name: str
    mious: Dict[int, float]
    mean: float
    std: float
    seconds: float  # mean wall time of one run
    iters: int  # training iterations of its runs
    paired: Optional[Paired]  # None for the student alone
    per_class: Dict[str, float]  # mean IoU per class over the seeds
    per_class_delta: Dict[str, float]  # mean paired IoU difference per class (NaN where a class is absent)
    sentence: str


def _nanmean(values: Sequence[float]) -> float:
    vals = [v for v in values if not math.isnan(v)]
    return sum(vals) / len(vals) if vals else math.nan


def summarize(outcome: Outcome) -> List[Row]:
    """The student alone first, then every method: mean ± std, paired difference and interval, per-class deltas."""
    student = outcome.results[outcome.student]
    s_miou = {s: r.miou for s, r in student.items()}
    noise_mean, noise_sd = mean_std(list(s_miou.values()))
    rows = []
    for name, runs in outcome.results.items():
        if not runs:
            continue
        mious = {s: r.miou for s, r in sorted(runs.items())}
        mean, std = mean_std(list(mious.values()))
        classes = list(next(iter(runs.values())).per_class)
        per_class = {c: _nanmean([r.per_class.get(c, math.nan) for r in runs.values()]) for c in classes}
        p = None if name == outcome.student else paired(mious, s_miou)
        delta = {}
        if p is not None:
            delta = {c: _nanmean([runs[s].per_class.get(c, math.nan) - student[s].per_class.get(c, math.nan)
                                  for s in p.seeds]) for c in classes}
        sentence = (f'{name}: the reference. Changing only the seed moves it by ±{noise_sd:.2f} mIoU (std over '
                    f'{len(s_miou)} seeds).' if name == outcome.student and len(s_miou) > 1 else
                    f'{name}: the reference (one seed: its seed-to-seed noise is unknown).'
                    if name == outcome.student else explain(name, p, noise_sd, len(s_miou)))
        rows.append(Row(name, mious, mean, std, sum(r.seconds for r in runs.values()) / len(runs),
                        next(iter(runs.values())).run.iters, p, per_class, delta, sentence))
    return rows


def _pm(mean: float, std: float) -> str:
    return f'{mean:.2f}' if math.isnan(std) else f'{mean:.2f} ± {std:.2f}'


def _table(rows: List[Row], iters: bool = False) -> tuple:
    """Header and body of a results table; ``iters``: with the iterations of each method (equal compute)."""
    header = ['method', 'seeds', 'mIoU (mean ± std)', 'Δ vs student alone', f'{LEVEL:.0%} interval (paired t)',
              'verdict', 'train time/run (s)']
    body = []
    for r in rows:
        seeds = ','.join(str(s) for s in r.mious)
        if r.paired is None:
            body.append([r.name, seeds, _pm(r.mean, r.std), '—', '—', 'reference', f'{r.seconds:.0f}'])
        else:
            p = r.paired
            interval = '—' if p.n < 2 else f'[{p.low:+.2f}, {p.high:+.2f}]'
            body.append([r.name, seeds, _pm(r.mean, r.std), f'{p.mean:+.2f} (n={p.n})', interval, SHORT[p.verdict],
                         f'{r.seconds:.0f}'])
        if iters:
            body[-1].insert(2, r.iters)
    return (header[:2] + ['iters'] + header[2:] if iters else header), body


def compute_heading(budget: Budget) -> tuple:
    """The title of the equal-compute table and a sentence saying what equal compute means here."""
    what = 'MACs per training step' if budget.kind == 'macs' else 'training step time measured on this machine'
    return (f'At equal compute ({what})', f'each run gets the iterations that fit in the compute of {budget.base} '
            f'iterations of {budget.reference}, the most expensive')


def text_summary(rows: List[Row], compute: Optional[Outcome] = None) -> str:
    """The table and one sentence per method, for the terminal; with ``compute`` (an equal-compute outcome), the
    equal-iteration table and the equal-compute table, then the sentences of each."""
    header, body = _table(rows)
    if compute is None:
        return text_table(header, body) + '\n\n' + '\n'.join(f'- {r.sentence}' for r in rows)
    crows = summarize(compute)
    return '\n'.join([
        f'At equal iterations ({rows[0].iters} each):', '', text_table(header, body), '',
        ': '.join(compute_heading(compute.budget)) + ':', '', text_table(*_table(crows, iters=True)), '',
        'At equal iterations:', *[f'- {r.sentence}' for r in rows], '',
        'At equal compute:', *[f'- {r.sentence}' for r in crows]])


INTERVAL_NOTE = (
    'How to read this: each seed trains the student alone and every method with the same initial student weights, '
    'the same order of training images and the same augmentations, so "Δ" is the mean over seeds of the per-seed '
    'difference to the student alone. The interval is the paired t interval, Δ ± t(0.975, n−1)·sd/√n over the n '
    'seeds both have. If it lies entirely above zero, the gain is larger than the seed-to-seed noise; if it '
    'includes zero, these seeds cannot tell the method from the student alone (which is not the same as "it does '
    'not help"). {width} One run per method is not evidence: the same config under another seed already gives '
    'another mIoU (the student alone\'s spread above), so a single difference mixes the method\'s effect with that '
    'luck.')


def interval_note(seeds: Sequence[int], noise_seeds: Sequence[int] = ()) -> str:
    """INTERVAL_NOTE with the t of the seeds used, advising more seeds (a valid ``--seeds`` list of five) only
    when there are fewer than ``FEW_SEEDS``."""
    n = len(seeds)
    more = list(seeds)
    candidate = 0
    while len(more) < 5:
        if candidate not in more and candidate not in noise_seeds:
            more.append(candidate)
        candidate += 1
    advice = f'run more seeds (`--seeds {" ".join(map(str, more))}`) before trusting a small gain'
    if n < 2:
        width = f'With one seed there is no interval at all: {advice}.'
    elif n < FEW_SEEDS:
        width = f'With {n} seeds t = {t_critical(n):.2f}, so the interval is wide: {advice}.'
    else:
        width = f'With {n} seeds t = {t_critical(n):.2f}.'
    return INTERVAL_NOTE.format(width=width)


def _results(rows: List[Row], iters: bool = False) -> List[str]:
    return [markdown_table(*_table(rows, iters)), ''] + [f'- {r.sentence}' for r in rows] + ['']


def _budget_lines(budget: Budget) -> List[str]:
    """The cost of a step of every config and the iterations it got."""
    top = budget.costs[budget.reference]
    return [f'Cost of one training step: {budget.note}', '', markdown_table(
        ['method', 'config', f'cost per step ({budget.unit})', f'× {budget.reference}', 'iterations at equal compute'],
        [[n, f'`{budget.configs.get(n, "")}`', budget.cost_text(n), f'{budget.costs[n] / top:.3f}', budget.iters[n]]
         for n in budget.costs]), '']


def _per_run(rows: List[Row]) -> str:
    seeds = sorted({s for r in rows for s in r.mious})
    return markdown_table(['method'] + [f'seed {s}' for s in seeds],
                          [[r.name] + [f'{r.mious[s]:.2f}' if s in r.mious else '' for s in seeds] for r in rows])


def _per_class(rows: List[Row]) -> str:
    student = rows[0]
    return markdown_table(
        ['class', f'{student.name} IoU'] + [f'Δ {r.name}' for r in rows[1:]],
        [[c, _num(student.per_class[c], '.2f')] + [_num(r.per_class_delta.get(c, math.nan), '+.2f') for r in rows[1:]]
         for c in student.per_class])


def markdown_report(outcome: Outcome, rows: List[Row], command: str, figure: Optional[str],
                    preamble: Sequence[str] = (), extra: Sequence[str] = (),
                    compute_figure: Optional[str] = None) -> str:
    """The whole report.md: what was run, the table(s), the sentences, per-seed and per-class numbers, the runs.
    With an equal-compute outcome (``outcome.compute``) every section has its equal-compute twin."""
    compute = outcome.compute
    crows = summarize(compute) if compute is not None else None
    student = rows[0]
    lines = list(preamble) or ['# Does distillation help? A multi-seed comparison', '']
    budget = f'{outcome.iters} iterations each'
    if compute is not None:
        budget += f', and at equal compute ({compute.budget.kind}; below)'
    teacher = ''
    if outcome.teacher is not None:
        teacher = (f' Teacher: `{outcome.teacher.run.config}`, {outcome.teacher.run.iters} iterations, seed '
                   f'{outcome.teacher.run.seed}, mIoU {outcome.teacher.miou:.2f}.')
    elif outcome.teacher_checkpoint:
        teacher = f' Teacher checkpoint: `{outcome.teacher_checkpoint}`.'
    lines += [f'Written by `{command}`. Budget: {budget}; seeds {outcome.seeds}'
              + (f', plus noise seeds {outcome.noise_seeds} for the student alone' if outcome.noise_seeds else '')
              + f'.{teacher} Metric: mIoU of mmseg\'s IoUMetric on the validation split at the last iteration.', '',
              '## Results', '']
    if compute is None:
        lines += _results(rows)
    else:
        lines += [f'### At equal iterations ({outcome.iters} each)', ''] + _results(rows)
        title, sentence = compute_heading(compute.budget)
        lines += [f'### {title}', '', sentence[0].upper() + sentence[1:] + '.', ''] + _budget_lines(compute.budget)
        lines += _results(crows, iters=True)
    lines += [interval_note(outcome.seeds, outcome.noise_seeds), '']
    if figure:
        lines += [f'![comparison]({figure})', '']
    if compute_figure:
        lines += ['At equal compute:', '', f'![comparison at equal compute]({compute_figure})', '']
    twins = [('', rows)] + ([(' at equal compute', crows)] if crows else [])
    for suffix, regime in twins:
        lines += [f'## mIoU of every run{suffix}', '', _per_run(regime), '']
    classes = list(student.per_class)
    if classes and len(rows) > 1:
        for suffix, regime in twins:
            lines += [f'## Per-class IoU{suffix}', '',
                      f'IoU of the reference, "{student.name}" (mean over its seeds), and each method\'s mean paired '
                      'difference to it (same seeds as Δ above); "—" where a class is absent from the validation '
                      'labels and predictions.', '', _per_class(regime), '']
    lines += list(extra)
    runs = [(r.run.name, r) for r in outcome.all_results()]
    lines += ['## Runs', '', markdown_table(
        ['method', 'seed', 'iters', 'config', 'log folder', 'mIoU', 'train time (s)'],
        [[n, r.run.seed, r.run.iters, f'`{r.run.config}`', f'`{r.log_dir}`', f'{r.miou:.2f}', f'{r.seconds:.0f}']
         for n, r in runs]), '']
    return '\n'.join(lines)


def _num(v: float, fmt: str) -> str:
    return '—' if math.isnan(v) else format(v, fmt)


def plot(rows: List[Row], out: str) -> str:
    """Left: mIoU per method (every seed as a dot, mean ± std as a bar, the student's mean ± std as a band).
    Right: per-class IoU differences to the student alone (methods × classes)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    methods = rows[1:]
    classes = list(rows[0].per_class)
    panels = 2 if methods and classes else 1
    fig, axes = plt.subplots(1, panels, figsize=(6.5 + 0.5 * len(rows) + (0.45 * len(classes) + 3) * (panels - 1),
                                                   4.6), squeeze=False,
                             gridspec_kw=dict(width_ratios=[1, max(1.0, 0.09 * len(classes))][:panels]))
    ax = axes[0, 0]
    s = rows[0]
    if not math.isnan(s.std):
        ax.axhspan(s.mean - s.std, s.mean + s.std, color='0.85', zorder=0,
                   label=f'{s.name}: mean ± std ({len(s.mious)} seeds)')
    for i, r in enumerate(rows):
        ax.scatter([i] * len(r.mious), list(r.mious.values()), s=18, color=f'C{i}', zorder=3, alpha=0.8)
        ax.errorbar([i + 0.18], [r.mean], yerr=[[0.0 if math.isnan(r.std) else r.std]] * 2, fmt='o', color=f'C{i}',
                    capsize=4, zorder=4)
    ax.set_xticks(range(len(rows)))
    ax.set_xticklabels([r.name for r in rows], rotation=25, ha='right', fontsize=8)
    ax.set_ylabel('mIoU (val)')
    ax.set_title('mIoU per seed (dots), mean ± std (bars)', fontsize=10)
    ax.grid(axis='y', alpha=0.3)
    if not math.isnan(s.std):
        ax.legend(fontsize=8, loc='lower right')
    if panels == 2:
        ax = axes[0, 1]
        grid = np.array([[r.per_class_delta.get(c, math.nan) for c in classes] for r in methods])
        lim = max(1e-6, float(np.nanmax(np.abs(grid))) if np.isfinite(grid).any() else 1.0)
        im = ax.imshow(np.ma.masked_invalid(grid), cmap='RdBu', vmin=-lim, vmax=lim, aspect='auto')
        fmt = '+.1f' if lim >= 1 else '+.2f'
        for (i, j), v in np.ndenumerate(grid):
            if not math.isnan(v):
                ax.text(j, i, format(v, fmt), ha='center', va='center', fontsize=7,
                        color='white' if abs(v) > 0.6 * lim else 'black')
        ax.set_xticks(range(len(classes)))
        ax.set_xticklabels(classes, rotation=60, ha='right', fontsize=8)
        ax.set_yticks(range(len(methods)))
        ax.set_yticklabels([r.name for r in methods], fontsize=8)
        ax.set_title('per-class IoU: mean paired difference to the student alone', fontsize=10)
        fig.colorbar(im, ax=ax, shrink=0.8, label='Δ IoU')
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def write_report(outcome: Outcome, command: str, work_dir: str, preamble: Sequence[str] = (),
                 extra: Sequence[str] = ()) -> tuple:
    """Writes ``work_dir/report.md`` and ``work_dir/comparison.png`` (and ``COMPUTE_FIGURE`` with an
    equal-compute outcome); returns ``(rows, report path, png path)`` with the equal-iteration rows."""
    rows = summarize(outcome)
    png = plot(rows, osp.join(work_dir, 'comparison.png'))
    cpng = (plot(summarize(outcome.compute), osp.join(work_dir, COMPUTE_FIGURE))
            if outcome.compute is not None else None)
    md = markdown_report(outcome, rows, command, osp.basename(png), preamble, extra,
                         cpng and osp.basename(cpng))
    path = osp.join(work_dir, 'report.md')
    with open(path, 'w') as f:
        f.write(md)
    return rows, path, png
