"""Trains a model (a distiller or any mmseg segmentor) with MMEngine's runner; mmseg's train CLI.

    python tools/train.py configs/transkd/segformer_b2_b0_city.py [--work-dir DIR] [--resume] [--amp]
        [--cfg-options key=value ...] [--launcher {none,pytorch,slurm,mpi}]
"""
import argparse
import logging
import os

import torch

from mmengine.config import DictAction
from mmengine.logging import print_log

import mmseg_transkd  # noqa: F401  (registers the plugin and the safe-loading allowlist)
from mmseg_transkd.utils import (build_runner, check_data_roots, check_distiller_inputs, check_num_classes,
                                 enable_exact_resume, load_run_config, setup_distributed, teardown_distributed)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a segmentor or a distiller with MMEngine.')
    parser.add_argument('config', help='config file')
    parser.add_argument('--work-dir', help='folder for logs and checkpoints (default: work_dirs/<config name>)')
    parser.add_argument('--resume', action='store_true',
                        help='resume from the latest checkpoint in the work dir (bit-exact: the resumed run reproduces '
                        'the uninterrupted one; a damaged latest checkpoint falls back to the previous one)')
    parser.add_argument('--amp', action='store_true',
                        help='automatic mixed precision (AmpOptimWrapper on GPU, bf16 autocast on CPU)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries, key=value (lists as key="[a,b]")')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none',
                        help='job launcher (tools/dist_train.sh uses pytorch)')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main() -> None:
    args = parse_args()
    cfg = load_run_config(args)
    if args.amp:
        wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if wrapper == 'AmpOptimWrapper':
            print_log('AMP is already on in this config.', logger='current', level=logging.WARNING)
        elif wrapper != 'OptimWrapper':
            raise SystemExit(f'--amp needs optim_wrapper.type=OptimWrapper, the config has {wrapper}.')
        elif torch.cuda.is_available():
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.loss_scale = 'dynamic'
        else:  # MMEngine's AmpOptimWrapper needs a GPU; bf16 autocast needs no loss scaling
            cfg.optim_wrapper.type = 'AutocastOptimWrapper'
            cfg.optim_wrapper.dtype = 'bfloat16'
            print_log('--amp without a GPU: bf16 autocast on the CPU (AutocastOptimWrapper).', logger='current')
    cfg.resume = args.resume
    enable_exact_resume(cfg)  # seeded steps and samples, resume state in checkpoints, crash-safe checkpoint files

    # Fail before anything is written: missing data or teacher checkpoint, heads and datasets that disagree.
    check_data_roots(cfg)
    check_distiller_inputs(cfg.model)
    check_num_classes(cfg)
    setup_distributed(cfg, args.launcher)
    runner = build_runner(cfg)
    try:
        runner.train()
    finally:
        teardown_distributed()


if __name__ == '__main__':
    main()
