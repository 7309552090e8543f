"""tools/compare.py: the statistics by hand, per-class IoU, schedule rescaling, equal-compute iterations and the
time estimate by hand, and a real two-seed comparison whose report is checked against each run's own log, then
resumed after a simulated crash, then compared at equal compute (MACs and a calibrated step time)."""
import contextlib
import copy
import glob
import importlib.util
import io
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

from mmseg_transkd.analysis.flops import count_official_macs
from mmseg_transkd.compare import Comparison, Method, budget, equal_compute_iters, paired
from mmseg_transkd.compare.report import interval_note
from mmseg_transkd.compare.runs import Progress, Result, Run, load_config, schedule_options
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
    # TF-DeepLab's poly (KA's demo student): ClosedFormPolyLR decays over max_decay_steps = 200, its own length
    ka = 'configs/demo/mobilenet-v2-os16_tiny_demo.py'
    opts = dict(o.split('=') for o in schedule_options(Config.fromfile(str(REPO / ka)), ka, 50, None))
    assert opts['train_cfg.max_iters'] == opts['param_scheduler.0.max_decay_steps'] == '50'


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


def test_noise_seeds_at_equal_compute_only_when_asked(tmp_path, monkeypatch):
    """The student alone's noise seeds rerun at equal compute by default; compute_noise_seeds=False (the quickstart's,
    --no-compute-noise-seeds) keeps them at equal iterations only. Step costs 1 : 3 give the student 3x the budget."""
    monkeypatch.chdir(REPO)
    data = str(tmp_path / 'data')
    make_street_scenes(data, n_train=2, n_val=1, size=(32, 64))
    options = [f'{k}_dataloader.dataset.data_root={data}' for k in ('train', 'val', 'test')]
    teacher = str(tmp_path / 'teacher.pth')
    torch.save({'state_dict': {}}, teacher)
    monkeypatch.setattr('mmseg_transkd.compare.comparison.step_costs', lambda kind, configs, base, *a: budget.Budget(
        kind, base, {'s': 1.0, 'k': 3.0}))
    planned = {}
    for noise_at_compute in (True, False):
        runs = Comparison(str(tmp_path / 'cmp'), Method('s', STUDENT), [Method('k', KD)], seeds=[0, 1], noise_seeds=[7],
                          iters=4, budget='macs', compute_noise_seeds=noise_at_compute, teacher_checkpoint=teacher,
                          cfg_options=options).plan()
        planned[noise_at_compute] = [(r.name, r.seed, r.iters) for r in runs]
    at_iters = [('s', 0, 4), ('k', 0, 4), ('s', 1, 4), ('k', 1, 4), ('s', 7, 4)]
    assert planned[True] == at_iters + [('s', 0, 12), ('s', 1, 12), ('s', 7, 12)]
    assert planned[False] == at_iters + [('s', 0, 12), ('s', 1, 12)]


def test_unequal_budgets_and_bad_names_are_refused_before_training(tmp_path, monkeypatch):
    teacher = 'configs/demo/segformer_tiny-b2_demo.py'  # 1200 iterations, the student 800
    monkeypatch.chdir(REPO)
    with pytest.raises(SystemExit, match=r'different numbers of iterations.*pass --iters N'):
        Comparison(str(tmp_path), Method('s', STUDENT), [Method('t', teacher)], seeds=[0, 1]).plan()
    with pytest.raises(SystemExit, match='names must be distinct'):
        Comparison(str(tmp_path), Method('s', STUDENT), [Method('s', KD)])
    with pytest.raises(SystemExit, match='seeds must be distinct'):
        Comparison(str(tmp_path), Method('s', STUDENT), [Method('k', KD)], seeds=[0, 1], noise_seeds=[1])


def test_equal_compute_iterations_by_hand():
    # the most expensive keeps the base budget; the others get floor(base * top / cost)
    assert equal_compute_iters({'s': 3, 'kd': 7, 'ea': 7}, 10) == {'s': 23, 'kd': 10, 'ea': 10}  # 70 / 3 = 23.3
    # measured seconds: 4 * 0.9 / 0.45 is 7.999... in binary floating point, still 8 iterations
    assert equal_compute_iters({'s': 0.45, 'kd': 0.9}, 4) == {'s': 8, 'kd': 4}
    assert equal_compute_iters({'s': 0.1, 'kd': 0.27}, 3) == {'s': 8, 'kd': 3}  # 8.1
    with pytest.raises(SystemExit, match='positive and finite'):
        equal_compute_iters({'s': 0.0, 'kd': 1.0}, 4)
    with pytest.raises(SystemExit, match=r'model\.data_preprocessor\.size.*--budget iters'):
        budget.training_input(Config(dict(model=dict(type='EncoderDecoder'), train_dataloader=dict(batch_size=2))),
                              'x.py', 'macs')


def test_time_calibration_interleaves_and_takes_the_median(monkeypatch):
    now, calls = [0.0], []

    def step(name, durations):
        def fn():
            calls.append(name)
            now[0] += durations.pop(0)
        return fn
    # one warm-up round (5 s and 9 s, not counted), then three timed rounds
    seconds = budget.median_step_seconds({'a': step('a', [5, 1, 2, 3]), 'b': step('b', [9, 4, 4, 7])}, rounds=3,
                                         warmup=1, clock=lambda: now[0])
    assert seconds == {'a': 2, 'b': 4} and calls == ['a', 'b'] * 4
    # the real steps of a plain segmentor and of a distiller build and run (one round, no warm-up)
    monkeypatch.setattr(budget, 'ROUNDS', 1)
    monkeypatch.setattr(budget, 'WARMUP', 0)
    monkeypatch.chdir(REPO)
    opts = ['train_dataloader.batch_size=1']
    real = budget.calibrate_seconds({n: (c, load_config(c, opts)) for n, c in (('s', STUDENT), ('kd', KD))}, 'cpu')
    assert set(real) == {'s', 'kd'} and all(0 < v < 60 for v in real.values())


def _result(tmp_path, name, role, iters, seconds, step_time):
    """A finished run whose log says ``step_time`` seconds per iteration."""
    work_dir = tmp_path / f'{name}{iters}'
    log = work_dir / '20260101_000000' / 'vis_data'
    log.mkdir(parents=True)
    rows = [dict(step=i, time=step_time, loss=1.0) for i in (10, 20)] + [dict(step=iters, mIoU=1.0, time=9.0)]
    (log / 'scalars.json').write_text('\n'.join(map(json.dumps, rows)))
    return Result(Run(name, 'c.py', 0, str(work_dir), [], iters, role), seconds, {}, str(log.parent))


def test_time_estimate_counts_start_up_build_and_validation(tmp_path):
    progress = Progress(total=4, say=print)
    student = Run('student alone', 's.py', 0, '', [], 150, 'student')
    assert progress.estimate(student) is None
    progress.record(_result(tmp_path, 'teacher', 'teacher', 450, 100.0, 0.16), timed=True)  # fixed part 28 s
    assert progress.estimate(student) == pytest.approx(28 + 150 * 0.16)  # not 150 * 100 / 450
    progress.record(_result(tmp_path, 'student alone', 'student', 150, 40.0, 0.1), timed=True)  # fixed part 25 s
    kd = Run('KD', 'k.py', 0, '', [], 150, 'method')
    assert progress.estimate(kd) == pytest.approx(26.5 + 150 * 0.1)  # not timed: the timed students' step
    assert progress.estimate(Run('student alone', 's.py', 0, '', [], 300, 'student')) == pytest.approx(26.5 + 30)
    assert 'time left: about 83 s (rough' in progress.eta([kd, student])  # 41.5 + 41.5 s


def test_how_to_read_quotes_the_t_of_the_seeds_used():
    two = interval_note([0, 1], [2])
    assert 'With 2 seeds t = 12.71, so the interval is wide' in two and '`--seeds 0 1 3 4 5`' in two
    five = interval_note([0, 1, 2, 3, 4])
    assert 'With 5 seeds t = 2.78.' in five and 'run more seeds' not in five and '12.71' not in five


def test_help_documents_the_options():
    res = subprocess.run([sys.executable, 'tools/compare.py', '--help'], cwd=REPO, capture_output=True, text=True,
                         env=ENV, timeout=60)
    assert res.returncode == 0
    for option in ('--seeds', '--noise-seeds', '--iters', '--teacher', '--teacher-checkpoint', '--cfg-options',
                   '--work-dir', '--names', '--gpus', '--budget', 'equal compute', 'paired t interval',
                   'resumes a run that died'):
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


def _paired_cells(method: list, student: list) -> list:
    """The Δ and interval cells of a results row, from the per-seed mIoUs (seeds 0, 1) by hand."""
    d = [m - s for m, s in zip(method, student)]
    half = T1 * statistics.stdev(d) / math.sqrt(2)
    low, high = statistics.mean(d) - half, statistics.mean(d) + half
    verdict = 'helps (beyond noise)' if low > 0 else 'hurts (beyond noise)' if high < 0 else 'within noise'
    return [f'{statistics.mean(d):+.2f} (n=2)', f'[{low:+.2f}, {high:+.2f}]', verdict]


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
    assert results['KD'][2:5] == _paired_cells([runs['KD', s]['mIoU'] for s in (0, 1)],
                                               [runs['student alone', s]['mIoU'] for s in (0, 1)])
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


@pytest.fixture(scope='module')
def compared(tmp_path_factory):
    """One real comparison through tools/compare.py's main(): the student alone and KD, seeds 0 and 1, 4 iterations,
    a given teacher; shared by the tests below. Returns the work dir, the arguments and what main() printed."""
    tmp = tmp_path_factory.mktemp('compare')
    data, work = str(tmp / 'data'), str(tmp / 'cmp')
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(REPO)
        make_street_scenes(data, n_train=4, n_val=2, size=(64, 128))
        teacher_cfg = Config.fromfile(str(REPO / 'configs/demo/segformer_tiny-b2_demo.py'))
        torch.manual_seed(0)
        teacher = str(tmp / 'teacher.pth')  # a given teacher (random weights; the harness does not care)
        torch.save({'state_dict': MODELS.build(teacher_cfg.model).state_dict()}, teacher)
        argv = [STUDENT, KD, '--names', 'KD', '--seeds', '0', '1', '--iters', '4', '--checkpoint-interval', '2',
                '--teacher-checkpoint', teacher, '--work-dir', work, '--cfg-options',
                *[f'{k}_dataloader.dataset.data_root={data}' for k in ('train', 'val', 'test')],
                'train_dataloader.batch_size=2', 'val_dataloader.batch_size=2', 'default_hooks.logger.interval=1',
                'default_hooks.checkpoint.max_keep_ckpts=-1']
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            _compare_main()(argv)
    return work, argv, out.getvalue()


def test_compare_two_seeds_report_matches_the_run_logs_and_a_died_run_resumes(compared, capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    work, argv, out = compared
    main = _compare_main()
    assert re.search(r'\(1/4\) student alone, seed 0: training 4 iterations .*time left: known after', out)
    assert re.search(r'\(4/4\) KD, seed 1: training .*this run about .*; time left: about', out)
    assert re.search(r'^KD\s+0,1\s', out, re.M) and 'student alone: the reference' in out
    assert 'At equal compute' not in out and '### At equal' not in open(osp.join(work, 'report.md')).read()
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


def test_equal_compute_by_macs_and_by_calibrated_time(compared, capsys, monkeypatch):
    """--budget macs on seed 0 of the shared runs: the student alone gets the iterations that fit in KD's 4 by the MAC
    convention counted here by hand; its run trains (schedule rescaled), KD's is the equal-iteration run. --budget
    time with a calibration of known step times that gives the same iterations: everything is reused."""
    monkeypatch.chdir(REPO)
    work, argv, _ = compared
    i = argv.index('--seeds')
    argv = argv[:i + 2] + argv[i + 3:]  # seed 0 only: one more training (the intervals are checked above)
    main = _compare_main()
    opts = argv[argv.index('--cfg-options') + 1:]
    x = torch.zeros(1, 3, 128, 128)  # the demo configs' data_preprocessor.size; batch 2 on both sides cancels
    student = MODELS.build(load_config(STUDENT, opts).model).eval()
    teacher = MODELS.build(Config.fromfile(str(REPO / 'configs/demo/segformer_tiny-b2_demo.py')).model).eval()
    s_macs = count_official_macs(student, lambda: student._forward(x))
    t_macs = count_official_macs(teacher, lambda: teacher._forward(x))  # logit KD runs the whole teacher
    # a training step: forward + backward (2 forwards) of the student; KD adds the teacher's forward, no connectors
    n = 4 * (3 * s_macs + t_macs) // (3 * s_macs)
    assert n > 4

    main(argv + ['--budget', 'macs'])
    out = capsys.readouterr().out
    assert out.count('reusing the finished run') == 2  # the equal-iteration runs, KD's among them
    assert re.search(rf'\(3/3\) student alone, seed 0: training {n} iterations', out)
    assert f'equal compute: student alone {n} iterations ({2 * 3 * s_macs / 1e9:.3f} GMACs/step), KD 4 iterations' \
        in out
    assert 'At equal iterations (4 each):' in out and 'At equal compute (MACs per training step)' in out
    state = json.load(open(osp.join(work, 'student-alone', f'{n}iters', 'seed0', 'compare_run.json')))
    opts_run = dict(o.split('=', 1) for o in state['options'])  # 800 iterations: warm-up 0-50, poly 50-800
    assert opts_run['train_cfg.max_iters'] == opts_run['param_scheduler.1.end'] == str(n)
    assert opts_run['param_scheduler.0.end'] == str(max(1, round(50 * n / 800)))
    report = open(osp.join(work, 'report.md')).read()
    assert '### At equal iterations (4 each)' in report and '### At equal compute (MACs per training step)' in report
    costs = _md_table(report, 'method | config | cost per step (GMACs)')
    assert costs['student alone'][1] == f'{2 * 3 * s_macs / 1e9:.3f}' and costs['student alone'][3] == str(n)
    assert costs['KD'][1] == f'{2 * (3 * s_macs + t_macs) / 1e9:.3f}' and costs['KD'][3] == '4'
    at_compute = _md_table(report, 'method | seeds | iters')
    student_n = _val_from_text_log(osp.join(work, 'student-alone', f'{n}iters', 'seed0'))['mIoU']
    kd_4 = _val_from_text_log(osp.join(work, 'kd', 'seed0'))['mIoU']
    assert at_compute['student alone'][:3] == ['0', str(n), f'{student_n:.2f}'] and at_compute['KD'][1] == '4'
    assert at_compute['KD'][3:6] == [f'{kd_4 - student_n:+.2f} (n=1)', '—', 'one seed: no interval']
    at_iters = _md_table(report, 'method | seeds')
    student_4 = _val_from_text_log(osp.join(work, 'student-alone', 'seed0'))['mIoU']
    assert at_iters['KD'][2] == f'{kd_4 - student_4:+.2f} (n=1)'  # the equal-iteration table is unchanged
    assert cv2.imread(osp.join(work, 'comparison_equal_compute.png')) is not None

    calibrated = []

    def known_step_seconds(configs, device):  # KD's step (n + 0.5) / 4 times the student's: n iterations fit
        calibrated.append(sorted(configs))
        return {'student alone': 0.1, 'KD': 0.1 * (n + 0.5) / 4}
    monkeypatch.setattr(budget, 'calibrate_seconds', known_step_seconds)
    main(argv + ['--budget', 'time'])
    out = capsys.readouterr().out
    assert calibrated == [['KD', 'student alone']] and out.count('reusing the finished run') == 3
    assert 'At equal compute (training step time measured on this machine)' in out
    report = open(osp.join(work, 'report.md')).read()
    assert 'calibrated 20' in report and _md_table(report, 'method | config | cost per step (s)')['KD'][1] == \
        f'{0.1 * (n + 0.5) / 4:.3f}'
    saved = json.load(open(osp.join(work, 'step_costs.json')))
    assert saved['seconds'] == {'student alone': 0.1, 'KD': 0.1 * (n + 0.5) / 4}
