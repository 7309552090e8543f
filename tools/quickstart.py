"""The quickstart: synthetic data -> a teacher trained on many labels -> the student alone with few labels, and
distilled students that also learn from unlabeled scenes, over several seeds, at equal iterations and at equal
compute -> a comparison that says which differences are larger than the seed-to-seed noise.

    bash tools/quickstart.sh                 # sets up .venv if missing, then runs this
    python tools/quickstart.py [--restart] [--methods kd base gl ea] [--seeds 0 1 2] [--noise-seeds 3 4]
        [--teacher-iters 600] [--student-iters 100] [--budget macs]

The regime and its reasons are in docs/quickstart.md: the teacher learns from 120 labeled scenes, the student has the
first 15 of them and 360 unlabeled scenes (train_extra). The runs go through the comparison harness of
tools/compare.py (each one is tools/train.py, so MMEngine's logs stream as it trains, validated with IoUMetric on the
val split). Under one seed the student alone and each distilled student start from the same weights and see the same
labeled crops in the same order with the same augmentation; the tables give each method's mean paired difference to
the student alone with its 95% paired t interval and say in words whether the gain is larger than the noise, at
equal iterations and, with --budget macs (the default) or time, at equal compute. Re-running reuses every finished
run whose effective config and data are unchanged and resumes a run that died; --restart starts over. Writes
<work-dir>/report.md, comparison.png, comparison_equal_compute.png, loss_curves.png and predictions.png, and prints
the results tables.
"""
import argparse
import json
import os
import os.path as osp
import platform
import shutil
import sys
import time

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)
TEACHER = ('teacher (MiT-B2 layout)', 'configs/demo/segformer_tiny-b2_demo.py')
STUDENT = ('student alone', 'configs/demo/segformer_tiny-b0_demo_15-labels.py')
LABELED = 15  # the student's labeled scenes: the first 15 training scenes (splits/train_15.txt, read by the configs)
METHODS = {  # --methods key: (name, config); every student has the same 15 labels, the distilled ones also train_extra
    'kd': ('KD (Hinton, T=1)', 'configs/demo/kd_tiny-b2-b0_demo_15-labels_unlabeled.py'),
    'base': ('TransKD-Base', 'configs/demo/transkd_tiny-b2-b0_demo_15-labels_unlabeled.py'),
    'gl': ('TransKD-GL', 'configs/demo/transkd-gl_tiny-b2-b0_demo_15-labels_unlabeled.py'),
    'ea': ('TransKD-EA', 'configs/demo/transkd-ea_tiny-b2-b0_demo_15-labels_unlabeled.py'),
}


def say(msg: str) -> None:
    print(f'[quickstart] {msg}', flush=True)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--work-dir', default='work_dirs/quickstart')
    p.add_argument('--data-root', default='data/demo_city')
    p.add_argument('--methods', nargs='+', choices=list(METHODS), default=['kd', 'base'],
                   help='the distillation methods (default: kd base; gl and ea cost about as much as base per step, '
                        'and at equal compute each adds its own longer runs: all four take about twice the time)')
    p.add_argument('--train', type=int, default=120,
                   help=f'labeled synthetic training scenes: the teacher\'s (the student has the first {LABELED})')
    p.add_argument('--extra', type=int, default=360, help='unlabeled synthetic scenes (train_extra) for distillation')
    p.add_argument('--val', type=int, default=20, help='synthetic validation scenes')
    p.add_argument('--size', type=int, nargs=2, default=(128, 256), metavar=('H', 'W'))
    p.add_argument('--data-seed', type=int, default=0, help='seed of the synthetic data')
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2],
                   help='training seeds of the student alone and of every distilled student (default: 0 1 2)')
    p.add_argument('--noise-seeds', type=int, nargs='*', default=[3, 4],
                   help='extra seeds for the student alone only, at equal iterations: a cheap estimate of the noise '
                        '(default: 3 4)')
    p.add_argument('--teacher-iters', type=int, default=600)
    p.add_argument('--student-iters', type=int, default=100,
                   help='the same for the student alone and every distilled student at equal iterations')
    p.add_argument('--budget', choices=['iters', 'time', 'macs'], default='macs',
                   help='macs (default) or time: the table at equal iterations and the table at equal compute, each '
                        'run with as many iterations as fit in the MACs (or the measured step time) of the most '
                        'expensive method\'s --student-iters (see tools/compare.py --budget); iters: the first table '
                        'only')
    p.add_argument('--log-interval', type=int, default=10)
    p.add_argument('--grid-images', type=int, default=4, help='val images in the prediction figure')
    p.add_argument('--restart', action='store_true', help='delete earlier runs and data, start over')
    return p.parse_args()


def ensure_data(args) -> dict:
    from mmseg_transkd.demo import make_street_scenes
    spec = dict(train=args.train, val=args.val, extra=args.extra, subsets=[LABELED], size=list(args.size),
                seed=args.data_seed, generator=1)
    stamp = osp.join(args.data_root, 'demo_data.json')
    if osp.isfile(stamp) and json.load(open(stamp)) == spec:
        say(f'data: reusing {args.data_root}')
        return spec
    if args.train < LABELED:
        raise SystemExit(f'--train {args.train}: the student\'s {LABELED} labeled scenes are the first {LABELED} '
                         'training scenes; give at least that many.')
    shutil.rmtree(args.data_root, ignore_errors=True)
    say(f'data: writing {args.train} labeled train (the student has the first {LABELED}) + {args.extra} unlabeled '
        f'train_extra + {args.val} val synthetic street scenes to {args.data_root}')
    make_street_scenes(args.data_root, args.train, args.val, tuple(args.size), args.data_seed, args.extra, [LABELED])
    json.dump(spec, open(stamp, 'w'))
    return spec


def main() -> None:
    args = parse_args()
    os.chdir(REPO)
    total_start = time.time()
    if args.restart:
        say(f'--restart: removing {args.work_dir} and {args.data_root}')
        shutil.rmtree(args.work_dir, ignore_errors=True)
        shutil.rmtree(args.data_root, ignore_errors=True)
    os.makedirs(args.work_dir, exist_ok=True)
    data_spec = ensure_data(args)
    from mmseg_transkd.compare import Comparison, Method
    options = [f'{loader}.dataset.data_root={args.data_root}' for loader in
               ('train_dataloader', 'val_dataloader', 'test_dataloader')]
    options.append(f'default_hooks.logger.interval={args.log_interval}')
    comparison = Comparison(
        args.work_dir, Method(*STUDENT), [Method(*METHODS[m]) for m in dict.fromkeys(args.methods)],
        seeds=args.seeds, noise_seeds=args.noise_seeds, teacher=Method(*TEACHER), teacher_iters=args.teacher_iters,
        iters=args.student_iters, budget=args.budget, compute_noise_seeds=False, cfg_options=options,
        key_extra=json.dumps(data_spec, sort_keys=True), say=say)
    outcome = comparison.run()
    report(args, outcome, total_start)


def report(args, outcome, total_start: float) -> None:
    import mmseg
    import numpy as np
    import torch
    from mmseg.apis import inference_model

    from mmseg_transkd.compare import text_summary, write_report
    from mmseg_transkd.compare.report import COMPUTE_FIGURE
    from mmseg_transkd.compare.runs import last_checkpoint
    from mmseg_transkd.demo.report import markdown_table, plot_losses, prediction_grid, read_scalars, text_table
    from mmseg_transkd.utils import load_deployable
    from mmseg_transkd.analysis.flops import count_official_macs, count_params

    say('drawing the figures (first seed of every method) and counting the deployable models')
    h, w = args.size
    first = outcome.seeds[0]
    shown = [(TEACHER[0].split(' (')[0], outcome.teacher)] + [(n, r[first]) for n, r in outcome.results.items()]
    val_imgs = sorted(glob_files(osp.join(args.data_root, 'leftImg8bit', 'val')))[:args.grid_images]
    val_labels = [p.replace(osp.join('leftImg8bit', 'val'), osp.join('gtFine', 'val')).replace(
        '_leftImg8bit.png', '_gtFine_labelTrainIds.png') for p in val_imgs]
    preds, sizes, palette = {}, {}, None
    for name, res in shown:
        model = load_deployable(res.run.config, last_checkpoint(res.run.work_dir))
        palette = model.dataset_meta['palette']
        x = torch.zeros(1, 3, h, w)
        sizes[res.run.config if name != 'teacher' else 'teacher'] = (
            count_params(model), count_official_macs(model, lambda: model._forward(x)) / 1e9)
        preds[name] = [inference_model(model, p).pred_sem_seg.data[0].numpy().astype(np.uint8) for p in val_imgs]
    curves = {n: read_scalars(res.run.work_dir)['train'] for n, res in shown}
    loss_png = plot_losses(curves, osp.join(args.work_dir, 'loss_curves.png'))
    grid_png = prediction_grid(val_imgs, val_labels, preds, palette, osp.join(args.work_dir, 'predictions.png'))
    student_sizes = {v for k, v in sizes.items() if k != 'teacher'}
    size_header = ['model', 'deployable params', f'GFLOPs @{h}x{w} (official conv.)', 'val mIoU', 'iters']
    size_rows = [[TEACHER[0], f'{sizes["teacher"][0]:,}', f'{sizes["teacher"][1]:.3f}', f'{outcome.teacher.miou:.2f}',
                  outcome.teacher.run.iters]]
    for params, gflops in sorted(student_sizes):
        size_rows.append(['student (MiT-B0 layout): alone and every distilled student', f'{params:,}',
                          f'{gflops:.3f}', 'see above', outcome.iters if outcome.compute is None else 'see above'])
    train_minutes = sum(r.seconds for r in outcome.all_results()) / 60
    env = (f'{platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores, torch {torch.__version__}, '
           f'mmseg {mmseg.__version__}')
    n_runs = len(outcome.all_results())
    preamble = [
        '# Quickstart report: does distillation help a student with few labels and many unlabeled scenes?', '',
        '**The data are synthetic** (`tools/make_demo_data.py`: procedurally drawn street scenes in the Cityscapes '
        'layout, evaluated with mmseg\'s `CityscapesDataset` and `IoUMetric`). These numbers show the pipeline and '
        'the comparison harness working end to end; they say nothing about TransKD on real data.', '',
        f'Environment: {env}. The {n_runs} trainings took {train_minutes:.1f} min of wall time (reused runs count '
        f'the time they took when they ran). Data: {args.train} labeled train scenes (the teacher\'s; the student has '
        f'the first {LABELED}), {args.extra} unlabeled train_extra scenes (the distilled students\'), {args.val} val '
        f'scenes, {h}x{w}, data seed {args.data_seed}. The regime and why: `docs/quickstart.md`.', '']
    extra = [
        '## Models', '', markdown_table(size_header, size_rows), '',
        'Deployable params and GFLOPs are those of the model that runs at test time: every distilled student is the '
        'student alone at test time (the connectors are training-only). GFLOPs follow the official TransKD counting '
        'convention (multiply-accumulates; see `tools/get_flops.py`).', '',
        f'## Loss curves (seed {first})', '', '![loss curves](loss_curves.png)', '',
        f'## Predictions on val images (seed {first})', '', '![predictions](predictions.png)', '']
    rows, report_md, cmp_png = write_report(outcome, 'bash tools/quickstart.sh', args.work_dir, preamble, extra)
    seeds = ','.join(map(str, outcome.seeds))
    noise = f', plus seed(s) {",".join(map(str, outcome.noise_seeds))} for the student alone' if \
        outcome.noise_seeds else ''
    if outcome.noise_seeds and outcome.compute is not None and not outcome.compute.noise_seeds:
        noise += ' at equal iterations'
    budget = (f'after {outcome.iters} iterations' if outcome.compute is None else
              f'at equal iterations ({outcome.iters}) and at equal compute ({outcome.compute.budget.kind})')
    print(f'\nSynthetic street scenes, {LABELED} labeled + {args.extra} unlabeled for the students, val mIoU '
          f'(IoUMetric) {budget}; seeds {seeds} for every method{noise}:\n')
    print(text_summary(rows, outcome.compute))
    print('\n' + text_table(size_header, size_rows))
    figures = [cmp_png] + ([osp.join(args.work_dir, COMPUTE_FIGURE)] if outcome.compute else []) + [loss_png, grid_png]
    say(f'report: {report_md}; figures: {", ".join(figures)}; trainings {train_minutes:.1f} min, this '
        f'invocation {(time.time() - total_start) / 60:.1f} min')


def glob_files(folder: str) -> list:
    return [osp.join(r, f) for r, _, fs in os.walk(folder) for f in fs if f.endswith('.png')]


if __name__ == '__main__':
    main()
