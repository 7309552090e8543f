"""The training runs of a comparison: effective configs, reuse of finished runs, resume of died ones, progress.

Every run goes through ``tools/train.py`` in its own process (``tools/dist_train.sh``'s torchrun for several GPUs),
so a comparison trains exactly what a user would train by hand, and a run that dies leaves its work_dir behind. A
run is identified by a key, the hash of its *effective* config (the config file, the ``--cfg-options`` of the user
and those of the harness: seed, budget, teacher checkpoint) plus the content of the teacher checkpoint it reads and
any caller-supplied text (e.g. a description of generated data). Its folder holds ``compare_run.json``:

- same key and the run finished: the run is reused (its numbers are read back from its logs);
- same key, unfinished, with a checkpoint: ``tools/train.py --resume`` continues from the last checkpoint;
- otherwise (new, changed config, or died before its first checkpoint): the folder is cleared and the run starts.
"""
import argparse
import copy
import glob
import hashlib
import json
import os
import os.path as osp
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence

from mmengine.config import Config, DictAction

from mmseg_transkd.utils.config import teacher_specs
from mmseg_transkd.utils.export import atomic_write_bytes

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
STATE = 'compare_run.json'
TEACHER = 'teacher'  # the name of the teacher run


def parse_cfg_options(options: Sequence[str]) -> dict:
    """``['a.b=1', ...]`` -> dict, parsed exactly as ``tools/train.py --cfg-options`` parses them."""
    if not options:
        return {}
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(['--cfg-options', *options]).cfg_options


def load_config(config: str, options: Sequence[str], _files: Dict[str, Config] = {}) -> Config:
    """The config ``tools/train.py`` would run: the file with ``options`` merged (``--cfg-options`` semantics)."""
    if not osp.isfile(config):
        raise SystemExit(f'config file "{config}" not found.')
    if config not in _files:  # parsing a config and its bases takes a while; a comparison reads each file often
        _files[config] = Config.fromfile(config)
    cfg = copy.deepcopy(_files[config])
    cfg.merge_from_dict(parse_cfg_options(options))
    return cfg


def max_iters(cfg: Config, config: str) -> int:
    train_cfg = cfg.get('train_cfg') or {}
    if 'max_iters' not in train_cfg:
        raise SystemExit(f'{config}: train_cfg has no max_iters; the comparison needs an iteration-based schedule '
                         '(train_cfg.type=IterBasedTrainLoop), as mmseg\'s configs use.')
    return int(train_cfg['max_iters'])


def schedule_options(cfg: Config, config: str, iters: Optional[int], checkpoint_interval: Optional[int]) -> List[str]:
    """``--cfg-options`` giving ``cfg`` a budget of ``iters`` iterations and validating once, at the end.

    Every iteration count of the schedule is scaled by ``iters / max_iters``: the ``begin``/``end`` of each
    iteration-based ``param_scheduler`` and its ``max_decay_steps`` (``ClosedFormPolyLR``), so warm-up and decay keep
    their shape, and the checkpoint interval (so a run that dies can be resumed); ``checkpoint_interval`` sets the
    latter explicitly.
    """
    old = max_iters(cfg, config)
    new = old if iters is None else iters
    opts = [f'train_cfg.max_iters={new}', f'train_cfg.val_interval={new}']
    if new != old:
        schedulers = cfg.get('param_scheduler') or []
        for i, sched in enumerate([schedulers] if isinstance(schedulers, dict) else schedulers):
            if sched.get('by_epoch', True) and sched.get('convert_to_iter_based') is not True:
                raise SystemExit(f'{config}: param_scheduler[{i}] is epoch-based; --iters rescales iteration-based '
                                 'schedules only (set by_epoch=False).')
            prefix = 'param_scheduler' if isinstance(schedulers, dict) else f'param_scheduler.{i}'
            begin = min(round(sched.get('begin', 0) * new / old), new - 1)
            opts.append(f'{prefix}.begin={begin}')
            if 'end' in sched:  # at least one iteration long, even for tiny budgets
                opts.append(f'{prefix}.end={max(begin + 1, round(sched["end"] * new / old))}')
            if 'max_decay_steps' in sched:  # a decay length of its own (ClosedFormPolyLR), not a begin/end window
                opts.append(f'{prefix}.max_decay_steps={max(1, round(sched["max_decay_steps"] * new / old))}')
    ckpt = (cfg.get('default_hooks') or {}).get('checkpoint')
    if ckpt is not None:
        interval = checkpoint_interval or max(1, min(new, round(ckpt.get('interval', old) * new / old)))
        opts += [f'default_hooks.checkpoint.interval={interval}', 'default_hooks.checkpoint.by_epoch=False']
    return opts


def evaluator_options(cfg: Config) -> List[str]:
    """Swaps mmseg's ``IoUMetric`` for ``PerClassIoUMetric`` (same means, plus per-class IoU in the logs)."""
    ev = cfg.get('val_evaluator')
    if isinstance(ev, dict) and ev.get('type') in ('IoUMetric', 'mmseg.IoUMetric'):
        return ['val_evaluator.type=PerClassIoUMetric']
    return []


def file_digest(path: str, _cache: Dict[tuple, str] = {}) -> str:
    """sha256 of a local file's bytes (cached per path, size and mtime); the string itself for a URL."""
    if '://' in path or not osp.isfile(path):
        return path
    st = os.stat(path)
    key = (osp.abspath(path), st.st_size, st.st_mtime_ns)
    if key not in _cache:
        h = hashlib.sha256()
        with open(path, 'rb') as f:
            for block in iter(lambda: f.read(1 << 22), b''):
                h.update(block)
        _cache[key] = h.hexdigest()
    return _cache[key]


def config_key(cfg: Config, extra: str = '') -> str:
    """Hash of the effective config (a named recipe spelled out: its contents live in the package's fragments, not
    in the config), the bytes of every teacher checkpoint it reads and ``extra``."""
    text = json.dumps(cfg.to_dict(), sort_keys=True, default=str)
    model = cfg.get('model') or {}
    if isinstance(model, dict) and model.get('recipe'):
        from mmseg_transkd.models.distillers.recipes import expand_recipe
        text += json.dumps(expand_recipe(model), sort_keys=True, default=str)
    digest = ' '.join(file_digest(t['checkpoint']) for _, t in teacher_specs(model) if t.get('checkpoint'))
    return hashlib.sha256('\n'.join([text, digest, extra]).encode()).hexdigest()[:16]


@dataclass
class Run:
    """One training: a config with its ``--cfg-options``, under one seed, in its own work_dir."""
    name: str
    config: str
    seed: int
    work_dir: str
    options: List[str]
    iters: int
    role: str = 'method'  # 'teacher', 'student' or 'method'
    key: Optional[str] = None  # set just before it trains (a distilled run's key needs the teacher's checkpoint)


@dataclass
class Result:
    """A finished run and what its logs say."""
    run: Run
    seconds: float  # wall time of tools/train.py, summed over attempts (a resumed run counts every attempt)
    val: dict  # the validation row MMEngine logged at the last iteration (vis_data/scalars.json)
    log_dir: str  # the timestamped folder of the run's logs that holds that row
    reused: bool = False

    @property
    def miou(self) -> float:
        return float(self.val['mIoU'])

    @property
    def per_class(self) -> Dict[str, float]:
        """IoU of every class (``PerClassIoUMetric``'s ``IoU.<class>`` entries), in the dataset's class order."""
        return {k[len('IoU.'):]: float(v) for k, v in self.val.items() if k.startswith('IoU.')}


def read_final_val(work_dir: str, iters: int) -> Optional[tuple]:
    """``(row, log_dir)`` of the validation at iteration ``iters`` in the newest log of ``work_dir`` that has one."""
    for scalars in sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')), reverse=True):
        with open(scalars) as f:
            rows = [json.loads(line) for line in f if line.strip()]
        for row in reversed(rows):
            if 'mIoU' in row and row.get('step') == iters:
                return row, osp.dirname(osp.dirname(scalars))
    return None


def _write_json(path: str, obj: dict) -> None:
    atomic_write_bytes(json.dumps(obj, indent=1).encode('utf-8'), path)


def last_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint MMEngine's ``--resume`` would load (``work_dir/last_checkpoint``), if it exists."""
    pointer = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(pointer):
        return None
    path = open(pointer).read().strip()
    return path if path and osp.isfile(path) else None


def _fmt_minutes(seconds: float) -> str:
    return f'{seconds / 60:.1f} min' if seconds >= 90 else f'{seconds:.0f} s'


def seconds_per_iteration(work_dir: str) -> Optional[float]:
    """Mean training-iteration time MMEngine logged (``time`` of the train rows) in the newest run of ``work_dir``."""
    from mmseg_transkd.demo.report import read_scalars
    try:
        times = [row['time'] for row in read_scalars(work_dir)['train'] if 'time' in row]
    except FileNotFoundError:
        return None
    return sum(times) / len(times) if times else None


@dataclass
class Progress:
    """Counts runs and estimates the time left from the runs trained so far.

    A run's wall time is its training iterations (seconds per iteration, per method, from MMEngine's logged
    iteration times) plus what does not grow with them: process start-up, model build, validation, checkpoints (the
    rest of the wall time, averaged over the timed runs). So a run of another budget, or of a method not timed yet,
    is estimated with the same fixed part."""
    total: int
    say: Callable[[str], None]
    done: int = 0
    per_iter: Dict[str, List[float]] = field(default_factory=dict)  # seconds per iteration of whole runs
    fixed: List[float] = field(default_factory=list)  # seconds of whole runs outside their training iterations

    def estimate(self, run: 'Run') -> Optional[float]:
        """Fixed part + iterations × this method's seconds per iteration; for a method not timed yet, the mean of
        the timed methods' (the teacher's only if no student is timed; rough); None when nothing is timed."""
        mean = lambda xs: sum(xs) / len(xs)  # noqa: E731
        if self.per_iter.get(run.name):
            step = mean(self.per_iter[run.name])
        elif run.role == 'teacher':
            return None
        else:
            known = [mean(v) for n, v in self.per_iter.items() if v and n != TEACHER]
            step = mean(known) if known else mean(self.per_iter[TEACHER]) if self.per_iter.get(TEACHER) else None
        if step is None:
            return None
        return (mean(self.fixed) if self.fixed else 0.0) + step * run.iters

    def eta(self, pending: Sequence['Run']) -> str:
        """The estimated time of the ``pending`` runs (this one included)."""
        times = [self.estimate(r) for r in pending]
        if any(t is None for t in times):
            return 'time left: known after the first run'
        rough = '' if all(self.per_iter.get(r.name) for r in pending) else ' (rough: some methods not timed yet)'
        return f'time left: about {_fmt_minutes(sum(times))}{rough}'

    def record(self, result: 'Result', timed: bool) -> None:
        """Counts a run; ``timed``: its seconds are one whole training (not resumed), reused runs included."""
        self.done += 1
        if not timed or result.seconds <= 0:
            return
        iters = result.run.iters
        step = seconds_per_iteration(result.run.work_dir)  # a whole run: the newest log is its own
        if step is None or step * iters > result.seconds:  # nothing logged (or implausible): all of it per iteration
            step = result.seconds / iters
        else:
            self.fixed.append(result.seconds - step * iters)
        self.per_iter.setdefault(result.run.name, []).append(step)


def train_or_reuse(run: Run, progress: Progress, pending: Sequence[Run], gpus: int = 1,
                   capture: bool = False) -> Result:
    """Trains ``run`` (or reuses / resumes it, see the module docstring) and returns its result."""
    say = progress.say
    tag = f'({progress.done + 1}/{progress.total}) {run.name}, seed {run.seed}'
    os.makedirs(run.work_dir, exist_ok=True)
    state_file = osp.join(run.work_dir, STATE)
    state = json.load(open(state_file)) if osp.isfile(state_file) else {}
    if state.get('key') == run.key and state.get('status') == 'done':
        found = read_final_val(run.work_dir, run.iters)
        if found:
            say(f'{tag}: reusing the finished run in {run.work_dir} (mIoU {found[0]["mIoU"]:.2f})')
            result = Result(run, float(state.get('seconds', 0.0)), found[0], found[1], reused=True)
            progress.record(result, timed=len(state.get('attempts', [])) == 1)
            return result
    resume_from = last_checkpoint(run.work_dir) if state.get('key') == run.key else None
    if resume_from and osp.basename(resume_from) == f'iter_{run.iters}.pth':
        resume_from = None  # trained to the end but its final validation is lost: nothing left to resume
    if resume_from is None:
        if state or os.listdir(run.work_dir):
            why = 'its config changed' if state.get('key') not in (None, run.key) else 'no checkpoint to resume'
            say(f'{tag}: clearing {run.work_dir} ({why})')
        shutil.rmtree(run.work_dir, ignore_errors=True)
        os.makedirs(run.work_dir)
        state = dict(key=run.key, name=run.name, config=run.config, seed=run.seed, iters=run.iters,
                     options=run.options, seconds=0.0, attempts=[])
    guess = progress.estimate(run)
    this = f'this run about {_fmt_minutes(guess)}; ' if guess and not resume_from else ''
    action = f'resuming from {osp.basename(resume_from)}' if resume_from else f'training {run.iters} iterations'
    say(f'{tag}: {action} ({run.config}) -> {run.work_dir} [{this}{progress.eta(pending)}]')
    state.setdefault('attempts', [])

    train_py = osp.join(REPO, 'tools', 'train.py')
    if gpus > 1:
        cmd = [sys.executable, '-m', 'torch.distributed.run', f'--nproc_per_node={gpus}',
               f'--master_port={29500 + run.seed % 1000}', train_py, run.config, '--launcher', 'pytorch']
    else:
        cmd = [sys.executable, train_py, run.config]
    cmd += ['--work-dir', run.work_dir] + (['--resume'] if resume_from else []) + ['--cfg-options', *run.options]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([REPO] + [p for p in [os.environ.get('PYTHONPATH')] if p]))
    state.update(status='running', command=cmd)
    _write_json(state_file, state)
    start = time.time()
    proc = subprocess.run(cmd, env=env, capture_output=capture, text=True)
    seconds = time.time() - start
    state['seconds'] = round(state.get('seconds', 0.0) + seconds, 1)
    state['attempts'].append(dict(resumed_from=resume_from, seconds=round(seconds, 1), exit=proc.returncode))
    found = read_final_val(run.work_dir, run.iters) if proc.returncode == 0 else None
    if found is None:
        state['status'] = 'failed'
        _write_json(state_file, state)
        tail = ('\n' + (proc.stdout or '')[-3000:] + (proc.stderr or '')[-3000:]) if capture else ''
        ckpt = last_checkpoint(run.work_dir)
        again = (f'it will resume from {osp.basename(ckpt)}' if ckpt else 'it has no checkpoint yet and will start '
                 'over')
        raise SystemExit(f'[compare] {run.name}, seed {run.seed}: training failed (exit {proc.returncode}'
                         f'{"" if proc.returncode else ", no validation at the last iteration"}); see the log above '
                         f'and {run.work_dir}. Run the same command again: finished runs are reused and {again}.'
                         f'\nCommand: {" ".join(cmd)}{tail}')
    state['status'] = 'done'
    _write_json(state_file, state)
    result = Result(run, state['seconds'], found[0], found[1])
    say(f'{tag}: done, mIoU {result.miou:.2f} ({_fmt_minutes(seconds)})')
    progress.record(result, timed=resume_from is None)
    return result
