"""Evaluates a checkpoint with MMEngine's test loop; mmseg's test CLI.

For a distillation config only the student is built (no teacher is loaded) and the distillation checkpoint's student
weights are evaluated, so the test set sees exactly the deployable model.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out DIR] [--show] [--show-dir DIR]
        [--cfg-options key=value ...] [--launcher {none,pytorch,slurm,mpi}]
"""
import argparse
import os

from mmengine.config import DictAction

import mmseg_transkd  # noqa: F401  (registers the plugin and the safe-loading allowlist)
from mmseg_transkd.utils import (build_runner, check_checkpoint_file, check_data_roots, check_num_classes,
                                 load_run_config, setup_distributed, teardown_distributed)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test a segmentor or the student of a distiller.')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file (distillation or plain mmseg)')
    parser.add_argument('--work-dir', help='folder for the test logs and metrics')
    parser.add_argument('--out', help='folder to write the predicted segmentation maps to')
    parser.add_argument('--show', action='store_true', help='show the predictions')
    parser.add_argument('--show-dir', help='folder (inside the work dir) to save painted predictions to')
    parser.add_argument('--wait-time', type=float, default=2, help='seconds each shown image stays up')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries, key=value (lists as key="[a,b]")')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main() -> None:
    args = parse_args()
    cfg = load_run_config(args)
    check_checkpoint_file(args.checkpoint, 'checkpoint', how='(the CHECKPOINT argument of tools/test.py)')
    if cfg.model.get('type') == 'DistillSegmentor':
        cfg.model.student_only = True
    cfg.load_from = args.checkpoint
    if args.show or args.show_dir:
        vis = cfg.default_hooks.visualization
        vis.draw = True
        vis.show = args.show
        vis.wait_time = args.wait_time
        if args.show_dir:
            cfg.visualizer.save_dir = args.show_dir
    if args.out:
        cfg.test_evaluator['output_dir'] = args.out
        cfg.test_evaluator['keep_results'] = True

    check_data_roots(cfg, loaders=('test_dataloader',))
    check_num_classes(cfg, loaders=('test_dataloader',))
    setup_distributed(cfg, args.launcher)
    runner = build_runner(cfg)
    try:
        runner.test()
    finally:
        teardown_distributed()


if __name__ == '__main__':
    main()
