"""Bit-exact resume: a run killed after a checkpoint and resumed reproduces the uninterrupted run.

MMEngine 0.10.7 resumes the iteration counter, weights, optimizer and schedulers, but not the randomness: it replays
the dataloader ``iter`` batches (loading and augmenting every skipped sample), worker processes are re-seeded from
the same base seed, and the main process's generators (drop-path, dropout; augmentation with ``num_workers=0``) are
not saved. A resumed run is therefore a different run.

Here no random state has to be carried over, because none is left to chance:

* every training step starts with Python's ``random``, NumPy and torch (CPU and CUDA) seeded from
  ``(seed, iteration)`` (and the rank with ``randomness.diff_rank_seed``), whatever ran before it (validation,
  hooks, loading);
* every sample is loaded under generators seeded from ``(seed, position in the global sample stream)``
  (:mod:`mmseg_transkd.datasets.seeded`), so the data does not depend on ``num_workers`` or on where the run was
  resumed, and the sampler starts at the saved position without loading the skipped samples;
* the checkpoint's ``meta['exact_resume']`` records what the loop needs to continue: the sampler's seed and the
  position in the stream (iteration-based) or in the epoch (epoch-based), with the world and batch sizes. With an
  unlabeled source (``LabeledUnlabeledSampler``, :mod:`mmseg_transkd.datasets.unlabeled`) the position splits into
  the labeled and the unlabeled stream's by the per-batch counts.

On the CPU a resumed run reproduces the uninterrupted one's losses and weights bit for bit; on a GPU the same holds
up to kernels that are non-deterministic themselves (atomics in some backward passes; see
``randomness.deterministic``). Changing the number of processes or the batch size between the runs continues at the
same sample of the stream, but is not the same run.
"""
import copy
import inspect
import logging
import os
import os.path as osp
import re
from typing import Dict, Optional, Union

from mmengine.dist import get_dist_info
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.runner import BaseLoop, EpochBasedTrainLoop, IterBasedTrainLoop
from mmengine.runner.checkpoint import find_latest_checkpoint
from mmengine.runner.loops import _InfiniteDataloaderIterator
from mmengine.runner.utils import calc_dynamic_intervals
from mmseg.registry import DATA_SAMPLERS, HOOKS, LOOPS

from mmseg_transkd.datasets.seeded import (STEP, SeededDefaultSampler, SeededInfiniteSampler, SeededSampleDataset,
                                           derive_seed, seed_generators)
from mmseg_transkd.datasets.unlabeled import LabeledUnlabeledSampler, check_unlabeled_training
from mmseg_transkd.utils.checks import check_checkpoint_fits, checkpoint_problem
from mmseg_transkd.utils.config import type_name

STATE_KEY = 'exact_resume'
# MMEngine's samplers -> their seeded counterparts, per loop (a seeded sampler maps to itself)
ITER_SAMPLERS = {'InfiniteSampler': 'SeededInfiniteSampler', 'LabeledUnlabeledSampler': 'LabeledUnlabeledSampler'}
EPOCH_SAMPLERS = {'DefaultSampler': 'SeededDefaultSampler'}


def seeded_dataloader_cfg(dataloader: Union[dict, object], samplers: Dict[str, str]) -> Union[dict, object]:
    """A copy of a training dataloader config with the dataset wrapped in ``SeededSampleDataset`` and the sampler
    replaced by its seeded counterpart (``samplers``: MMEngine name -> ours). Built dataloaders and other samplers
    are kept, with a warning: their data is then not reproduced on resume."""
    if not isinstance(dataloader, dict):
        print_log('Exact resume: the training dataloader is already built, so its sampling and augmentation are not '
                  'seeded per sample; pass it as a config dict for a bit-exact resume.', logger='current',
                  level=logging.WARNING)
        return dataloader
    cfg = copy.deepcopy(dataloader)
    sampler = cfg.get('sampler')
    name = type_name(sampler.get('type')) if isinstance(sampler, dict) else None
    if name in samplers:
        sampler['type'] = samplers[name]
    elif name not in samplers.values():
        print_log(f'Exact resume: the training sampler {name or sampler!r} is not one of {sorted(samplers)}; its '
                  'order and the augmentation are not reproduced on resume.', logger='current', level=logging.WARNING)
    if isinstance(sampler, dict):
        _fill_batch_size(sampler, cfg.get('batch_size'))
    dataset = cfg.get('dataset')
    if isinstance(dataset, dict) and type_name(dataset.get('type')) != SeededSampleDataset.__name__:
        cfg['dataset'] = dict(type='SeededSampleDataset', dataset=dataset)
    return cfg


def _fill_batch_size(sampler: dict, batch_size) -> None:
    """A sampler that composes batches (``LabeledUnlabeledSampler``) takes ``batch_size``: filled in from the
    dataloader's, so the config states it once; a different value is refused."""
    cls = sampler.get('type')
    cls = DATA_SAMPLERS.get(cls) if isinstance(cls, str) else cls
    if not inspect.isclass(cls) or 'batch_size' not in inspect.signature(cls).parameters:
        return
    if sampler.get('batch_size') is None:
        sampler['batch_size'] = batch_size
    elif sampler['batch_size'] != batch_size:
        raise ValueError(f'train_dataloader.sampler.batch_size={sampler["batch_size"]} differs from '
                         f'train_dataloader.batch_size={batch_size}; remove the sampler\'s (it is filled in).')


class _ExactResume:
    """What the two loops share: step seeding, the sampler, and the hook that carries the state in checkpoints."""

    def _init_exact_resume(self) -> None:
        model = self.runner.model.module if is_model_wrapper(self.runner.model) else self.runner.model
        check_unlabeled_training(model, self.dataloader.dataset, self.dataloader.sampler)  # before the first step
        self._resumed_state: Optional[dict] = None
        self._resumed_meta: dict = {}
        if not any(isinstance(h, ExactResumeHook) for h in self.runner.hooks):
            self.runner.register_hook(ExactResumeHook())

    @property
    def seeded_sampler(self):
        """The dataloader's seeded sampler, or None when it has another one."""
        sampler = getattr(self.dataloader, 'sampler', None)
        return sampler if isinstance(sampler, (SeededInfiniteSampler, SeededDefaultSampler)) else None

    @property
    def samples_per_step(self) -> int:
        """Samples of one step over all ranks."""
        batch_size = self.dataloader.batch_size or self.dataloader.batch_sampler.batch_size
        return batch_size * get_dist_info()[1]

    def _base_state(self) -> dict:
        sampler = self.seeded_sampler
        return dict(version=1, sampler_seed=None if sampler is None else int(sampler.seed),
                    world_size=get_dist_info()[1], batch_size=self.samples_per_step // get_dist_info()[1])

    def seed_step(self, iteration: int) -> None:
        """Seeds every generator of this process for step ``iteration`` (0-based)."""
        runner = self.runner
        words = [runner.seed, STEP, iteration]
        if runner._randomness_cfg.get('diff_rank_seed', False):
            words.append(get_dist_info()[0])
        seed_generators(derive_seed(*words))

    def load_resume_state(self, checkpoint: dict) -> None:
        """Takes the state saved by :meth:`resume_state` (called by ``ExactResumeHook`` when resuming)."""
        meta = checkpoint.get('meta', {})
        state = meta.get(STATE_KEY)
        self._resumed_meta, self._resumed_state = meta, state
        sampler = self.seeded_sampler
        if state is None:
            print_log('Exact resume: the checkpoint has no exact-resume state (it was not written by an exact-resume '
                      'loop); the data continues at the position its iteration implies, but not as that run would '
                      'have.', logger='current', level=logging.WARNING)
            if sampler is not None and meta.get('seed') is not None:
                sampler.seed = int(meta['seed'])  # what MMEngine's sampler got from the runner
            return
        if sampler is not None and state.get('sampler_seed') is not None:
            sampler.seed = int(state['sampler_seed'])  # also when the config left the seed to chance
        now = self._base_state()
        changed = [k for k in ('world_size', 'batch_size') if state.get(k) != now[k]]
        if changed:
            print_log(f'Exact resume: {", ".join(f"{k} {state.get(k)} -> {now[k]}" for k in changed)} since the '
                      'checkpoint; the data continues at the same sample of the stream, but this is not a bit-exact '
                      'continuation.', logger='current', level=logging.WARNING)


@LOOPS.register_module()
class ExactResumeIterBasedTrainLoop(_ExactResume, IterBasedTrainLoop):
    """``IterBasedTrainLoop`` whose resumed runs reproduce the uninterrupted run exactly (see the module docstring).

    Same arguments as MMEngine's loop. An ``InfiniteSampler`` is replaced by :class:`SeededInfiniteSampler` (same
    order) and the dataset is wrapped in :class:`SeededSampleDataset`. ``tools/train.py`` uses it for every
    ``IterBasedTrainLoop`` config; in a config: ``train_cfg = dict(type='ExactResumeIterBasedTrainLoop', ...)``.
    """

    def __init__(self, runner, dataloader, max_iters: int, val_begin: int = 1, val_interval: int = 1000,
                 dynamic_intervals=None) -> None:
        # IterBasedTrainLoop.__init__ without its last step: it starts the dataloader iterator (worker processes
        # prefetching from sample 0) before a resume has said where the data continues; run() starts it instead.
        BaseLoop.__init__(self, runner, seeded_dataloader_cfg(dataloader, ITER_SAMPLERS))
        self._max_iters = int(max_iters)
        if self._max_iters != max_iters:
            raise ValueError(f'train_cfg.max_iters must be an integer, got {max_iters!r}')
        self._max_epochs, self._epoch, self._iter = 1, 0, 0
        self.val_begin, self.val_interval = val_begin, val_interval
        self.stop_training = False
        if hasattr(self.dataloader.dataset, 'metainfo'):
            self.runner.visualizer.dataset_meta = self.dataloader.dataset.metainfo
        self.dataloader_iterator = None
        self.dynamic_milestones, self.dynamic_intervals = calc_dynamic_intervals(val_interval, dynamic_intervals)
        self._init_exact_resume()

    def consumed_samples(self, iters: int) -> int:
        """Samples of the global stream trained on after ``iters`` iterations."""
        if self._resumed_state is not None:
            base_iter, base = self._resumed_meta.get('iter', 0), self._resumed_state['consumed']
        else:
            base_iter, base = 0, 0
        return base + (iters - base_iter) * self.samples_per_step

    def resume_state(self, meta: dict) -> dict:
        """The state to save with a checkpoint whose ``meta`` says how many iterations are done."""
        return dict(self._base_state(), consumed=self.consumed_samples(meta['iter']))

    def run(self):
        self.runner.call_hook('before_train')
        self.runner.call_hook('before_train_epoch')
        self._start_data()
        while self._iter < self._max_iters and not self.stop_training:
            self.runner.model.train()
            data_batch = next(self.dataloader_iterator)
            self.run_iter(data_batch)
            self._decide_current_val_interval()
            if (self.runner.val_loop is not None and self._iter >= self.val_begin
                    and (self._iter % self.val_interval == 0 or self._iter == self._max_iters)):
                self.runner.val_loop.run()
        self.runner.call_hook('after_train_epoch')
        self.runner.call_hook('after_train')
        return self.runner.model

    def _start_data(self) -> None:
        """Starts the dataloader at the sample where the run continues."""
        sampler = self.seeded_sampler
        if sampler is not None:
            sampler.start = self.consumed_samples(self._iter)
        self.dataloader_iterator = _InfiniteDataloaderIterator(self.dataloader)
        if self._iter == 0:
            return
        if sampler is not None:
            print_log(f'Exact resume: iteration {self._iter}, data from sample {sampler.start} of the stream '
                      '(the skipped samples are not loaded).', logger='current')
        else:  # another sampler: MMEngine's way, load and drop the batches already trained on
            print_log(f'Advance dataloader {self._iter} steps to skip data that has already been trained',
                      logger='current', level=logging.WARNING)
            for _ in range(self._iter):
                next(self.dataloader_iterator)

    def run_iter(self, data_batch) -> None:
        self.seed_step(self._iter)
        super().run_iter(data_batch)


@LOOPS.register_module()
class ExactResumeEpochBasedTrainLoop(_ExactResume, EpochBasedTrainLoop):
    """``EpochBasedTrainLoop`` whose resumed runs reproduce the uninterrupted run exactly, also from a checkpoint
    saved inside an epoch (see the module docstring).

    Same arguments as MMEngine's loop. A ``DefaultSampler`` is replaced by :class:`SeededDefaultSampler` (same order)
    and the dataset is wrapped in :class:`SeededSampleDataset`. ``tools/train.py`` uses it for every
    ``EpochBasedTrainLoop`` config; in a config: ``train_cfg = dict(type='ExactResumeEpochBasedTrainLoop', ...)``.
    """

    def __init__(self, runner, dataloader, max_epochs: int, val_begin: int = 1, val_interval: int = 1,
                 dynamic_intervals=None) -> None:
        sampler = dataloader.get('sampler') if isinstance(dataloader, dict) else None
        if isinstance(sampler, dict) and type_name(sampler.get('type')) == LabeledUnlabeledSampler.__name__:
            raise ValueError('train_dataloader.sampler: LabeledUnlabeledSampler never ends an epoch; train with '
                             "train_cfg=dict(type='IterBasedTrainLoop', max_iters=...) instead of by epochs.")
        super().__init__(runner, seeded_dataloader_cfg(dataloader, EPOCH_SAMPLERS),
                         max_epochs, val_begin, val_interval, dynamic_intervals)
        self._batches_done = 0  # batches of the current epoch already trained on
        self._skip = 0  # batches of the first epoch after a resume that were trained before it
        self._init_exact_resume()

    def resume_state(self, meta: dict) -> dict:
        """The state to save with a checkpoint: the batches of epoch ``meta['epoch']`` already trained on (0 when
        the checkpoint closes an epoch, whose ``meta['epoch']`` is then the next one)."""
        batches = self._batches_done if meta.get('epoch') == self._epoch else 0
        return dict(self._base_state(), epoch=meta.get('epoch'), batches=batches)

    def load_resume_state(self, checkpoint: dict) -> None:
        super().load_resume_state(checkpoint)
        meta, state = self._resumed_meta, self._resumed_state
        if state is not None and state.get('epoch') == meta.get('epoch'):
            self._skip = int(state['batches'])
        else:  # MMEngine's by-iteration checkpoints inside an epoch say it through their iteration count
            self._skip = max(0, int(meta.get('iter', 0)) - int(meta.get('epoch', 0)) * len(self.dataloader))

    def run_epoch(self) -> None:
        self.runner.call_hook('before_train_epoch')
        self.runner.model.train()
        skip, self._skip = self._skip, 0
        sampler = self.seeded_sampler
        if skip and sampler is not None:
            sampler.start = skip * self.samples_per_step
            print_log(f'Exact resume: epoch {self._epoch} continues at batch {skip} (the skipped samples are not '
                      'loaded).', logger='current')
        batches = iter(self.dataloader)
        if skip and sampler is None:
            for _ in range(skip):
                next(batches)
        self._batches_done = skip
        for idx, data_batch in enumerate(batches, start=skip):
            self.run_iter(idx, data_batch)
        self.runner.call_hook('after_train_epoch')
        self._epoch += 1
        self._batches_done = 0

    def run_iter(self, idx, data_batch) -> None:
        self.seed_step(self._iter)
        self._batches_done = idx + 1  # a checkpoint written by this step's hooks counts it as done
        super().run_iter(idx, data_batch)


@HOOKS.register_module()
class ExactResumeHook(Hook):
    """Carries the loops' resume state in checkpoints and guards ``--resume`` (the exact-resume loops add it).

    * ``before_run``: with ``resume=True`` and no ``load_from``, checks the checkpoint ``last_checkpoint`` names;
      if it is missing, truncated or corrupt, names it and resumes from the newest earlier readable checkpoint of the
      same folder, or stops with one message if there is none. Nothing is deleted or overwritten. A damaged
      ``load_from`` stops the run.
    * ``after_load_checkpoint`` (resuming only): refuses a checkpoint whose weights do not match the model (another
      config) and hands the saved state to the loop.
    * ``before_save_checkpoint``: adds the loop's state as ``meta['exact_resume']``.
    """

    priority = 'VERY_HIGH'

    def __init__(self) -> None:
        self.resume_path: Optional[str] = None

    def before_run(self, runner) -> None:
        if not runner._resume:
            return
        if runner._load_from is not None:
            problem = checkpoint_problem(runner._load_from) if '://' not in runner._load_from else None
            if problem:
                raise RuntimeError(f'load_from: the checkpoint to resume from, "{runner._load_from}", is damaged '
                                   f'({problem}). Point load_from at a readable checkpoint.')
            self.resume_path = runner._load_from
            return
        latest = find_latest_checkpoint(runner.work_dir)
        if not latest:
            return
        self.resume_path = runner._load_from = select_resume_checkpoint(latest)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        loop = runner._train_loop
        if hasattr(loop, 'resume_state'):
            checkpoint['meta'][STATE_KEY] = loop.resume_state(checkpoint['meta'])

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if not runner._resume:  # load_from without resume: fine-tuning from other weights is allowed
            return
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        check_checkpoint_fits(model, checkpoint.get('state_dict', checkpoint),
                              f'--resume: the checkpoint "{self.resume_path}"')
        loop = runner._train_loop
        if hasattr(loop, 'load_resume_state'):
            loop.load_resume_state(checkpoint)


def select_resume_checkpoint(latest: str) -> str:
    """``latest`` if it is a readable checkpoint, else the newest readable ``<prefix>_<n>.pth`` before it in its
    folder (with a warning naming the damaged file); raises ``RuntimeError`` naming it when there is none."""
    problem = checkpoint_problem(latest) if '://' not in latest else None
    if problem is None:
        return latest
    folder, name = osp.split(latest)
    match = re.fullmatch(r'(.*?)(\d+)\.pth', name)
    candidates = []
    if match and osp.isdir(folder):
        prefix, step = match.group(1), int(match.group(2))
        for other in os.listdir(folder):
            m = re.fullmatch(re.escape(prefix) + r'(\d+)\.pth', other)
            if m and int(m.group(1)) < step:
                candidates.append((int(m.group(1)), osp.join(folder, other)))
    damaged = [f'{latest} ({problem})']
    for _, path in sorted(candidates, reverse=True):
        other_problem = checkpoint_problem(path)
        if other_problem is None:
            print_log(f'--resume: the latest checkpoint {latest} is damaged ({problem}); resuming from the previous '
                      f'readable one, {path}. The damaged file is left in place; the run writes that checkpoint '
                      'again when it gets there.', logger='current', level=logging.WARNING)
            return path
        damaged.append(f'{path} ({other_problem})')
    raise RuntimeError(f'--resume: the latest checkpoint is damaged: {"; ".join(damaged)}, and no earlier readable '
                       f'checkpoint is in {folder}. Nothing was resumed or deleted: train in a new --work-dir, or '
                       'resume from a good copy with --resume --cfg-options load_from=/path/to/iter_N.pth.')
