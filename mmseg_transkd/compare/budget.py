"""Equal-compute budgets of a comparison (``tools/compare.py --budget time|macs``).

A distillation step costs more than a step of the student alone (the teacher's forward as far as KD runs it, the
connectors and their losses), so at equal iterations distillation also gets more compute. At equal compute every run
gets as many iterations as fit in the compute of the most expensive run's ``base`` iterations,

    iters(m) = floor(base · cost(most expensive) / cost(m)),

so the most expensive config keeps ``base`` (its runs are the equal-iteration runs) and the others train longer. The
cost of one training step is measured in one of two ways:

* ``macs``: multiply-accumulates of one training step under the official TransKD counting convention
  (``analysis/flops.py``, the counter of ``tools/get_flops.py`` and ``tools/benchmark.py``), on the config's training
  input (``train_dataloader.batch_size`` images of ``data_preprocessor.size``):

      step MACs = batch · (3·S + T + 3·C)

  with S, T, C the forward MACs of the student, of the teacher as KD runs it (eval, only as far as the recorded
  tensors need; nothing for the student alone) and of the connectors: the benchmark's ``Steps.mac_estimate``
  convention, in which a trained module's backward costs two forwards (input and weight gradients) and the frozen
  teacher has no backward. Deterministic and machine-independent. Functional operations (attention matmuls, the KD
  losses themselves, interpolation) are not counted, as in the official convention.
* ``time``: the median wall time of one training step of every config on this machine (the benchmark's synthetic
  batch of the same size: forward, task and KD losses, backward, AdamW step), ``ROUNDS`` interleaved rounds after
  ``WARMUP`` warm-up rounds, so drift of the machine's load hits every config alike. It is cached in the comparison's
  work dir (``step_costs.json``) and reused while the configs are unchanged, so re-running the comparison finds the
  same iterations and reuses its finished runs.

The teacher's own training is not counted in either budget: it is trained once and shared by every method and seed.
"""
import copy
import datetime
import hashlib
import json
import math
import os.path as osp
import platform
import statistics
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, Mapping, Optional, Tuple

from mmengine.config import Config

from ..utils.export import atomic_write_bytes, is_distiller

BUDGETS = ('iters', 'time', 'macs')
ROUNDS, WARMUP = 5, 2  # timed rounds (median) and warm-up rounds of the time calibration
CACHE = 'step_costs.json'


@dataclass
class Budget:
    """How the equal-compute iterations were set: every run gets ``iters[name]`` iterations.

    Attributes:
        kind (str): ``'time'`` or ``'macs'``.
        base (int): The iterations of the most expensive config (``reference``), those of the equal-iteration runs.
        costs (dict): Cost of one training step per method name (seconds or MACs).
        iters (dict): Iterations per method name at equal compute.
        configs (dict): Config file per method name.
        note (str): How the costs were obtained (input size, rounds, device, date; whether they were reused).
    """
    kind: str
    base: int
    costs: Dict[str, float]
    iters: Dict[str, int] = field(default_factory=dict)
    configs: Dict[str, str] = field(default_factory=dict)
    note: str = ''

    def __post_init__(self) -> None:
        if not self.iters:
            self.iters = equal_compute_iters(self.costs, self.base)

    @property
    def reference(self) -> str:
        """The most expensive method (the first of equals), whose budget is ``base``."""
        return max(self.costs, key=lambda n: self.costs[n])

    @property
    def unit(self) -> str:
        return 'GMACs' if self.kind == 'macs' else 's'

    def cost_text(self, name: str) -> str:
        c = self.costs[name]
        return f'{c / 1e9:.3f}' if self.kind == 'macs' else f'{c:.3f}'


def equal_compute_iters(costs: Mapping[str, float], base: int) -> Dict[str, int]:
    """``floor(base · max(costs) / cost)`` per name: the iterations that fit in the most expensive one's ``base``.

    Costs that are whole numbers (MACs) are divided exactly; measured seconds get a relative tolerance of 1e-9, so a
    ratio that is a whole number in decimal (0.9 / 0.45) is not floored to one iteration less by binary rounding.
    """
    if base < 1:
        raise ValueError(f'the base budget must be positive, got {base}')
    bad = {n: c for n, c in costs.items() if not (c > 0 and math.isfinite(c))}
    if bad:
        raise SystemExit(f'step costs must be positive and finite, got {bad}')
    top = max(costs.values())
    if all(float(c).is_integer() for c in costs.values()):
        return {n: int(base * int(top) // int(c)) for n, c in costs.items()}
    return {n: int(math.floor(base * top / c * (1 + 1e-9))) for n, c in costs.items()}


def training_input(cfg: Config, config: str, kind: str) -> Tuple[int, Tuple[int, int]]:
    """``(batch, (H, W))`` of one training step: ``train_dataloader.batch_size`` images padded to the (student's)
    ``data_preprocessor.size`` (mmseg configs set it to the crop size), else the config's ``crop_size``."""
    model = cfg.model
    student = model.get('student', model) if is_distiller(cfg) else model
    size = ((student.get('data_preprocessor') or {}).get('size') or (model.get('data_preprocessor') or {}).get('size')
            or cfg.get('crop_size'))
    batch = (cfg.get('train_dataloader') or {}).get('batch_size')
    if not size or len(size) != 2 or not batch:
        raise SystemExit(f'{config}: --budget {kind} needs the size of a training step: model.data_preprocessor.size '
                         '(the training crop, as mmseg configs set it) and train_dataloader.batch_size. Set them, or '
                         'compare at equal iterations (--budget iters).')
    return int(batch), (int(size[0]), int(size[1]))


def _registry_scope(cfg: Config) -> None:
    from mmengine.registry import init_default_scope
    init_default_scope(cfg.get('default_scope', 'mmseg'))


def step_macs(cfg: Config, config: str) -> int:
    """MACs of one training step of ``cfg`` (see the module docstring), counted on the CPU at batch 1 and multiplied
    by the batch size (every counted module is linear in it)."""
    import torch
    from mmseg.registry import MODELS

    from ..analysis.benchmark import Steps
    from ..analysis.flops import count_official_macs
    _registry_scope(cfg)
    batch, shape = training_input(cfg, config, 'macs')
    if is_distiller(cfg):
        m = Steps(cfg, 1, shape, 'cpu', modes=('distill',)).mac_estimate()
        per_image = 3 * m['student'] + m['teacher'] + 3 * m['connectors']
    else:
        model = MODELS.build(copy.deepcopy(cfg.model)).eval()
        x = torch.zeros(1, 3, *shape)
        per_image = 3 * count_official_macs(model, lambda: model._forward(x))
    return batch * int(per_image)


def _step_fn(cfg: Config, config: str, device: str) -> Callable[[], None]:
    """One training step of ``cfg`` on a synthetic batch of its training size: a distiller's through the benchmark's
    distillation step (c), a plain segmentor's as the benchmark's student step (a)."""
    import torch
    from mmseg.registry import MODELS

    from ..analysis.benchmark import Steps, synthetic_batch, train_label_shape
    _registry_scope(cfg)
    batch, shape = training_input(cfg, config, 'time')
    if is_distiller(cfg):
        return Steps(cfg, batch, shape, device, modes=('distill',)).fns['distill']
    model = MODELS.build(copy.deepcopy(cfg.model)).to(device).train()
    inputs, samples = synthetic_batch(model.decode_head.num_classes, batch, shape, device,
                                      label_shape=train_label_shape(cfg, shape))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-6)

    def step() -> None:
        loss, _ = model.parse_losses(model.loss(inputs, samples))
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
    return step


def median_step_seconds(steps: Mapping[str, Callable[[], None]], rounds: int, warmup: int,
                        clock: Callable[[], float] = time.perf_counter,
                        sync: Callable[[], None] = lambda: None) -> Dict[str, float]:
    """Median seconds per call of every step, over ``rounds`` interleaved rounds (one call of each step per round)
    after ``warmup`` untimed rounds (the benchmark's ``time_interleaved``)."""
    from ..analysis.benchmark import time_interleaved

    def now() -> float:
        sync()
        return clock()
    times = time_interleaved(dict(steps), rounds, warmup, now)
    return {n: statistics.median(v) for n, v in times.items()}


def calibrate_seconds(configs: Mapping[str, Tuple[str, Config]], device: str) -> Dict[str, float]:
    """Seconds of one training step of every config on this machine (``ROUNDS`` interleaved rounds after
    ``WARMUP``; every step is built first, then timed side by side)."""
    import torch
    steps = {name: _step_fn(cfg, path, device) for name, (path, cfg) in configs.items()}
    sync = torch.cuda.synchronize if device == 'cuda' else (lambda: None)
    return median_step_seconds(steps, ROUNDS, WARMUP, sync=sync)


def _device() -> Tuple[str, str]:
    import torch
    if torch.cuda.is_available():
        return 'cuda', torch.cuda.get_device_name()
    return 'cpu', f'CPU {platform.processor() or platform.machine()}, {torch.get_num_threads()} threads'


def _size_text(configs: Mapping[str, Tuple[str, Config]], kind: str) -> str:
    sizes = {training_input(cfg, path, kind) for path, cfg in configs.values()}
    return ', '.join(f'{b}×3×{h}×{w}' for b, (h, w) in sorted(sizes))


def step_costs(kind: str, configs: Mapping[str, Tuple[str, Config]], base: int, work_dir: str,
               keys: Mapping[str, str]) -> Budget:
    """The equal-compute ``Budget`` of ``configs`` (``name -> (config file, effective config)``) for ``base``
    iterations of the most expensive one. ``keys`` identify the effective configs: a time calibration in
    ``work_dir/step_costs.json`` with the same keys and device is reused."""
    names = {n: path for n, (path, _) in configs.items()}
    if kind == 'macs':
        costs = {n: float(step_macs(cfg, path)) for n, (path, cfg) in configs.items()}
        note = (f'MACs of one training step on its training input ({_size_text(configs, kind)}): batch · (3·student '
                'forward + teacher forward as KD runs it + 3·connectors forward), official TransKD counting '
                'convention (`mmseg_transkd/analysis/flops.py`); a backward pass counts as two forwards, the frozen '
                'teacher has none. Deterministic, independent of the machine.')
        return Budget(kind, base, costs, configs=names, note=note)
    if kind != 'time':
        raise SystemExit(f'--budget must be one of {", ".join(BUDGETS)}, got {kind!r}')
    device, device_name = _device()
    ident = hashlib.sha256(json.dumps([sorted(keys.items()), device_name], sort_keys=True).encode()).hexdigest()[:16]
    cache = osp.join(work_dir, CACHE)
    saved = json.load(open(cache)) if osp.isfile(cache) else {}
    if saved.get('ident') == ident and set(saved.get('seconds', {})) == set(configs):
        costs, when, reused = {n: float(s) for n, s in saved['seconds'].items()}, saved['when'], True
    else:
        costs, reused = calibrate_seconds(configs, device), False
        when = datetime.datetime.now().isoformat(timespec='seconds')
        atomic_write_bytes(json.dumps(dict(ident=ident, device=device_name, when=when, rounds=ROUNDS, warmup=WARMUP,
                                           seconds=costs), indent=1).encode(), cache)
    note = (f'median wall time of one training step on a synthetic batch of its training size '
            f'({_size_text(configs, kind)}; forward, losses, backward, AdamW step), {ROUNDS} rounds after {WARMUP} '
            f'warm-up, interleaved across the configs, on {device_name}, calibrated {when}'
            + (f' (reused from `{CACHE}`: delete it to calibrate again; the iterations, and so the runs, would '
               'change)' if reused else '') + '. It depends on the machine and its load.')
    return Budget(kind, base, costs, configs=names, note=note)
