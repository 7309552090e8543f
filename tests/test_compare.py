"""tools/compare.py: the statistics by hand, per-class IoU, schedule rescaling, and a real two-seed comparison whose
report is checked against each run's own log, then resumed after a simulated crash."""
import copy
import glob
import importlib.util
import json
import math
import os
import os.path as osp
import re
import shutil
import statistics
import subprocess
import sys

import cv2
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner, set_random_seed
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from mmseg_transkd.compare import Comparison, Method, paired
from mmseg_transkd.compare.runs import load_config, schedule_options
from mmseg_transkd.compare.stats import explain
from mmseg_transkd.demo import make_street_scenes
from mmseg_transkd.engine.exact_resume import ITER_SAMPLERS, seeded_dataloader_cfg
from mmseg_transkd.evaluation import PerClassIoUMetric
from tiny import REPO, tiny_cfg

ENV = dict(os.environ, PATH=osp.dirname(sys.executable) + os.pathsep + os.environ.get('PATH', ''))
STUDENT = 'configs/demo/segformer_tiny-b0_demo.py'
KD = 'configs/demo/kd_tiny-b2-b0_demo.py'
KD_UNLABELED = 'configs/demo/kd_tiny-b2-b0_demo_unlabeled.py'
T1 = math.tan(math.pi * 0.475)  # Student t, 1 degree of freedom, 97.5% quantile (closed form)
T2 = 0.95 / math.sqrt(2 * 0.975 * 0.025)  # 2 degrees of freedom: (2p - 1) / sqrt(2p(1 - p))


# ----------------------------------------------------------------------------- statistics by hand
def test_paired_t_interval_and_verdicts_by_hand():
    p = paired({0: 31.0, 1: 32.0, 7: 1.0}, {0: 30.0, 1: 30.5})  # seed 7 has no student run: not paired
    assert p.seeds == (0, 1) and p.diffs == (1.0, 1.5)
    half = T1 * math.sqrt(((1.0 - 1.25) ** 2 + (1.5 - 1.25) ** 2) / 1) / math.sqrt(2)
    assert p.mean == pytest.approx(1.25) and p.t == pytest.approx(T1, rel=1e-9)
    assert (p.low, p.high) == (pytest.approx(1.25 - half), pytest.approx(1.25 + half))
    assert p.verdict == 'noise' and 'not distinguishable from noise' in explain('X', p, 0.3, 3)

    up = paired({0: 11.0, 1: 11.2, 2: 11.1}, {0: 10.0, 1: 10.0, 2: 10.0})  # d = 1.0, 1.2, 1.1: sd 0.1
    assert up.t == pytest.approx(T2, rel=1e-9)
    assert (up.low, up.high) == (pytest.approx(1.1 - T2 * 0.1 / math.sqrt(3)), pytest.approx(1.1 + T2 * 0.1 /
                                                                                             math.sqrt(3)))
    assert up.verdict == 'helps' and 'larger than the noise' in explain('X', up, 0.3, 3)
    down = paired({0: 9.0, 1: 8.8, 2: 8.9}, {0: 10.0, 1: 10.0, 2: 10.0})
    assert down.verdict == 'hurts' and down.high < 0

    one = paired({0: 12.0}, {0: 10.0, 1: 11.0})
    assert one.n == 1 and one.mean == 2.0 and math.isnan(one.low) and one.verdict == 'one seed'
    assert 'single seed' in explain('X', one, 0.5, 2)
    assert paired({3: 1.0}, {0: 1.0}) is None


def test_per_class_iou_metric_returns_each_class_by_hand():
    metric = PerClassIoUMetric(iou_metrics=['mIoU'])
    metric.dataset_meta = dict(classes=('a', 'b', 'c', 'd'))
    gt = torch.tensor([[0, 0, 1, 1], [2, 2, 255, 255]])
    pred = torch.tensor([[0, 1, 1, 1], [2, 0, 0, 3]])
    sample = SegDataSample(pred_sem_seg=PixelData(data=pred[None]), gt_sem_seg=PixelData(data=gt[None]))
    metric.process([], [sample.to_dict()])
    out = metric.compute_metrics(metric.results)
    # a: inter 1, union |{0,0}| + pred a outside gt a (1 px in gt 2) = 3; b: 2 / 3; c: 1 / 2; d: never in gt or
    # pred outside ignore pixels -> NaN
    assert out['IoU.a'] == round(100 / 3, 2) and out['IoU.b'] == round(200 / 3, 2) and out['IoU.c'] == 50.0
    assert math.isnan(out['IoU.d'])
    assert out['mIoU'] == round((100 / 3 + 200 / 3 + 50) / 3, 2)  # mmseg's mean, unchanged


@pytest.mark.parametrize('variant', ['base', 'ea'])
def test_distilled_student_starts_like_the_student_alone_under_one_seed(variant, city_root, tmp_path):
    """Same seed: the distiller's student gets the student-alone weights and leaves torch's generator where the
    student alone leaves it, although the teacher, connectors and losses are built and initialised too."""
    cfg = tiny_cfg(variant, city_root, str(tmp_path))

    def build(model_cfg, seed):
        set_random_seed(seed)
        model = MODELS.build(copy.deepcopy(model_cfg))
        torch.rand(3)  # what the runner may draw between build and init (e.g. its dataloader iterator)
        model.init_weights()
        student = model.student if hasattr(model, 'student') else model
        return {k: v.clone() for k, v in student.state_dict().items()}, torch.rand(4)

    alone, after_alone = build(cfg.model.student, 3)
    distilled, after_distilled = build(cfg.model, 3)
    assert alone.keys() == distilled.keys() and all(torch.equal(alone[k], distilled[k]) for k in alone)
    assert torch.equal(after_alone, after_distilled)  # drop path / dropout draw the same at the first step
    other, _ = build(cfg.model, 4)
    assert not all(torch.equal(alone[k], other[k]) for k in alone)


# ----------------------------------------------------------------------------- schedule and input checks
def test_iters_rescale_the_schedule_and_tiny_budgets_stay_valid():
    cfg = Config.fromfile(str(REPO / STUDENT))  # 800 iterations: warm-up 0-50, poly 50-800, checkpoint 800
    opts = dict(o.split('=') for o in schedule_options(cfg, STUDENT, 200, None))
    assert opts['train_cfg.max_iters'] == opts['train_cfg.val_interval'] == '200'
    assert (opts['param_scheduler.0.begin'], opts['param_scheduler.0.end']) == ('0', '12')  # round(50 / 4)
    assert (opts['param_scheduler.1.begin'], opts['param_scheduler.1.end']) == ('12', '200')
    assert opts['default_hooks.checkpoint.interval'] == '200'
    tiny = dict(o.split('=') for o in schedule_options(cfg, STUDENT, 2, 1))
    assert int(tiny['param_scheduler.0.end']) > int(tiny['param_scheduler.0.begin'])
    assert tiny['default_hooks.checkpoint.interval'] == '1'


def test_a_method_on_unlabeled_images_is_paired_with_the_student_alone(tmp_path, monkeypatch):
    """The harness's effective configs of the student alone and of KD that also sees unlabeled images: the same
    options reach both (one data root), the schedules rescale alike, the plan passes, and under one seed every step's
    labeled samples are the student alone's (same images, crops, flips and photometric draws) next to as many
    unlabeled ones."""
    monkeypatch.chdir(REPO)
    data = str(tmp_path / 'data')
    make_street_scenes(data, n_train=4, n_val=2, size=(64, 128), n_extra=5)
    options = [f'{k}_dataloader.dataset.data_root={data}' for k in ('train', 'val', 'test')]
    teacher = str(tmp_path / 'teacher.pth')
    torch.save({'state_dict': {}}, teacher)
    runs = Comparison(str(tmp_path / 'cmp'), Method('s', STUDENT), [Method('u', KD_UNLABELED)], seeds=[5, 6],
                      iters=40, teacher_checkpoint=teacher, cfg_options=options).plan()
    assert [(r.name, r.seed) for r in runs] == [('s', 5), ('u', 5), ('s', 6), ('u', 6)]
    steps = {}
    for config in (STUDENT, KD_UNLABELED):
        cfg = load_config(config, options + ['randomness.seed=5'])
        steps[config] = schedule_options(cfg, config, 40, None)
        loader = iter(Runner.build_dataloader(seeded_dataloader_cfg(cfg.train_dataloader, ITER_SAMPLERS), seed=5))
        steps[config, 'data'] = [next(loader) for _ in range(2)]
    assert steps[STUDENT] == steps[KD_UNLABELED]
    for alone, mixed in zip(steps[STUDENT, 'data'], steps[KD_UNLABELED, 'data']):
        n = len(alone['inputs'])
        assert n == 8 and len(mixed['inputs']) == 2 * n
        for a, m, sample_a, sample_m in zip(alone['inputs'], mixed['inputs'], alone['data_samples'],
                                            mixed['data_samples']):
            assert sample_a.img_path == sample_m.img_path and torch.equal(a, m)
            assert torch.equal(sample_a.gt_sem_seg.data, sample_m.gt_sem_seg.data)
        assert all('gt_sem_seg' not in s and '/train_extra/' in s.img_path for s in mixed['data_samples'][n:])


def test_unequal_budgets_and_bad_names_are_refused_before_training(tmp_path, monkeypatch):
    teacher = 'configs/demo/segformer_tiny-b2_demo.py'  # 1200 iterations, the student 800
    monkeypatch.chdir(REPO)
    with pytest.raises(SystemExit, match=r'different numbers of iterations.*pass --iters N'):
        Comparison(str(tmp_path), Method('s', STUDENT), [Method('t', teacher)], seeds=[0, 1]).plan()
    with pytest.raises(SystemExit, match='names must be distinct'):
        Comparison(str(tmp_path), Method('s', STUDENT), [Method('s', KD)])
    with pytest.raises(SystemExit, match='seeds must be distinct'):
        Comparison(str(tmp_path), Method('s', STUDENT), [Method('k', KD)], seeds=[0, 1], noise_seeds=[1])


def test_help_documents_the_options():
    res = subprocess.run([sys.executable, 'tools/compare.py', '--help'], cwd=REPO, capture_output=True, text=True,
                         env=ENV, timeout=60)
    assert res.returncode == 0
    for option in ('--seeds', '--noise-seeds', '--iters', '--teacher', '--teacher-checkpoint', '--cfg-options',
                   '--work-dir', '--names', '--gpus', 'paired t interval', 'resumes a run that died'):
        assert option in res.stdout, option


# ----------------------------------------------------------------------------- end to end
def _val_from_text_log(run_dir: str) -> dict:
    """The last validation line of the run's MMEngine text log, parsed independently of the harness."""
    logs = sorted(glob.glob(osp.join(run_dir, '2*', '2*.log')))
    line = [ln for ln in open(logs[-1]) if 'Iter(val)' in ln][-1]
    items = dict(kv.split(': ', 1) for kv in re.split(r'\s{2,}', line.split('Iter(val)')[1].split(']', 1)[1].strip()))
    return {k: float(v) for k, v in items.items()}


def _first_losses(run_dir: str) -> float:
    rows = [json.loads(ln) for f in sorted(glob.glob(osp.join(run_dir, '2*', 'vis_data', 'scalars.json')))[:1]
            for ln in open(f)]
    return next(r['decode.loss_ce'] for r in rows if r.get('step') == 1)


def _md_table(report: str, first_header: str) -> dict:
    lines = report.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith(f'| {first_header} |'))
    rows = {}
    for ln in lines[start + 2:]:
        if not ln.startswith('|'):
            break
        cells = [c.strip() for c in ln.strip('|').split('|')]
        rows[cells[0]] = cells[1:]
    return rows


def _check_report_against_logs(work: str) -> None:
    runs = {(name, s): _val_from_text_log(osp.join(work, slug, f'seed{s}'))
            for name, slug in (('student alone', 'student-alone'), ('KD', 'kd')) for s in (0, 1)}
    report = open(osp.join(work, 'report.md')).read()
    per_run = _md_table(report, 'method | seed 0')
    for (name, s), val in runs.items():
        assert per_run[name][s] == f'{val["mIoU"]:.2f}'
    results = _md_table(report, 'method | seeds')
    for name in ('student alone', 'KD'):
        m = [runs[name, s]['mIoU'] for s in (0, 1)]
        assert results[name][:2] == ['0,1', f'{statistics.mean(m):.2f} ± {statistics.stdev(m):.2f}']
    d = [runs['KD', s]['mIoU'] - runs['student alone', s]['mIoU'] for s in (0, 1)]
    half = T1 * statistics.stdev(d) / math.sqrt(2)
    low, high = statistics.mean(d) - half, statistics.mean(d) + half
    assert results['KD'][2:4] == [f'{statistics.mean(d):+.2f} (n=2)', f'[{low:+.2f}, {high:+.2f}]']
    assert results['KD'][4] == ('helps (beyond noise)' if low > 0 else 'hurts (beyond noise)' if high < 0
                                else 'within noise')
    classes = _md_table(report, 'class')
    assert len(classes) == 19 and 'traffic light' in classes
    for c, cells in classes.items():
        st = [runs['student alone', s][f'IoU.{c}'] for s in (0, 1)]
        delta = [runs['KD', s][f'IoU.{c}'] - runs['student alone', s][f'IoU.{c}'] for s in (0, 1)]
        finite = [x for x in delta if not math.isnan(x)]
        assert cells[1] == (f'{statistics.mean(finite):+.2f}' if finite else '—'), c
        finite_st = [x for x in st if not math.isnan(x)]
        assert cells[0] == (f'{statistics.mean(finite_st):.2f}' if finite_st else '—'), c


def _compare_main():
    """tools/compare.py's main(), run in this process (its trainings are still tools/train.py processes)."""
    spec = importlib.util.spec_from_file_location('compare_tool', REPO / 'tools' / 'compare.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main


def test_compare_two_seeds_report_matches_the_run_logs_and_a_died_run_resumes(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    data, work = str(tmp_path / 'data'), str(tmp_path / 'cmp')
    make_street_scenes(data, n_train=4, n_val=2, size=(64, 128))
    teacher_cfg = Config.fromfile(str(REPO / 'configs/demo/segformer_tiny-b2_demo.py'))
    torch.manual_seed(0)
    teacher = str(tmp_path / 'teacher.pth')  # a given teacher (random weights; the harness does not care)
    torch.save({'state_dict': MODELS.build(teacher_cfg.model).state_dict()}, teacher)
    argv = [STUDENT, KD, '--names', 'KD', '--seeds', '0', '1', '--iters', '4', '--checkpoint-interval', '2',
            '--teacher-checkpoint', teacher, '--work-dir', work, '--cfg-options',
            *[f'{k}_dataloader.dataset.data_root={data}' for k in ('train', 'val', 'test')],
            'train_dataloader.batch_size=2', 'val_dataloader.batch_size=2', 'default_hooks.logger.interval=1',
            'default_hooks.checkpoint.max_keep_ckpts=-1']
    main = _compare_main()
    main(argv)
    out = capsys.readouterr().out
    assert re.search(r'\(1/4\) student alone, seed 0: training 4 iterations .*time left: known after', out)
    assert re.search(r'\(4/4\) KD, seed 1: training .*this run about .*; time left: about', out)
    assert re.search(r'^KD\s+0,1\s', out, re.M) and 'student alone: the reference' in out
    _check_report_against_logs(work)
    # same seed: same initial student weights, same images, same augmentations, same drop path at iteration 1
    loss = {(m, s): _first_losses(osp.join(work, m, f'seed{s}')) for m in ('student-alone', 'kd') for s in (0, 1)}
    assert loss['student-alone', 0] == loss['kd', 0] and loss['student-alone', 1] == loss['kd', 1]
    assert loss['student-alone', 0] != loss['student-alone', 1]
    png = cv2.imread(osp.join(work, 'comparison.png'))
    assert png is not None and png.shape[1] > 800

    # KD seed 1 "dies" after its iteration-2 checkpoint: the final checkpoint and the log of the end are gone
    run = osp.join(work, 'kd', 'seed1')
    os.remove(osp.join(run, 'iter_4.pth'))
    with open(osp.join(run, 'last_checkpoint'), 'w') as f:
        f.write(osp.join(run, 'iter_2.pth'))
    for folder in glob.glob(osp.join(run, '2*')):
        shutil.rmtree(folder)
    state = json.load(open(osp.join(run, 'compare_run.json')))
    json.dump(dict(state, status='running'), open(osp.join(run, 'compare_run.json'), 'w'))
    main(argv)
    again = capsys.readouterr().out
    assert again.count('reusing the finished run') == 3
    assert '(4/4) KD, seed 1: resuming from iter_2.pth' in again
    steps = [json.loads(ln).get('iter') for ln in open(glob.glob(osp.join(run, '2*', 'vis_data', 'scalars.json'))[0])
             if 'loss' in ln]
    assert steps == [3, 4]  # continued, not restarted
    attempts = json.load(open(osp.join(run, 'compare_run.json')))['attempts']
    assert [a['resumed_from'] for a in attempts] == [None, osp.join(run, 'iter_2.pth')]
    _check_report_against_logs(work)
