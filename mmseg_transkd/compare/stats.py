"""Statistics of a multi-seed comparison: seed-to-seed spread, paired differences and their 95% t intervals.

A method and the student alone trained with the same seed share the student's initial weights, the order of the
training images and their random augmentations (see ``DistillSegmentor`` and ``tools/compare.py``), so the per-seed
difference d_s = mIoU(method, s) - mIoU(student alone, s) removes much of what the seed alone does. Over the n seeds
both have, the 95% interval of the mean difference is the paired t interval

    mean(d) ± t(0.975, n - 1) · sd(d) / sqrt(n),   sd with n - 1 in the denominator,

with Student's t quantile for n - 1 degrees of freedom (12.71 for n = 2, 4.30 for n = 3, 2.78 for n = 5). It
assumes the per-seed differences scatter roughly normally around the true gain; with 2 seeds it is honest but very
wide, so small gains cannot be told apart from noise until more seeds are run.
"""
import math
from dataclasses import dataclass
from typing import Dict, Optional, Sequence

import numpy as np
from scipy import stats

LEVEL = 0.95
FEW_SEEDS = 4  # below this many seeds the sentences and the report advise more (t(0.975, 3) = 3.18)


def t_critical(n: int, level: float = LEVEL) -> float:
    """Two-sided Student t quantile for ``n`` paired values (``n - 1`` degrees of freedom)."""
    if n < 2:
        raise ValueError(f'a t interval needs at least 2 values, got {n}')
    return float(stats.t.ppf(0.5 + level / 2, n - 1))


def mean_std(values: Sequence[float]) -> tuple:
    """Mean and sample standard deviation (``n - 1`` denominator; NaN for fewer than 2 values)."""
    x = np.asarray(values, dtype=np.float64)
    return float(x.mean()), (float(x.std(ddof=1)) if len(x) > 1 else math.nan)


@dataclass
class Paired:
    """The paired difference of a method to the student alone over the seeds both have."""
    seeds: tuple
    diffs: tuple
    mean: float
    sd: float  # NaN for one seed
    low: float  # NaN for one seed
    high: float
    t: float  # the t quantile used; NaN for one seed

    @property
    def n(self) -> int:
        return len(self.seeds)

    @property
    def verdict(self) -> str:
        """``'helps'``, ``'hurts'``, ``'noise'`` (interval includes zero) or ``'one seed'`` (no interval)."""
        if self.n < 2:
            return 'one seed'
        if self.low > 0:
            return 'helps'
        if self.high < 0:
            return 'hurts'
        return 'noise'


def paired(method: Dict[int, float], student: Dict[int, float], level: float = LEVEL) -> Optional[Paired]:
    """Paired t interval of ``method[s] - student[s]`` over the seeds in both (None if they share no seed)."""
    seeds = tuple(sorted(set(method) & set(student)))
    if not seeds:
        return None
    d = np.array([method[s] - student[s] for s in seeds], dtype=np.float64)
    mean = float(d.mean())
    if len(d) < 2:
        return Paired(seeds, tuple(d.tolist()), mean, math.nan, math.nan, math.nan, math.nan)
    sd = float(d.std(ddof=1))
    t = t_critical(len(d), level)
    half = t * sd / math.sqrt(len(d))
    return Paired(seeds, tuple(d.tolist()), mean, sd, mean - half, mean + half, t)


def explain(name: str, p: Optional[Paired], noise_sd: float, noise_n: int) -> str:
    """One sentence a newcomer can read: is the method's gain larger than the seed-to-seed noise?"""
    if p is None:
        return f'{name}: no seed in common with the student alone, so no paired comparison.'
    spread = (f' (changing only the seed moves the student alone by ±{noise_sd:.2f} mIoU, std over {noise_n} '
              'seeds)') if noise_n > 1 else ''
    if p.verdict == 'one seed':
        return (f'{name}: {p.mean:+.2f} mIoU from a single seed. One run cannot separate a gain from luck{spread}; '
                'run at least 2 seeds, better 3 or more.')
    interval = f'{p.mean:+.2f} mIoU, 95% interval [{p.low:+.2f}, {p.high:+.2f}] over {p.n} seeds'
    if p.verdict == 'helps':
        return f'{name}: helps. {interval}: the whole interval is above zero, so the gain is larger than the noise.'
    if p.verdict == 'hurts':
        return (f'{name}: hurts. {interval}: the whole interval is below zero, so it is worse than the student alone '
                'by more than the noise.')
    more = (f' With {p.n} seeds the interval is wide (t = {p.t:.2f}); more seeds narrow it.' if p.n < FEW_SEEDS else '')
    return (f'{name}: not distinguishable from noise. {interval} includes zero: these seeds cannot tell whether it '
            f'helps or hurts{spread}.{more}')
