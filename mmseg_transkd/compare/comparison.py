"""A multi-seed comparison of distillation methods against the student trained alone (``tools/compare.py``)."""
import os.path as osp
import re
from dataclasses import dataclass, field, replace
from typing import Callable, Dict, List, Optional, Sequence

from mmengine.config import Config

from ..utils.checks import check_data_roots, check_distiller_inputs
from .budget import BUDGETS, Budget, step_costs
from .runs import (TEACHER, Progress, Result, Run, config_key, evaluator_options, last_checkpoint, load_config,
                   max_iters, schedule_options, train_or_reuse)


@dataclass
class Method:
    """A name for the tables and the config that trains it."""
    name: str
    config: str


@dataclass
class Outcome:
    """Everything a comparison trained: ``results[name][seed]``, student first, in the order of the methods.

    ``iters`` is the budget of every run at equal iterations. With ``--budget time`` or ``macs``, ``compute`` holds
    the same methods and seeds at equal compute (an ``Outcome`` whose ``budget`` says how many iterations each method
    got and why; runs whose iterations are the equal-iteration ones are the same runs in both).
    """
    student: str
    results: Dict[str, Dict[int, Result]]
    teacher: Optional[Result] = None
    teacher_checkpoint: Optional[str] = None
    iters: int = 0
    seeds: List[int] = field(default_factory=list)
    noise_seeds: List[int] = field(default_factory=list)
    budget: Optional[Budget] = None
    compute: Optional['Outcome'] = None

    def all_results(self) -> List[Result]:
        """Every training once: the teacher, then the runs of each method at equal iterations and at equal compute."""
        found = [self.teacher] if self.teacher is not None else []
        for outcome in (self, self.compute):
            for by_seed in (outcome.results.values() if outcome else ()):
                found += [r for _, r in sorted(by_seed.items())]
        unique = {r.run.work_dir: r for r in found}
        return list(unique.values())


def slug(name: str) -> str:
    """A folder name for a method name (``'+ TransKD-Base'`` -> ``'transkd-base'``)."""
    return re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-') or 'run'


def save_teacher(ckpt_path: str, out: str) -> str:
    """A slim teacher checkpoint: the weights and the dataset meta of a training checkpoint (no optimizer)."""
    import torch

    from ..utils.export import atomic_save
    ckpt = torch.load(ckpt_path, map_location='cpu')
    meta = {k: v for k, v in (ckpt.get('meta') or {}).items() if k == 'dataset_meta'}
    atomic_save({'meta': meta, 'state_dict': ckpt['state_dict']}, out)
    return out


class Comparison:
    """Trains the student alone and every method under the same seeds and budget, then collects the results.

    Args:
        work_dir (str): One folder per method and seed below it (``<method>/seed<k>``), plus ``teacher/``.
        student (Method): The student trained alone (the reference).
        methods (Sequence[Method]): The distillation configs (any mmseg config trains; a ``DistillSegmentor``
            gets the teacher checkpoint below).
        seeds (Sequence[int]): Seeds of every method and of the student alone. A seed sets MMEngine's
            ``randomness.seed``: the initial weights (the same student weights with and without distillation), the
            order of the training images (the seeded sampler) and the random augmentations.
        noise_seeds (Sequence[int]): Extra seeds for the student alone only: a cheaper estimate of the
            seed-to-seed noise.
        teacher (Method, optional): A teacher config to train once (seed ``teacher_seed``, ``teacher_iters``
            iterations); its checkpoint is given to every distillation config.
        teacher_checkpoint (str, optional): A trained teacher instead (path or URL). With neither, each
            distillation config uses its own ``model.teacher.checkpoint``.
        iters (int, optional): The budget of the student and every method (the schedule is rescaled to it, see
            ``schedule_options``). By default each config's own, which must then be equal.
        budget (str): ``'iters'``: every run gets ``iters``. ``'time'`` or ``'macs'``: also compare at equal compute:
            every run gets as many iterations as fit in the compute of the most expensive config's ``iters``, from a
            timed calibration of each config's step on this machine or from its MACs per step (see ``budget.py``);
            the outcome's ``compute`` holds those runs.
        compute_noise_seeds (bool): Also train the student alone's noise seeds at equal compute. Each such run costs
            as much as a run of the most expensive method; without them the equal-compute table pairs the seeds of
            ``seeds`` and its noise band is the student's std over those. Defaults to True.
        cfg_options (Sequence[str]): ``key=value`` overrides applied to every run, teacher included.
        checkpoint_interval (int, optional): Checkpoint every this many iterations (resume points).
        key_extra (str): Text that is part of every run's key (e.g. a description of generated data).
        gpus (int): Processes per run (torchrun, ``--launcher pytorch``) when above 1.
        capture (bool): Capture the runs' output instead of streaming it (tests).
        say (callable): Where progress lines go.
    """

    def __init__(self, work_dir: str, student: Method, methods: Sequence[Method], seeds: Sequence[int] = (0, 1, 2),
                 noise_seeds: Sequence[int] = (), teacher: Optional[Method] = None,
                 teacher_checkpoint: Optional[str] = None, teacher_iters: Optional[int] = None,
                 teacher_seed: int = 0, iters: Optional[int] = None, budget: str = 'iters',
                 compute_noise_seeds: bool = True, cfg_options: Sequence[str] = (),
                 checkpoint_interval: Optional[int] = None, key_extra: str = '', gpus: int = 1,
                 capture: bool = False, say: Callable[[str], None] = print) -> None:
        names = [student.name] + [m.name for m in methods]
        if len(set(names)) != len(names) or len({slug(n) for n in names} | {TEACHER}) != len(names) + 1:
            raise SystemExit(f'method names must be distinct (also as folder names) and not "teacher": {names}')
        if not seeds or len(set(seeds)) != len(seeds) or set(seeds) & set(noise_seeds):
            raise SystemExit(f'seeds must be distinct and not repeated in the noise seeds: {list(seeds)}, '
                             f'{list(noise_seeds)}')
        if teacher is not None and teacher_checkpoint:
            raise SystemExit('give a teacher config to train or a teacher checkpoint, not both.')
        if iters is not None and iters < 1:
            raise SystemExit(f'--iters must be positive, got {iters}')
        if budget not in BUDGETS:
            raise SystemExit(f'--budget must be one of {", ".join(BUDGETS)}, got {budget!r}')
        self.work_dir, self.student, self.methods = work_dir, student, list(methods)
        self.seeds, self.noise_seeds = list(seeds), list(noise_seeds)
        self.teacher, self.teacher_checkpoint = teacher, teacher_checkpoint
        self.teacher_iters, self.teacher_seed = teacher_iters, teacher_seed
        self.iters, self.cfg_options, self.checkpoint_interval = iters, list(cfg_options), checkpoint_interval
        self.budget_kind, self.budget = budget, None  # the Budget once planned
        self.compute_noise_seeds = list(noise_seeds) if compute_noise_seeds else []
        self.key_extra, self.gpus, self.capture, self.say = key_extra, gpus, capture, say

    # ----------------------------------------------------------------- planning
    def _options(self, cfg: Config, config: str, seed: int, iters: Optional[int], teacher_ckpt: Optional[str]):
        opts = list(self.cfg_options) + [f'randomness.seed={seed}']
        opts += schedule_options(cfg, config, iters, self.checkpoint_interval) + evaluator_options(cfg)
        if teacher_ckpt and cfg.model.get('type') == 'DistillSegmentor':
            opts.append(f'model.teacher.checkpoint={teacher_ckpt}')
        return opts

    def _run(self, method: Method, seed: int, role: str, iters: Optional[int] = None) -> Run:
        """A run of ``method``; ``iters``: an equal-compute budget, in its own folder (``<method>/<N>iters/``)."""
        cfg = load_config(method.config, self.cfg_options)
        folder = osp.join(slug(method.name), *([f'{iters}iters'] if iters else []), f'seed{seed}')
        iters = iters or (self.teacher_iters if role == 'teacher' else self.iters)
        opts = self._options(cfg, method.config, seed, iters, self.teacher_checkpoint)
        wd = osp.join(self.work_dir, 'teacher' if role == 'teacher' else folder)
        return Run(method.name, method.config, seed, wd, opts, iters or max_iters(cfg, method.config), role)

    def _budget(self, base: int) -> Budget:
        """The equal-compute iterations of the student alone and every method (``budget.step_costs``)."""
        configs = {m.name: (m.config, load_config(m.config, self.cfg_options)) for m in [self.student] + self.methods}
        keys = {n: config_key(cfg, self.key_extra) for n, (_, cfg) in configs.items()}
        self.say(f'--budget {self.budget_kind}: measuring the cost of one training step of every config')
        budget = step_costs(self.budget_kind, configs, base, self.work_dir, keys)
        self.say('equal compute: ' + ', '.join(f'{n} {budget.iters[n]} iterations ({budget.cost_text(n)} '
                                               f'{budget.unit}/step)' for n in budget.costs))
        return budget

    def plan(self) -> List[Run]:
        """Every run in training order (teacher; then per seed the student alone and each method; then the noise
        seeds; then, with ``budget`` ``time`` or ``macs``, the same at equal compute for the methods whose
        iterations differ from the equal-iteration ones), after checking what can be checked before anything
        trains: configs, equal budgets, data folders, teacher checkpoints."""
        runs = [self._run(Method(TEACHER, self.teacher.config), self.teacher_seed, 'teacher')] if self.teacher else []
        for seed in self.seeds:
            runs.append(self._run(self.student, seed, 'student'))
            runs += [self._run(m, seed, 'method') for m in self.methods]
        runs += [self._run(self.student, seed, 'student') for seed in self.noise_seeds]
        budgets = {(r.name, r.config): r.iters for r in runs if r.role != 'teacher'}
        if len(set(budgets.values())) > 1:
            listing = ', '.join(f'{c} ({n}): {i}' for (n, c), i in budgets.items())
            raise SystemExit(f'the configs train for different numbers of iterations ({listing}); a fair comparison '
                             'needs one budget: pass --iters N.')
        for run in runs:
            if run.seed == (self.teacher_seed if run.role == 'teacher' else self.seeds[0]):
                cfg = load_config(run.config, run.options)
                check_data_roots(cfg)
                if run.role == 'method' and not self.teacher:  # a trained teacher does not exist yet
                    check_distiller_inputs(cfg.model)
        if self.budget_kind != 'iters':
            base = next(iter(budgets.values()))
            self.budget = self._budget(base)
            longer = {m.name: m for m in [self.student] + self.methods if self.budget.iters[m.name] != base}
            for seed in self.seeds + self.compute_noise_seeds:
                runs += [self._run(m, seed, 'student' if m is self.student else 'method', self.budget.iters[m.name])
                         for m in longer.values() if seed in self.seeds or m is self.student]
        return runs

    # ----------------------------------------------------------------- running
    def run(self) -> Outcome:
        runs = self.plan()
        progress = Progress(total=len(runs), say=self.say)
        names = [self.student.name] + [m.name for m in self.methods]
        base = next(r.iters for r in runs if r.role != 'teacher')
        outcome = Outcome(self.student.name, {n: {} for n in names}, iters=base, seeds=self.seeds,
                          noise_seeds=self.noise_seeds, teacher_checkpoint=self.teacher_checkpoint)
        teacher_ckpt = self.teacher_checkpoint
        done: Dict[tuple, Result] = {}  # (name, seed, iterations) -> result
        for i, run in enumerate(runs):
            if teacher_ckpt and run.role == 'method' and self.teacher:
                cfg = load_config(run.config, self.cfg_options)
                run.options = self._options(cfg, run.config, run.seed, run.iters, teacher_ckpt)
            run.key = config_key(load_config(run.config, run.options), self.key_extra)
            result = train_or_reuse(run, progress, runs[i:], self.gpus, self.capture)
            if run.role == 'teacher':
                teacher_ckpt = osp.join(run.work_dir, 'teacher.pth')
                if not osp.isfile(teacher_ckpt):
                    save_teacher(last_checkpoint(run.work_dir), teacher_ckpt)
                outcome.teacher, outcome.teacher_checkpoint = result, teacher_ckpt
            else:
                done[run.name, run.seed, run.iters] = result
        for name in names:
            outcome.results[name] = {s: done[name, s, base] for s in self.seeds + self.noise_seeds
                                     if (name, s, base) in done}
        if self.budget is not None:
            outcome.compute = replace(outcome, budget=self.budget, noise_seeds=self.compute_noise_seeds, results={n: {
                s: done[n, s, self.budget.iters[n]] for s in self.seeds + self.compute_noise_seeds
                if (n, s, self.budget.iters[n]) in done} for n in names})
        return outcome
