"""Bit-exact resume after SIGKILL, crash-safe checkpoints and 2-process CPU DDP consistency, through tools/train.py.

Every training run here is ``tools/train.py`` executed in a forked child (fork reuses the imported modules: a fresh
interpreter costs seconds per run), single-threaded like the other DDP tests, with a deadline. A probe hook records
each step's loss, the state a run starts from and its final weights, and kills its process with SIGKILL (no clean
stop) at a chosen step or in the middle of a checkpoint write.
"""
import builtins
import copy
import glob
import multiprocessing as mp
import os
import os.path as osp
import runpy
import signal
import sys
import time

import pytest
import torch
import torch.distributed as dist
from mmengine.dataset import DefaultSampler, InfiniteSampler
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmseg.registry import HOOKS

from mmseg_transkd.datasets.seeded import (SeededDefaultSampler, SeededIndex, SeededInfiniteSampler,
                                           SeededSampleDataset)
from mmseg_transkd.engine.exact_resume import select_resume_checkpoint
from tiny import REPO, expanded, tiny_cfg


# ----------------------------------------------------------------------------- the probe and the runs
pytestmark = pytest.mark.usefixtures('plain_config_text')  # conftest.py: no yapf layout of config texts


def _rank() -> int:
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


class _HalfWriter:
    """A binary file whose first write stores half of the bytes, then the process dies."""

    def __init__(self, f):
        self.f = f

    def write(self, data):
        self.f.write(data[:len(data) // 2])
        self.f.flush()
        os.kill(os.getpid(), signal.SIGKILL)

    def __getattr__(self, name):
        return getattr(self.f, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.f.close()


def _die_in_next_binary_write() -> None:
    """From now on, writing a file opened for binary writing (``open`` or ``os.fdopen``) kills the process halfway."""
    real_open, real_fdopen = builtins.open, os.fdopen

    def wrap(f, mode):
        return _HalfWriter(f) if 'w' in mode and 'b' in mode else f

    builtins.open = lambda file, mode='r', *a, **k: wrap(real_open(file, mode, *a, **k), mode)
    os.fdopen = lambda fd, mode='r', *a, **k: wrap(real_fdopen(fd, mode, *a, **k), mode)


@HOOKS.register_module(force=True)
class ResumeProbeHook(Hook):
    """Test probe (files ``<name>.rank<r>`` in ``out``): the start iteration and optimizer state, each step's loss,
    the first step's gradients, the final weights; SIGKILL before step ``kill_at`` (0-based) or in the middle of
    writing the checkpoint after ``kill_in_save`` steps."""

    priority = 'LOWEST'

    def __init__(self, out: str, kill_at: int = None, kill_in_save: int = None) -> None:
        self.out, self.kill_at, self.kill_in_save = out, kill_at, kill_in_save
        os.makedirs(out, exist_ok=True)

    def path(self, name: str) -> str:
        return osp.join(self.out, f'{name}.rank{_rank()}')

    def before_train(self, runner) -> None:
        torch.save(dict(iter=runner.iter, optimizer=runner.optim_wrapper.state_dict()), self.path('start.pt'))
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        names = {p: n for n, p in model.named_parameters()}
        optimizer = runner.optim_wrapper.optimizer

        def first_grads(opt, args, kwargs):
            if not osp.exists(self.path('grads.pt')):
                torch.save({names[p]: p.grad.clone() for group in opt.param_groups for p in group['params']
                            if p.grad is not None}, self.path('grads.pt'))

        optimizer.register_step_pre_hook(first_grads)

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        if runner.iter == self.kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        with open(self.path('losses.txt'), 'a') as f:
            f.write(f'{runner.iter} {float(outputs["loss"]).hex()}\n')

    def before_save_checkpoint(self, runner, checkpoint) -> None:
        if checkpoint['meta']['iter'] == self.kill_in_save:
            _die_in_next_binary_write()

    def after_run(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        torch.save(model.state_dict(), self.path('final.pt'))
        if hasattr(model, 'teacher'):
            torch.save(model.teacher.state_dict(), self.path('teacher.pt'))


def _train_child(argv: list, rank: int, world: int, store: str) -> None:
    torch.set_num_threads(1)  # a forked child must not enter the parent's OpenMP pool
    if world > 1:
        os.environ.update(RANK=str(rank), WORLD_SIZE=str(world), LOCAL_RANK=str(rank))
        dist.init_process_group('gloo', init_method=f'file://{store}', rank=rank, world_size=world)
        argv = [*argv, '--launcher', 'pytorch']
    sys.argv = ['tools/train.py', *argv]
    runpy.run_path(str(REPO / 'tools' / 'train.py'), run_name='__main__')


def train(cfg, work: str, out: str, *args: str, world: int = 1, deadline: float = 150, **probe) -> list:
    """Runs tools/train.py on ``cfg`` (plus the probe) in ``world`` forked processes; returns their exit codes."""
    cfg = copy.deepcopy(cfg)
    cfg.custom_hooks = [dict(type='ResumeProbeHook', out=out, **probe)]
    cfg_file = f'{out}.py'
    cfg.dump(cfg_file)
    store = f'{out}.store'
    ctx = mp.get_context('fork')
    procs = [ctx.Process(target=_train_child, args=([cfg_file, '--work-dir', work, *args], r, world, store))
             for r in range(world)]
    for p in procs:
        p.start()
    end = time.monotonic() + deadline
    for p in procs:
        p.join(max(0.0, end - time.monotonic()))
    if any(p.is_alive() for p in procs):
        for p in procs:
            p.kill()
        pytest.fail(f'tools/train.py in {world} forked process(es) did not finish within {deadline} s')
    return [p.exitcode for p in procs]


def losses(out: str, rank: int = 0) -> dict:
    with open(osp.join(out, f'losses.txt.rank{rank}')) as f:
        return {int(i): float.fromhex(v) for i, v in (line.split() for line in f)}


def load(out: str, name: str, rank: int = 0):
    return torch.load(osp.join(out, f'{name}.rank{rank}'), map_location='cpu', weights_only=True)


def assert_same_tensors(a, b, what: str) -> None:
    """Nested dicts / lists of tensors and numbers, compared exactly."""
    if isinstance(a, dict):
        assert set(a) == set(b), what
        for k in a:
            assert_same_tensors(a[k], b[k], f'{what}.{k}')
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), what
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same_tensors(x, y, f'{what}[{i}]')
    elif isinstance(a, torch.Tensor):
        assert torch.equal(a, b), f'{what} differs'
    else:
        assert a == b, f'{what}: {a!r} != {b!r}'


def resume_cfg(city_root: str, max_iters: int, ckpt_interval: int, val_interval: int, num_workers: int = 0,
               batch_size: int = 2, config: str = None):
    """The tiny TransKD-Base pair (or the tiny pair of ``config``) with a learning rate that moves the weights (the
    shipped warm-up starts at lr x 1e-6, far below float32 resolution of the weights) and a poly decay whose state
    must be resumed too."""
    cfg = tiny_cfg(None if config else 'base', city_root, 'unused', max_iters=max_iters, val_interval=val_interval,
                   config=config)
    cfg.default_hooks.checkpoint.update(interval=ckpt_interval)
    cfg.optim_wrapper.optimizer.lr = 1e-3
    cfg.param_scheduler = [dict(type='PolyLR', eta_min=0.0, power=1.0, begin=0, end=max_iters, by_epoch=False)]
    cfg.train_dataloader.update(num_workers=num_workers, persistent_workers=num_workers > 0, batch_size=batch_size)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        # MMEngine's serialisation of the annotation list ends in gc.collect(), costly in a child forked from pytest
        cfg[loader].dataset.serialize_data = False
    return cfg


def last_checkpoint(work: str) -> str:
    with open(osp.join(work, 'last_checkpoint')) as f:
        return f.read().strip()


# ----------------------------------------------------------------------------- single process
def test_killed_distiller_run_resumes_bit_exactly_with_workers(city_root, tmp_path):
    """TransKD-Base (drop-path, dropout, random crops and photometric noise), a persistent loader worker, validation
    after the checkpoint: SIGKILL during step 6 of 6 after iter_4.pth, --resume, compared with the uninterrupted run.
    Then a truncated latest checkpoint: --resume names it and resumes from the previous one, again exactly."""
    cfg = resume_cfg(city_root, max_iters=6, ckpt_interval=4, val_interval=4, num_workers=1)
    ref, work = str(tmp_path / 'ref'), str(tmp_path / 'work')
    assert train(cfg, str(tmp_path / 'ref_work'), ref) == [0]
    assert train(cfg, work, str(tmp_path / 'killed'), kill_at=5) == [-signal.SIGKILL]
    assert last_checkpoint(work) == osp.join(work, 'iter_4.pth') and not osp.exists(osp.join(work, 'iter_6.pth'))
    resumed = str(tmp_path / 'resumed')
    assert train(cfg, work, resumed, '--resume') == [0]

    start = load(resumed, 'start.pt')
    ckpt = torch.load(osp.join(work, 'iter_4.pth'), map_location='cpu', weights_only=True)
    assert start['iter'] == 4  # continues after the checkpoint, not from scratch
    assert_same_tensors(start['optimizer'], ckpt['optimizer'], 'optimizer')  # AdamW moments and step counts
    assert start['optimizer']['state']
    assert ckpt['meta']['exact_resume']['consumed'] == 8  # 4 steps x 2 samples of the global stream

    reference, killed, again = losses(ref), losses(str(tmp_path / 'killed')), losses(resumed)
    assert sorted(reference) == list(range(6)) and sorted(killed) == list(range(5)) and sorted(again) == [4, 5]
    assert all(killed[i] == reference[i] for i in killed)
    assert again == {i: reference[i] for i in (4, 5)}  # bit-exact losses after the resume
    assert len(set(reference.values())) == 6
    assert_same_tensors(load(resumed, 'final.pt'), load(ref, 'final.pt'), 'final weights')

    # a truncated latest checkpoint (e.g. a disk that filled up): named, skipped, nothing else touched
    latest = osp.join(work, 'iter_6.pth')
    with open(latest, 'r+b') as f:
        f.truncate(os.path.getsize(latest) // 2)
    fallback = str(tmp_path / 'fallback')
    assert train(cfg, work, fallback, '--resume') == [0]
    assert load(fallback, 'start.pt')['iter'] == 4
    assert sorted(losses(fallback)) == [4, 5] and losses(fallback) == again
    assert_same_tensors(load(fallback, 'final.pt'), load(ref, 'final.pt'), 'final weights after the fallback')
    log = '\n'.join(open(p).read() for p in glob.glob(osp.join(work, '*', '*.log')))
    assert f'the latest checkpoint {latest} is damaged' in log and 'resuming from the previous readable one, ' \
        f'{osp.join(work, "iter_4.pth")}' in log


def adv_cfg(city_root: str, **kwargs):
    """The tiny MiT pair of ifvd-adv (the critic with its own Adam), with a tiny critic."""
    cfg = resume_cfg(city_root, config=REPO / 'configs/baselines/ifvd-adv_segformer-b2_segformer-b0_city.py',
                     **kwargs)
    cfg.model = expanded(cfg.model)
    cfg.model.distill_losses.loss_adv.channels = (8, 16)
    return cfg


def test_adversarial_baseline_resumes_both_optimizers_bit_exactly(city_root, tmp_path):
    """ifvd-adv on the tiny MiT pair: the student's AdamW and the critic's own Adam in one optim wrapper
    (SplitOptimWrapperConstructor, issue 25, item 2). SIGKILL before step 3 of 3, after iter_2.pth; --resume restores
    both optimizers' states and continues as the uninterrupted run, bit for bit."""
    cfg = adv_cfg(city_root, max_iters=3, ckpt_interval=2, val_interval=100)
    ref, work = str(tmp_path / 'ref'), str(tmp_path / 'work')
    assert train(cfg, str(tmp_path / 'ref_work'), ref) == [0]
    assert train(cfg, work, str(tmp_path / 'killed'), kill_at=2) == [-signal.SIGKILL]
    resumed = str(tmp_path / 'resumed')
    assert train(cfg, work, resumed, '--resume') == [0]
    start = load(resumed, 'start.pt')
    ckpt = torch.load(osp.join(work, 'iter_2.pth'), map_location='cpu', weights_only=True)
    assert start['iter'] == 2
    assert_same_tensors(start['optimizer'], ckpt['optimizer'], 'optimizer')
    saved = ckpt['optimizer']['optimizers']
    assert set(saved) == {'main', 'discriminator'} and saved['main']['state'] and saved['discriminator']['state']
    assert saved['discriminator']['param_groups'][0]['betas'] == (0.9, 0.99)  # the critic's Adam, not AdamW
    reference = losses(ref)
    assert losses(resumed) == {2: reference[2]} and len(set(reference.values())) == 3
    assert_same_tensors(load(resumed, 'final.pt'), load(ref, 'final.pt'), 'final weights')
    assert any(k.startswith('distill_losses.loss_adv.discriminator.') for k in load(ref, 'final.pt'))


def test_kill_during_checkpoint_write_keeps_the_previous_checkpoint(city_root, tmp_path):
    """A plain mmseg SegFormer (no distiller), num_workers=0, max_keep_ckpts=1: the process dies halfway through
    writing iter_4.pth (of 4). MMEngine deletes iter_2.pth first and writes in place, which leaves only a truncated
    file; here iter_2.pth stays the last checkpoint and the resumed run equals the uninterrupted one."""
    cfg = resume_cfg(city_root, max_iters=4, ckpt_interval=2, val_interval=100)
    cfg.model = cfg.model.student
    cfg.default_hooks.checkpoint.max_keep_ckpts = 1
    ref, work = str(tmp_path / 'ref'), str(tmp_path / 'work')
    assert train(cfg, str(tmp_path / 'ref_work'), ref) == [0]
    assert train(cfg, work, str(tmp_path / 'killed'), kill_in_save=4) == [-signal.SIGKILL]
    assert not osp.exists(osp.join(work, 'iter_4.pth'))  # no truncated checkpoint under the real name
    assert last_checkpoint(work) == osp.join(work, 'iter_2.pth')
    assert torch.load(osp.join(work, 'iter_2.pth'), weights_only=True)['meta']['iter'] == 2
    assert len(glob.glob(osp.join(work, '.iter_4.pth.*.tmp'))) == 1  # the half-written temporary file

    resumed = str(tmp_path / 'resumed')
    assert train(cfg, work, resumed, '--resume') == [0]
    assert load(resumed, 'start.pt')['iter'] == 2
    reference = losses(ref)
    assert losses(resumed) == {i: reference[i] for i in range(2, 4)}
    assert_same_tensors(load(resumed, 'final.pt'), load(ref, 'final.pt'), 'final weights')
    names = sorted(os.listdir(work))
    assert [n for n in names if n.startswith('iter_')] == ['iter_4.pth'] and last_checkpoint(work).endswith('4.pth')
    assert not any(n.endswith('.tmp') for n in names)  # the stale temporary file is cleaned up


# ----------------------------------------------------------------------------- 2-process CPU DDP
def ddp_cfg(city_root: str, **kwargs):
    """The tiny pair without BatchNorm in anything that trains (GN in the student's head and in CSF; the frozen
    teacher's BN uses running statistics) and without drop-path or dropout, so that 2 processes x 1 image and
    1 process x 2 images compute the same gradient."""
    cfg = resume_cfg(city_root, batch_size=1, **kwargs)
    student = cfg.model.student
    student.backbone.drop_path_rate = 0.0
    student.decode_head.update(dropout_ratio=0.0, norm_cfg=dict(type='GN', num_groups=4, requires_grad=True))
    cfg.model = expanded(cfg.model)
    cfg.model.connectors.csf.norm_cfg = dict(type='GN', num_groups=1)
    return cfg


def test_ddp_two_cpu_processes_consistent_and_resume_bit_exactly(city_root, tmp_path):
    cfg = ddp_cfg(city_root, max_iters=4, ckpt_interval=2, val_interval=100, num_workers=1)
    ref, work = str(tmp_path / 'ref'), str(tmp_path / 'work')
    ref_work = str(tmp_path / 'ref_work')
    assert train(cfg, ref_work, ref, world=2) == [0, 0]

    # both ranks end with bit-identical weights (student and connectors), the teacher untouched
    finals = [load(ref, 'final.pt', r) for r in range(2)]
    assert any(k.startswith('connectors.csf.') for k in finals[0])
    assert_same_tensors(finals[0], finals[1], 'rank 0 vs rank 1 weights')
    teacher = torch.load(cfg.model.teacher.checkpoint, map_location='cpu')['state_dict']
    for r in range(2):
        assert_same_tensors(load(ref, 'teacher.pt', r), teacher, f'teacher on rank {r}')
    ckpt = torch.load(osp.join(ref_work, 'iter_4.pth'), map_location='cpu', weights_only=True)
    assert set(ckpt['state_dict']) == set(finals[0])
    assert not any(k.startswith(('module.', 'teacher.')) for k in ckpt['state_dict'])  # no DDP prefix, no teacher
    assert ckpt['meta']['exact_resume']['world_size'] == 2
    assert_same_tensors(ckpt['state_dict'], finals[0], 'checkpoint weights')

    # first-step gradient = the single-process gradient over the same global batch (2 images, same augmentation)
    single = str(tmp_path / 'single')
    one = copy.deepcopy(cfg)
    one.train_dataloader.batch_size = 2
    one.train_cfg.max_iters = 1
    assert train(one, str(tmp_path / 'single_work'), single) == [0]
    whole = load(single, 'grads.pt')
    ranks = [load(ref, 'grads.pt', r) for r in range(2)]
    assert set(whole) == set(ranks[0]) and any(k.startswith('connectors.') for k in whole)
    assert_same_tensors(ranks[0], ranks[1], 'rank 0 vs rank 1 gradients')  # all-reduced
    for name, grad in whole.items():  # float tolerance relative to each tensor's scale (sums in another order)
        assert (ranks[0][name] - grad).abs().max() <= 1e-5 * grad.abs().max(), name
    assert any(g.abs().max() > 0 for g in whole.values())
    assert sum(losses(ref, r)[0] for r in range(2)) / 2 == pytest.approx(losses(single)[0], rel=1e-5)

    # SIGKILL of both processes during step 4 of 4, after iter_2.pth; --resume in 2 processes
    assert train(cfg, work, str(tmp_path / 'killed'), world=2, kill_at=3) == [-signal.SIGKILL] * 2
    resumed = str(tmp_path / 'resumed')
    assert train(cfg, work, resumed, '--resume', world=2) == [0, 0]
    for r in range(2):
        start = load(resumed, 'start.pt', r)
        assert start['iter'] == 2
        assert_same_tensors(start['optimizer'], torch.load(osp.join(work, 'iter_2.pth'), weights_only=True)[
            'optimizer'], f'optimizer on rank {r}')
        assert losses(resumed, r) == {i: losses(ref, r)[i] for i in (2, 3)}
        assert_same_tensors(load(resumed, 'final.pt', r), finals[0], f'final weights on rank {r}')


def test_adversarial_baseline_under_two_process_ddp(city_root, tmp_path):
    """ifvd-adv in 2 processes (MMEngine's DDP wrapper runs its own train_step on the split optim wrapper): the
    critic's gradients are all-reduced with the student's in the one backward (gradient penalty included), and both
    ranks end with the same weights and optimizer states."""
    cfg = adv_cfg(city_root, max_iters=2, ckpt_interval=2, val_interval=100, batch_size=1)
    cfg.model.student.decode_head.update(dropout_ratio=0.0, norm_cfg=dict(type='GN', num_groups=4,
                                                                          requires_grad=True))
    cfg.model.student.backbone.drop_path_rate = 0.0  # as ddp_cfg: no BN in what trains, no random drops
    out, work = str(tmp_path / 'ddp'), str(tmp_path / 'work')
    assert train(cfg, work, out, world=2) == [0, 0]
    grads = [load(out, 'grads.pt', r) for r in range(2)]
    assert any(k.startswith('distill_losses.loss_adv.discriminator.') for k in grads[0])
    assert_same_tensors(grads[0], grads[1], 'rank 0 vs rank 1 gradients')  # all-reduced, the critic's included
    assert_same_tensors(load(out, 'final.pt', 0), load(out, 'final.pt', 1), 'rank 0 vs rank 1 weights')
    ckpt = torch.load(osp.join(work, 'iter_2.pth'), map_location='cpu', weights_only=True)
    assert set(ckpt['optimizer']['optimizers']) == {'main', 'discriminator'}


# ----------------------------------------------------------------------------- epoch-based loop
def test_epoch_based_loop_resumes_inside_an_epoch(city_root, tmp_path):
    """ExactResumeEpochBasedTrainLoop (what tools/train.py makes of EpochBasedTrainLoop): 2 epochs of 2 steps, a
    checkpoint after step 3; resuming from it (inside epoch 2) continues at the epoch's second batch and ends where
    the uninterrupted run ends."""
    cfg = resume_cfg(city_root, max_iters=4, ckpt_interval=3, val_interval=100)
    cfg.model = cfg.model.student
    cfg.train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=2, val_interval=100)
    cfg.train_dataloader.sampler = dict(type='DefaultSampler', shuffle=True)
    cfg.param_scheduler = [dict(type='PolyLR', eta_min=0.0, power=1.0, begin=0, end=2, by_epoch=True)]
    ref, resumed, work = str(tmp_path / 'ref'), str(tmp_path / 'resumed'), str(tmp_path / 'work')
    assert train(cfg, work, ref) == [0]
    inside = osp.join(work, 'iter_3.pth')
    ckpt = torch.load(inside, weights_only=True)
    assert ckpt['meta']['epoch'] == 1 and ckpt['meta']['exact_resume']['batches'] == 1
    assert train(cfg, str(tmp_path / 'work2'), resumed, '--resume', '--cfg-options', f'load_from={inside}') == [0]
    assert load(resumed, 'start.pt')['iter'] == 3
    assert losses(resumed) == {3: losses(ref)[3]}
    assert_same_tensors(load(resumed, 'final.pt'), load(ref, 'final.pt'), 'final weights')


# ----------------------------------------------------------------------------- the pieces
def _ranked(sampler, rank, world):
    sampler.rank, sampler.world_size = rank, world
    return sampler


def test_seeded_samplers_keep_mmengine_order_and_start_anywhere():
    data = list(range(5))
    for rank in range(2):
        ours = iter(_ranked(SeededInfiniteSampler(data, seed=3), rank, 2))
        theirs = iter(_ranked(InfiniteSampler(data, seed=3), rank, 2))
        got = [next(ours) for _ in range(12)]
        assert [s.index for s in got] == [next(theirs) for _ in range(12)]
        # a sampler started at global position 8 yields the same samples (and seeds) as the one that got there
        late = _ranked(SeededInfiniteSampler(data, seed=3), rank, 2)
        late.start = 8  # global position 8 = this rank's 5th sample
        tail = iter(late)
        assert [next(tail) for _ in range(8)] == got[4:12]
    seeds = [s.seed for s in (next(iter(SeededInfiniteSampler(data, seed=3))),
                              next(iter(SeededInfiniteSampler(data, seed=4))))]
    assert seeds[0] != seeds[1]

    for epoch in range(2):
        for rank in range(2):
            ours, theirs = _ranked(SeededDefaultSampler(data, seed=1), rank, 2), _ranked(DefaultSampler(
                data, seed=1), rank, 2)
            for s in (ours, theirs):
                s.total_size, s.num_samples = 6, 3
                s.set_epoch(epoch)
            got = list(ours)
            assert [s.index for s in got] == list(theirs)
            ours.start = 2  # one batch of 1 per rank done: each rank continues with its second sample
            assert list(ours) == got[1:]
            assert len(list(ours)) == 3  # the start applies once


def test_seeded_dataset_draws_per_sample_and_leaves_the_generators_alone():
    import random

    import numpy as np

    class Noisy:
        metainfo = dict(classes=('a', 'b'))

        def __len__(self):
            return 3

        def __getitem__(self, i):
            return i, random.random(), np.random.rand(), torch.rand(1).item()

    ds = SeededSampleDataset(Noisy())
    assert ds.metainfo == Noisy.metainfo and len(ds) == 3
    torch.manual_seed(0)
    state = torch.get_rng_state()
    first = ds[SeededIndex(1, 123)]
    assert torch.equal(torch.get_rng_state(), state)  # the step's generators are untouched
    random.seed(9), np.random.seed(9), torch.manual_seed(9)
    assert ds[SeededIndex(1, 123)] == first  # whatever the state before
    assert ds[SeededIndex(1, 124)] != first and ds[SeededIndex(2, 123)][1:] == first[1:]
    assert ds[2][0] == 2  # plain indices pass through


def _truncated(path: str) -> str:
    torch.save({'state_dict': {'w': torch.zeros(1000)}, 'meta': {}}, path)
    with open(path, 'r+b') as f:
        f.truncate(os.path.getsize(path) - 100)
    return path


def test_select_resume_checkpoint_falls_back_or_stops_naming_the_file(tmp_path):
    good = str(tmp_path / 'iter_4.pth')
    torch.save({'state_dict': {'w': torch.zeros(3)}, 'meta': {}}, good)
    assert select_resume_checkpoint(good) == good
    latest = _truncated(str(tmp_path / 'iter_8.pth'))
    _truncated(str(tmp_path / 'iter_6.pth'))
    torch.save({'state_dict': {}}, str(tmp_path / 'iter_10.pth'))  # newer than last_checkpoint: never chosen
    assert select_resume_checkpoint(latest) == good
    os.remove(good)
    before = sorted(os.listdir(tmp_path))
    with pytest.raises(RuntimeError, match=r'the latest checkpoint is damaged: .*iter_8\.pth \(truncated or '
                       r'corrupt.*iter_6\.pth.*no earlier readable checkpoint'):
        select_resume_checkpoint(latest)
    assert sorted(os.listdir(tmp_path)) == before  # nothing deleted or rewritten
