"""Shared set-up of the train / test entry points: CPU distributed runs and clean failures."""
import os
import os.path as osp
import shutil
from typing import Any

import torch
import torch.distributed as dist
from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.runner import Runner


def load_run_config(args) -> Config:
    """The config of a train/test run: file + ``--cfg-options`` + launcher + work_dir (CLI > config > config name)."""
    if not osp.isfile(args.config):
        raise SystemExit(f'config file "{args.config}" not found.')
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    return cfg


EXACT_RESUME_LOOPS = {'IterBasedTrainLoop': 'ExactResumeIterBasedTrainLoop',
                      'EpochBasedTrainLoop': 'ExactResumeEpochBasedTrainLoop'}


def enable_exact_resume(cfg: Config) -> None:
    """Switches a training config to bit-exact, crash-safe resuming (what ``tools/train.py`` does by default).

    MMEngine's ``IterBasedTrainLoop`` / ``EpochBasedTrainLoop`` become the exact-resume loops (see
    ``mmseg_transkd/engine/exact_resume.py``), ``CheckpointHook`` becomes ``SafeCheckpointHook``, and
    ``ExactResumeHook`` is added (it also guards ``--resume`` when the loop is another one). A config opts out with
    ``exact_resume = False``; loops and hooks of other types are left alone.
    """
    if cfg.get('exact_resume', True) is False:
        return
    train_cfg = cfg.get('train_cfg')
    if isinstance(train_cfg, dict) and str(train_cfg.get('type', '')).split('.')[-1] in EXACT_RESUME_LOOPS:
        train_cfg['type'] = EXACT_RESUME_LOOPS[str(train_cfg['type']).split('.')[-1]]
    checkpoint = (cfg.get('default_hooks') or {}).get('checkpoint')
    if isinstance(checkpoint, dict) and str(checkpoint.get('type', '')).split('.')[-1] == 'CheckpointHook':
        checkpoint['type'] = 'SafeCheckpointHook'
    hooks = list(cfg.get('custom_hooks') or [])
    if not any(isinstance(h, dict) and str(h.get('type', '')).split('.')[-1] == 'ExactResumeHook' for h in hooks):
        hooks.append(dict(type='ExactResumeHook'))
    cfg.custom_hooks = hooks


def _sync_bn_to_bn(node: Any) -> int:
    """Replaces ``SyncBN`` norm configs by ``BN`` in place; returns how many were replaced."""
    count = 0
    if isinstance(node, dict):
        if node.get('type') == 'SyncBN':
            node['type'] = 'BN'
            count += 1
        for value in node.values():
            count += _sync_bn_to_bn(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            count += _sync_bn_to_bn(value)
    return count


def setup_distributed(cfg: Config, launcher: str) -> None:
    """Makes ``--launcher pytorch`` work without a GPU (gloo), as measured with MMEngine 0.10.7.

    Three things break a CPU run otherwise: MMEngine's ``init_dist`` calls ``torch.cuda.set_device`` (we start the gloo
    process group first, so the runner skips it), its default DDP wrapper passes ``device_ids=[LOCAL_RANK]`` (CPU
    modules need ``None``), and ``SyncBatchNorm`` raises on CPU tensors once a process group exists (we use BN).
    With a GPU nothing is changed.
    """
    if launcher == 'none' or torch.cuda.is_available():
        return
    if launcher != 'pytorch':
        raise ValueError(f'--launcher {launcher} needs GPUs; on CPU use --launcher pytorch (tools/dist_train.sh).')
    if not dist.is_initialized():
        dist.init_process_group(backend='gloo')
    cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})['backend'] = 'gloo'
    wrapper = dict(cfg.get('model_wrapper_cfg') or dict(
        type='MMDistributedDataParallel', broadcast_buffers=False,
        find_unused_parameters=cfg.get('find_unused_parameters', False)))
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper
    if isinstance(cfg.model, dict) and cfg.model.get('recipe') is not None:
        # a named recipe's connectors (e.g. KA's SyncBN adapters) are in the fragment, not yet in cfg.model
        from mmseg_transkd.models.distillers.recipes import expand_recipe
        cfg.model = expand_recipe(cfg.model)
    replaced = _sync_bn_to_bn(cfg.model)
    if replaced:
        print_log(f'CPU distributed run: {replaced} SyncBN layer config(s) replaced by BN (SyncBN needs GPUs).',
                  logger='current')


def teardown_distributed() -> None:
    """Destroys the default process group at the end of a run. MMEngine 0.10.7 never does; a gloo group left to the
    interpreter's exit can abort the process ("terminate called without an active exception") after a good run."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def build_runner(cfg: Config) -> Runner:
    """Builds the runner; if that fails, removes what this attempt wrote to the work_dir, then re-raises."""
    work_dir = osp.abspath(cfg.work_dir)
    existed = osp.isdir(work_dir)
    before = set(os.listdir(work_dir)) if existed else set()
    try:
        if 'runner_type' in cfg:
            from mmseg.registry import RUNNERS
            return RUNNERS.build(cfg)
        return Runner.from_cfg(cfg)
    except BaseException:
        if not existed:
            shutil.rmtree(work_dir, ignore_errors=True)
        elif osp.isdir(work_dir):
            for name in set(os.listdir(work_dir)) - before:
                path = osp.join(work_dir, name)
                shutil.rmtree(path, ignore_errors=True) if osp.isdir(path) else os.remove(path)
        raise
