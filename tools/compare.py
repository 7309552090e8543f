"""Does distillation help on my data? Trains the student alone and each method over several seeds and says.

    python tools/compare.py STUDENT_CONFIG METHOD_CONFIG [METHOD_CONFIG ...] [--seeds 0 1 2] [--iters N]
        [--budget iters|time|macs] [--teacher TEACHER_CONFIG | --teacher-checkpoint PTH] [--cfg-options key=value ...]
        [--work-dir DIR]

Every run is ``tools/train.py`` (MMEngine's logs stream as it trains) and is validated with mmseg's IoUMetric (the
``PerClassIoUMetric`` variant, which also logs per-class IoU) at its last iteration. A seed fixes the student's
initial weights, the order of the training images and their augmentations, identically for the student alone and
every method, so the harness reports per method: mean ± std mIoU over seeds, the mean paired difference to the
student alone with a 95% paired t interval (t quantile with n-1 degrees of freedom over the n shared seeds),
whether that interval clears zero, per-class IoU differences and the train time. A distillation step costs more
than a step of the student alone: --budget time or macs also compares at equal compute, every run getting as many
iterations as fit in the compute of the most expensive config's budget (from a timed calibration of each config's
step on this machine, or from its multiply-accumulates per step), and reports both tables. It writes
``<work-dir>/report.md`` and ``<work-dir>/comparison.png`` and prints the table. Re-running reuses every finished
run whose effective config is unchanged and resumes a run that died from its last checkpoint (``--resume``).
"""
import argparse
import os
import os.path as osp
import shlex
import sys
import time

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('student', help='config of the student trained alone (the reference)')
    p.add_argument('methods', nargs='+', help='distillation configs (or any other mmseg configs) to compare')
    p.add_argument('--names', nargs='+', metavar='NAME',
                   help='display names: one per method, or the student\'s first and then one per method '
                        '(default: "student alone" and the config file names)')
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2],
                   help='seeds of the student alone and of every method (default: 0 1 2); at least 2 for an '
                        'interval, more for a narrower one')
    p.add_argument('--noise-seeds', type=int, nargs='*', default=[],
                   help='extra seeds for the student alone only: a cheaper estimate of the seed-to-seed noise')
    p.add_argument('--iters', type=int,
                   help='training iterations of the student alone and of every method; rescales each '
                        'iteration-based schedule (warm-up, decay, checkpoint interval) to it. Default: each '
                        'config\'s own train_cfg.max_iters, which must then be equal')
    p.add_argument('--budget', choices=['iters', 'time', 'macs'], default='iters',
                   help='iters: every run gets the same iterations (--iters). time / macs: also compare at equal '
                        'compute: every run gets as many iterations as fit in the compute of the most expensive '
                        'config\'s iterations, from a short timed calibration of each config\'s training step on '
                        'this machine (time) or from its MACs per step (macs: 3 x student forward + teacher forward '
                        '+ 3 x connectors, deterministic); the schedule is rescaled as with --iters and both tables '
                        'are reported (default: iters)')
    p.add_argument('--no-compute-noise-seeds', dest='compute_noise_seeds', action='store_false',
                   help='with --budget time / macs, train the --noise-seeds of the student alone at equal iterations '
                        'only (each equal-compute run costs as much as the most expensive method\'s run)')
    teacher = p.add_mutually_exclusive_group()
    teacher.add_argument('--teacher', metavar='CONFIG',
                         help='train this teacher config first (once) and distil from its checkpoint')
    teacher.add_argument('--teacher-checkpoint', metavar='PTH',
                         help='a trained teacher checkpoint (path or URL) for every distillation config '
                              '(default: each config\'s model.teacher.checkpoint)')
    p.add_argument('--teacher-iters', type=int, help='iterations of --teacher (default: its config\'s own)')
    p.add_argument('--teacher-seed', type=int, default=0, help='seed of --teacher (default: 0)')
    p.add_argument('--work-dir', default='work_dirs/compare', help='runs and the report (default: %(default)s)')
    p.add_argument('--cfg-options', nargs='+', default=[], metavar='KEY=VALUE',
                   help='overrides for every run, teacher included, as tools/train.py takes them (e.g. '
                        'train_dataloader.dataset.data_root=data/mine val_dataloader.dataset.data_root=data/mine)')
    p.add_argument('--checkpoint-interval', type=int,
                   help='save a checkpoint (a resume point) every N iterations (default: the config\'s interval, '
                        'rescaled with --iters)')
    p.add_argument('--gpus', type=int, default=1,
                   help='processes per run; above 1 each run uses torchrun with --launcher pytorch (default: 1; '
                        'a single process uses the GPU when there is one, else the CPU)')
    p.add_argument('--restart', action='store_true', help='delete the earlier runs in --work-dir and start over')
    return p.parse_args(argv)


def methods_from(args):
    from mmseg_transkd.compare import Method
    default = ['student alone'] + [osp.splitext(osp.basename(c))[0] for c in args.methods]
    names = args.names or []
    if names and len(names) not in (len(args.methods), len(args.methods) + 1):
        raise SystemExit(f'--names: give one name per method ({len(args.methods)}) or the student\'s and one per '
                         f'method ({len(args.methods) + 1}), got {len(names)}.')
    names = (default[:1] + names) if len(names) == len(args.methods) else (names or default)
    return Method(names[0], args.student), [Method(n, c) for n, c in zip(names[1:], args.methods)]


def main(argv=None) -> None:
    args = parse_args(argv)
    import shutil

    from mmseg_transkd.compare import Comparison, Method, text_summary, write_report
    from mmseg_transkd.compare.report import COMPUTE_FIGURE
    start = time.time()
    say = lambda msg: print(f'[compare] {msg}', flush=True)  # noqa: E731
    student, methods = methods_from(args)
    if args.restart:
        say(f'--restart: removing {args.work_dir}')
        shutil.rmtree(args.work_dir, ignore_errors=True)
    os.makedirs(args.work_dir, exist_ok=True)
    comparison = Comparison(
        args.work_dir, student, methods, seeds=args.seeds, noise_seeds=args.noise_seeds,
        teacher=Method('teacher', args.teacher) if args.teacher else None, teacher_checkpoint=args.teacher_checkpoint,
        teacher_iters=args.teacher_iters, teacher_seed=args.teacher_seed, iters=args.iters, budget=args.budget,
        compute_noise_seeds=args.compute_noise_seeds, cfg_options=args.cfg_options,
        checkpoint_interval=args.checkpoint_interval, gpus=args.gpus, say=say)
    outcome = comparison.run()
    command = 'python tools/compare.py ' + ' '.join(shlex.quote(a) for a in (argv if argv is not None
                                                                              else sys.argv[1:]))
    rows, report, png = write_report(outcome, command, args.work_dir)
    print('\n' + text_summary(rows, outcome.compute) + '\n', flush=True)
    figures = png + (f', {osp.join(args.work_dir, COMPUTE_FIGURE)}' if outcome.compute else '')
    say(f'report: {report}; figures: {figures}; this invocation {(time.time() - start) / 60:.1f} min')


if __name__ == '__main__':
    main()
