"""The quickstart: synthetic data -> teacher -> student alone and TransKD-Base/GL/EA students -> report.

    bash tools/quickstart.sh                 # sets up .venv if missing, then runs this
    python tools/quickstart.py [--restart] [--teacher-iters 1000] [--student-iters 400] ...

Every run goes through tools/train.py (MMEngine logs stream as it trains) and is validated with IoUMetric on the val
split. Re-running reuses every finished run whose effective config is unchanged; --restart starts over. Writes
<work-dir>/report.md, loss_curves.png and predictions.png, and prints the results table.
"""
import argparse
import hashlib
import json
import os
import os.path as osp
import platform
import shutil
import subprocess
import sys
import time

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)
RUNS = [  # (name, work-dir name, config, budget)
    ('teacher (MiT-B2 layout)', 'teacher', 'configs/demo/segformer_tiny-b2_demo.py', 'teacher'),
    ('student alone (MiT-B0 layout)', 'student', 'configs/demo/segformer_tiny-b0_demo.py', 'student'),
    ('+ TransKD-Base', 'transkd-base', 'configs/demo/transkd_tiny-b2-b0_demo.py', 'student'),
    ('+ TransKD-GL', 'transkd-gl', 'configs/demo/transkd-gl_tiny-b2-b0_demo.py', 'student'),
    ('+ TransKD-EA', 'transkd-ea', 'configs/demo/transkd-ea_tiny-b2-b0_demo.py', 'student'),
]


def say(msg: str) -> None:
    print(f'[quickstart] {msg}', flush=True)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--work-dir', default='work_dirs/quickstart')
    p.add_argument('--data-root', default='data/demo_city')
    p.add_argument('--train', type=int, default=60, help='synthetic training images')
    p.add_argument('--val', type=int, default=20, help='synthetic validation images')
    p.add_argument('--size', type=int, nargs=2, default=(128, 256), metavar=('H', 'W'))
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--teacher-iters', type=int, default=1000)
    p.add_argument('--student-iters', type=int, default=400, help='the same for the student alone and every TransKD')
    p.add_argument('--log-interval', type=int, default=10)
    p.add_argument('--grid-images', type=int, default=4, help='val images in the prediction figure')
    p.add_argument('--restart', action='store_true', help='delete earlier runs and data, start over')
    return p.parse_args()


def ensure_data(args) -> dict:
    from mmseg_transkd.demo import make_street_scenes
    spec = dict(train=args.train, val=args.val, size=list(args.size), seed=args.seed, generator=1)
    stamp = osp.join(args.data_root, 'demo_data.json')
    if osp.isfile(stamp) and json.load(open(stamp)) == spec:
        say(f'data: reusing {args.data_root}')
        return spec
    shutil.rmtree(args.data_root, ignore_errors=True)
    say(f'data: writing {args.train} train + {args.val} val synthetic street scenes to {args.data_root}')
    make_street_scenes(args.data_root, args.train, args.val, tuple(args.size), args.seed)
    json.dump(spec, open(stamp, 'w'))
    return spec


def cfg_options(args, iters: int, teacher_ckpt: str) -> list:
    warmup = max(1, min(50, iters // 8))
    opts = [f'{loader}.dataset.data_root={args.data_root}' for loader in
            ('train_dataloader', 'val_dataloader', 'test_dataloader')]
    opts += [f'train_cfg.max_iters={iters}', f'train_cfg.val_interval={iters}',
             f'default_hooks.checkpoint.interval={iters}', f'default_hooks.logger.interval={args.log_interval}',
             f'param_scheduler.0.end={warmup}', f'param_scheduler.1.begin={warmup}', f'param_scheduler.1.end={iters}']
    return opts + [f'model.teacher.checkpoint={teacher_ckpt}']


def train(args, name: str, wd_name: str, config: str, iters: int, teacher_ckpt: str, data_spec: dict) -> dict:
    from mmengine.config import Config
    work_dir = osp.join(args.work_dir, wd_name)
    opts = cfg_options(args, iters, teacher_ckpt)
    cfg = Config.fromfile(osp.join(REPO, config))
    if cfg.model.get('type') != 'DistillSegmentor':
        opts = opts[:-1]  # no teacher
    cfg.merge_from_dict(dict(o.split('=', 1) for o in opts))
    # the recipe's contents (packaged fragments) are part of the run, not only its name in the config
    from mmseg_transkd.models.distillers.recipes import expand_recipe
    recipe = json.dumps(expand_recipe(cfg.model), sort_keys=True, default=str) if 'recipe' in cfg.model else ''
    key = hashlib.sha256((cfg.pretty_text + recipe + json.dumps(data_spec)).encode()).hexdigest()[:16]
    done_file = osp.join(work_dir, 'done.json')
    if osp.isfile(done_file):
        done = json.load(open(done_file))
        if done.get('key') == key:
            say(f'{name}: reusing the finished run in {work_dir}')
            return done
    shutil.rmtree(work_dir, ignore_errors=True)  # an unfinished or outdated run is redone from scratch
    say(f'{name}: training {iters} iterations ({config}) -> {work_dir}')
    cmd = [sys.executable, osp.join(REPO, 'tools/train.py'), config, '--work-dir', work_dir, '--cfg-options', *opts]
    start = time.time()
    res = subprocess.run(cmd, cwd=REPO)
    seconds = time.time() - start
    if res.returncode != 0:
        raise SystemExit(f'[quickstart] {name}: training failed (exit {res.returncode}); see the log above and '
                         f'{work_dir}. Command: {" ".join(cmd)}')
    from mmseg_transkd.demo.report import read_scalars
    scalars = read_scalars(work_dir)
    done = dict(key=key, name=name, config=config, iters=iters, seconds=round(seconds, 1),
                checkpoint=osp.join(work_dir, f'iter_{iters}.pth'), val=scalars['val'][-1], command=cmd)
    json.dump(done, open(done_file, 'w'), indent=1)
    return done


def save_teacher(ckpt_path: str, out: str) -> None:
    import torch
    from mmseg_transkd.utils.export import atomic_save
    ckpt = torch.load(ckpt_path, map_location='cpu')
    meta = {k: v for k, v in (ckpt.get('meta') or {}).items() if k == 'dataset_meta'}
    atomic_save({'meta': meta, 'state_dict': ckpt['state_dict']}, out)


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
    teacher_ckpt = osp.join(args.work_dir, 'teacher', 'teacher.pth')
    results = []
    for i, (name, wd_name, config, budget) in enumerate(RUNS, 1):
        say(f'({i}/{len(RUNS)}) {name}')
        iters = args.teacher_iters if budget == 'teacher' else args.student_iters
        done = train(args, name, wd_name, config, iters, teacher_ckpt, data_spec)
        if budget == 'teacher' and not osp.isfile(teacher_ckpt):
            save_teacher(done['checkpoint'], teacher_ckpt)
        results.append(done)
    report(args, results, time.time() - total_start)


def report(args, results: list, total_seconds: float) -> None:
    import numpy as np
    import torch
    from mmengine.utils import ProgressBar
    from mmseg.apis import inference_model

    from mmseg_transkd.demo.report import (markdown_table, plot_losses, prediction_grid, read_scalars,
                                           text_table)
    from mmseg_transkd.utils import load_deployable
    from mmseg_transkd.utils.flops import count_official_macs, count_params

    say('evaluating the deployable models and drawing the figures')
    h, w = args.size
    val_imgs = sorted(glob_files(osp.join(args.data_root, 'leftImg8bit', 'val')))[:args.grid_images]
    val_labels = [p.replace(osp.join('leftImg8bit', 'val'), osp.join('gtFine', 'val')).replace(
        '_leftImg8bit.png', '_gtFine_labelTrainIds.png') for p in val_imgs]
    preds, rows, palette = {}, [], None
    bar = ProgressBar(len(results))
    for done in results:
        model = load_deployable(done['config'], done['checkpoint'])
        palette = model.dataset_meta['palette']
        x = torch.zeros(1, 3, h, w)
        gmacs = count_official_macs(model, lambda: model._forward(x)) / 1e9
        preds[done['name'].split(' (')[0]] = [
            inference_model(model, p).pred_sem_seg.data[0].numpy().astype(np.uint8) for p in val_imgs]
        val = done['val']
        rows.append([done['name'], f'{count_params(model):,}', f'{gmacs:.3f}', f'{val["mIoU"]:.2f}',
                     f'{val["mAcc"]:.2f}', f'{val["aAcc"]:.2f}', f'{done["iters"]}', f'{done["seconds"]:.0f}'])
        bar.update()
    print(flush=True)
    student_miou = results[1]['val']['mIoU']
    header = ['model', 'deployable params', f'GFLOPs @{h}x{w} (official conv.)', 'mIoU', 'mAcc', 'aAcc',
              'iters', 'train time (s)']
    curves = {d['name'].split(' (')[0]: read_scalars(osp.join(args.work_dir, osp.basename(osp.dirname(
        d['checkpoint']))))['train'] for d in results}
    loss_png = plot_losses(curves, osp.join(args.work_dir, 'loss_curves.png'))
    grid_png = prediction_grid(val_imgs, val_labels, preds, palette, osp.join(args.work_dir, 'predictions.png'))
    train_minutes = sum(d['seconds'] for d in results) / 60
    gains = ', '.join(f'{d["name"].lstrip("+ ")} {d["val"]["mIoU"] - student_miou:+.2f}' for d in results[2:])
    import mmseg
    env = (f'{platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores, torch {torch.__version__}, '
           f'mmseg {mmseg.__version__}')
    md = [
        '# Quickstart report: TransKD on synthetic street scenes', '',
        '**The data are synthetic** (`tools/make_demo_data.py`: procedurally drawn street scenes in the Cityscapes '
        'layout, evaluated with mmseg\'s `CityscapesDataset` and `IoUMetric`). These numbers show that the pipeline '
        'works end to end; they say nothing about TransKD on real data.', '',
        f'Written by `bash tools/quickstart.sh` ({env}); the five trainings took {train_minutes:.1f} min of wall time, '
        f'this invocation {total_seconds / 60:.1f} min. Data: {args.train} train / '
        f'{args.val} val images of {h}x{w}, seed {args.seed}. Teacher: {args.teacher_iters} iterations; the student '
        f'alone and every TransKD student: {args.student_iters} iterations with the same schedule and batch.', '',
        '## Results (val split, IoUMetric)', '',
        markdown_table(header, rows), '',
        f'mIoU change over the student alone: {gains}.', '',
        'Deployable params and GFLOPs are those of the model that runs at test time (the student alone for the '
        'TransKD rows; the connectors are training-only). GFLOPs follow the official TransKD counting convention '
        '(multiply-accumulates; see `tools/get_flops.py`). Train time is the wall time of `tools/train.py`.', '',
        '## Loss curves', '', '![loss curves](loss_curves.png)', '',
        '## Predictions on val images', '', '![predictions](predictions.png)', '',
        '## Runs', '', markdown_table(['model', 'config', 'checkpoint'],
                                      [[d['name'], f'`{d["config"]}`', f'`{d["checkpoint"]}`'] for d in results]), '']
    report_md = osp.join(args.work_dir, 'report.md')
    with open(report_md, 'w') as f:
        f.write('\n'.join(md))
    print('\n' + text_table(header, rows))
    print(f'\nmIoU change over the student alone: {gains}  (synthetic data)')
    say(f'report: {report_md}; figures: {loss_png}, {grid_png}; trainings {train_minutes:.1f} min, this invocation '
        f'{total_seconds / 60:.1f} min')


def glob_files(folder: str) -> list:
    return [osp.join(r, f) for r, _, fs in os.walk(folder) for f in fs if f.endswith('.png')]


if __name__ == '__main__':
    main()
