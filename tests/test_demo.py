"""The bundled synthetic data, a shortened quickstart end to end, and tools/get_flops.py."""
import glob
import hashlib
import os.path as osp
import re
import subprocess
import sys

import cv2
import numpy as np
from mmseg.datasets import CityscapesDataset

from mmseg_transkd.demo import make_street_scenes
from mmseg_transkd.demo.street_scenes import POLE, SIGN
from tiny import REPO

ENV_PATH = osp.dirname(sys.executable)


def digest(root: str) -> str:
    h = hashlib.sha256()
    for p in sorted(glob.glob(osp.join(root, '**', '*.png'), recursive=True)):
        h.update(osp.relpath(p, root).encode())
        h.update(open(p, 'rb').read())
    return h.hexdigest()


def test_generator_layout_determinism_and_classes(tmp_path):
    a, b, c = (str(tmp_path / n) for n in 'abc')
    assert make_street_scenes(a, n_train=6, n_val=3, seed=0) == {'train': 6, 'val': 3}
    make_street_scenes(b, n_train=6, n_val=3, seed=0)
    make_street_scenes(c, n_train=6, n_val=3, seed=1)
    assert digest(a) == digest(b) != digest(c)

    imgs = sorted(glob.glob(osp.join(a, 'leftImg8bit', '*', '*', '*_leftImg8bit.png')))
    labels = sorted(glob.glob(osp.join(a, 'gtFine', '*', '*', '*_gtFine_labelTrainIds.png')))
    assert len(imgs) == len(labels) == 9
    for img_path, label_path in zip(imgs, labels):
        assert osp.basename(img_path)[:-len('_leftImg8bit.png')] == osp.basename(label_path)[:-len(
            '_gtFine_labelTrainIds.png')]
        img, label = cv2.imread(img_path), cv2.imread(label_path, cv2.IMREAD_UNCHANGED)
        assert img.shape == (128, 256, 3) and label.shape == (128, 256) and label.dtype == np.uint8
    all_labels = np.stack([cv2.imread(p, cv2.IMREAD_UNCHANGED) for p in labels])
    ids, counts = np.unique(all_labels, return_counts=True)
    assert set(ids) <= set(range(19)) | {255}
    assert len(ids) >= 12 and 255 in ids  # many classes, and ignore pixels like Cityscapes' ego vehicle
    freq = dict(zip(ids.tolist(), counts / counts.sum()))
    assert max(freq.values()) / min(freq.values()) > 50  # frequent and rare classes
    # thin structures: horizontal runs of pole pixels as narrow as 1-3 px, and signs on the poles
    runs = []
    for row in (all_labels == POLE).reshape(-1, all_labels.shape[-1]).astype(np.int8):
        edges = np.flatnonzero(np.diff(np.concatenate([[0], row, [0]])))
        runs += (edges[1::2] - edges[::2]).tolist()
    assert runs and min(runs) <= 3 and np.median(runs) <= 4
    assert (all_labels == SIGN).any()


def test_generated_data_reads_through_mmseg_cityscapes(tmp_path):
    root = str(tmp_path / 'city')
    make_street_scenes(root, n_train=4, n_val=2)
    ds = CityscapesDataset(data_root=root, data_prefix=dict(img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
                           pipeline=[dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
                                     dict(type='PackSegInputs')])
    assert len(ds) == 4
    sample = ds[0]
    assert tuple(sample['inputs'].shape) == (3, 128, 256)
    assert sample['data_samples'].gt_sem_seg.data.max() <= 255


def run_quickstart(work, data):
    cmd = [sys.executable, 'tools/quickstart.py', '--work-dir', work, '--data-root', data, '--train', '15', '--extra',
           '4', '--val', '3', '--teacher-iters', '8', '--student-iters', '4', '--seeds', '0', '--noise-seeds',
           '--log-interval', '2', '--grid-images', '2']
    env = dict(__import__('os').environ, PATH=ENV_PATH + ':' + __import__('os').environ.get('PATH', ''))
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=900, env=env)


def test_shortened_quickstart_end_to_end_and_reuse(tmp_path):
    """One seed per run (the full quickstart runs three, and two more for the student alone; tests/test_compare.py
    checks the intervals and the noise statement on two seeds), the default methods and budget (KD and TransKD-Base,
    equal iterations and equal compute by MACs)."""
    work, data = str(tmp_path / 'qs'), str(tmp_path / 'data')
    res = run_quickstart(work, data)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    out = res.stdout
    methods = ['KD (Hinton, T=1)', 'TransKD-Base']
    # the few-label regime's data: 15 labeled scenes listed for the student, 4 unlabeled ones
    assert len(open(osp.join(data, 'splits', 'train_15.txt')).read().split()) == 15
    assert sum(len(f) for _, _, f in __import__('os').walk(osp.join(data, 'leftImg8bit', 'train_extra'))) == 4
    equal_iters, equal_compute = out.split('At equal compute (MACs per training step)')[:2]
    assert re.search(r'^student alone\s+0\s+\d+\.\d\d\s+—\s+—\s+reference', equal_iters, re.M)
    # equal compute: 4 iterations of TransKD-Base, the most expensive; the student alone's step (4 labeled crops)
    # costs 0.692 GMACs, TransKD-Base's (4 labeled + 4 unlabeled crops and the teacher) 3.630, KD's 3.266: the
    # student gets floor(4 x 3.630 / 0.692) = 20 iterations, KD floor(4 x 3.630 / 3.266) = 4 (its own runs)
    assert re.search(r'^student alone\s+0\s+20\s+\d+\.\d\d\s+—\s+—\s+reference', equal_compute, re.M)
    assert re.search(r'^KD \(Hinton, T=1\)\s+0\s+4\s+\d+\.\d\d\s+[-+]\d+\.\d\d \(n=1\)', equal_compute, re.M)
    for name in methods:
        assert re.search(rf'^{re.escape(name)}\s+0\s+\d+\.\d\d\s+[-+]\d+\.\d\d \(n=1\)\s+—\s+one seed', equal_iters,
                         re.M)
        assert f'- {name}: ' in out and 'from a single seed' in out
    assert 'TransKD-GL' not in out and 'TransKD-EA' not in out
    assert 'student alone: the reference (one seed: its seed-to-seed noise is unknown)' in out
    # the teacher and one row for every student: they share the deployable size (the connectors are training-only)
    teacher = re.findall(r'^teacher \(MiT-B2 layout\)\s+([\d,]+)\s', out, re.M)
    student = re.findall(r'^student \(MiT-B0 layout\): alone and every distilled student\s+([\d,]+)\s', out, re.M)
    assert len(teacher) == len(student) == 1 and int(teacher[0].replace(',', '')) > int(student[0].replace(',', ''))
    report = open(osp.join(work, 'report.md')).read()
    assert 'synthetic' in report and '![loss curves](loss_curves.png)' in report
    assert '![comparison](comparison.png)' in report and 'paired t interval' in report
    assert all(n in report for n in ['student alone'] + methods)
    for png in ('loss_curves.png', 'predictions.png', 'comparison.png', 'comparison_equal_compute.png'):
        img = cv2.imread(osp.join(work, png))
        assert img is not None and img.shape[0] > 200 and img.shape[1] > 800
    assert osp.isfile(osp.join(work, 'teacher', 'teacher.pth'))

    again = run_quickstart(work, data)
    assert again.returncode == 0
    # the teacher, the student alone at 4 and at 20 iterations, KD and TransKD-Base (KD's 4 are its own runs')
    assert again.stdout.count('reusing the finished run') == 5 and 'data: reusing' in again.stdout


def test_get_flops_reports_each_component_under_both_counters():
    res = subprocess.run([sys.executable, 'tools/get_flops.py', 'configs/transkd/segformer_b2_b0_city_ea.py'],
                         cwd=REPO, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    rows = {re.split(r'\s{2,}', line)[0]: re.split(r'\s{2,}', line.strip())[1:]
            for line in res.stdout.splitlines() if re.match(r'^(teacher|student|connector)', line)}
    assert 'official GFLOPs' in res.stdout and 'mmengine GFLOPs' in res.stdout
    assert rows['student (deployable)'][0] == '3,720,051'  # spec §6: mmseg's MiT-B0, 19 classes
    # spec §6 at 512x1024: CSF 2.487, PEA 0.306, EA 1.377 GMACs (CSF params without the batch-1 branch)
    assert rows['connector csf (CSF)'][:2] == ['644,160', '2.487']
    assert rows['connector pea (PEA)'][:2] == ['193,536', '0.306']
    assert rows['connector ea (EmbeddingAssistant)'][:2] == ['970,952', '1.377']
    assert all(float(v[2]) > 0 for v in rows.values())
