"""CamVid (11-class SegNet split): generated PNGs in the real folder layout, read through the shipped configs."""
import copy
from pathlib import Path

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmseg.registry import DATASETS, MODELS

from mmseg_transkd.datasets import CamVidDataset
from tiny import REPO, STUDENT_DEPTHS, STUDENT_DIMS, TEACHER_DEPTHS, TEACHER_DIMS, shrink_mit

HW = (360, 480)  # CamVid's image size
SPLITS = {'train': 3, 'val': 2, 'test': 2}
CLASSES = ('sky', 'building', 'pole', 'road', 'sidewalk', 'tree', 'sign symbol', 'fence', 'car', 'pedestrian',
           'bicyclist')


def _write(path: Path, arr: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), arr)


@pytest.fixture(scope='module')
def camvid_root(tmp_path_factory):
    """The SegNet layout: <split>/<name>.png and <split>annot/<name>.png (uint8 0..10, 11 = void).

    Returns (root, {image path: raw annotation}). Every map has a void block and all twelve values in its last row.
    """
    root = tmp_path_factory.mktemp('camvid')
    rng = np.random.default_rng(3)
    labels = {}
    for split, n in SPLITS.items():
        for i in range(n):
            name = f'0001TP_{(i + 1) * 30 + len(split):06d}.png'
            label = rng.integers(0, 12, size=HW, dtype=np.uint8)
            label[:20, :30] = 11
            label[-1, :12] = np.arange(12)
            _write(root / split / name, rng.integers(0, 255, (*HW, 3), dtype=np.uint8))
            _write(root / f'{split}annot' / name, label)
            labels[str(root / split / name)] = label
    (root / 'train' / 'README.txt').write_text('not an image')  # only *.png is listed
    return str(root), labels


def _expected(raw: np.ndarray) -> np.ndarray:
    return np.where(raw == 11, 255, raw).astype(np.int64)


def _gt(sample) -> np.ndarray:
    return sample['data_samples'].gt_sem_seg.data[0].numpy()


def test_camvid_lists_image_annotation_pairs_with_its_classes(camvid_root):
    root, _ = camvid_root
    ds = CamVidDataset(data_root=root, pipeline=[])
    assert len(ds) == SPLITS['train']
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        img, seg = Path(info['img_path']), Path(info['seg_map_path'])
        assert img.parent.name == 'train' and seg.parent.name == 'trainannot' and img.name == seg.name
    assert ds.metainfo['classes'] == CLASSES and len(ds.metainfo['palette']) == 11
    assert len({tuple(c) for c in ds.metainfo['palette']}) == 11
    assert ds.metainfo['label_map'] == {11: 255} and ds.reduce_zero_label is False
    val = CamVidDataset(data_root=root, data_prefix=dict(img_path='val', seg_map_path='valannot'), pipeline=[])
    assert len(val) == SPLITS['val']


@pytest.mark.parametrize('loader, split', [('val_dataloader', 'val'), ('test_dataloader', 'test')])
def test_camvid_config_maps_void_to_ignore_pixel_by_pixel(camvid_root, loader, split):
    root, labels = camvid_root
    cfg = Config.fromfile(str(REPO / 'configs/transkd/segformer_b2_b0_camvid.py'))
    ds_cfg = copy.deepcopy(cfg[loader].dataset)
    ds_cfg.update(data_root=root)
    ds = DATASETS.build(ds_cfg)
    assert len(ds) == SPLITS[split]
    for i in range(len(ds)):
        sample = ds[i]
        assert Path(sample['data_samples'].img_path).parent.name == split
        raw = labels[sample['data_samples'].img_path]
        gt = _gt(sample)
        np.testing.assert_array_equal(gt, _expected(raw))  # 11 -> 255, 0..10 unchanged, unresized
        assert gt[-1, 10] == 10 and gt[-1, 11] == 255 and gt[-1, 0] == 0
        assert tuple(sample['inputs'].shape[-2:]) == HW  # evaluated at CamVid's own 360x480


def test_camvid_train_pipeline_crops_and_keeps_ids(camvid_root):
    root, _ = camvid_root
    cfg = Config.fromfile(str(REPO / 'configs/baselines/segformer_mit-b0_8xb2-20k_camvid-360x360.py'))
    ds_cfg = copy.deepcopy(cfg.train_dataloader.dataset)
    ds_cfg.update(data_root=root)
    sample = DATASETS.build(ds_cfg)[0]
    gt = _gt(sample)
    assert max(gt.shape) <= 360 and gt.shape == tuple(sample['inputs'].shape[-2:])
    assert set(np.unique(gt)) <= set(range(11)) | {255}


def test_camvid_class_subset_maps_the_rest_and_void_to_ignore(camvid_root):
    root, labels = camvid_root
    ds = CamVidDataset(data_root=root, metainfo=dict(classes=('road', 'car')),
                       pipeline=[dict(type='LoadAnnotations')])
    assert ds.metainfo['palette'] == [[128, 64, 128], [64, 0, 128]]
    results = ds[0]
    raw = labels[results['img_path']]
    expected = np.full(raw.shape, 255)
    expected[raw == 3], expected[raw == 8] = 0, 1
    np.testing.assert_array_equal(results['gt_seg_map'], expected)


def test_camvid_bad_input_is_named(tmp_path):
    with pytest.raises(ValueError, match='reduce_zero_label must be False'):
        CamVidDataset(data_root=str(tmp_path), reduce_zero_label=True, pipeline=[])
    from mmseg_transkd.utils.checks import check_data_roots
    cfg = Config.fromfile(str(REPO / 'configs/baselines/cirkd_deeplabv3-r101_deeplabv3-r18_camvid.py'))
    cfg.train_dataloader.dataset.data_root = str(tmp_path / 'nowhere')
    with pytest.raises(FileNotFoundError, match=r'train_dataloader.dataset.data_root.*CamVidDataset.*trainannot/.*'
                                                r'11 = void.*--cfg-options'):
        check_data_roots(cfg)


BASELINES = {  # student-alone and teacher configs: (backbone, depth or embed dims)
    'segformer_mit-b0_8xb2-20k_camvid-360x360.py': ('MixVisionTransformer', 32),
    'segformer_mit-b2_8xb2-20k_camvid-360x360.py': ('MixVisionTransformer', 64),
    'deeplabv3_r18-d8_8xb2-20k_camvid-360x360.py': ('ResNetV1c', 18),
    'deeplabv3_r101-d8_8xb2-20k_camvid-360x360.py': ('ResNetV1c', 101),
}


@pytest.mark.parametrize('name', sorted(BASELINES))
def test_camvid_baseline_configs(name):
    cfg = Config.fromfile(str(REPO / 'configs/baselines' / name))
    backbone, size = BASELINES[name]
    assert cfg.model.backbone.type == backbone
    assert (cfg.model.backbone.embed_dims if backbone == 'MixVisionTransformer' else cfg.model.backbone.depth) == size
    heads = [cfg.model.decode_head] + ([cfg.model.auxiliary_head] if cfg.model.get('auxiliary_head') else [])
    assert all(h.num_classes == 11 for h in heads)
    assert cfg.train_dataloader.dataset.type == 'CamVidDataset' and cfg.model.data_preprocessor.size == (360, 360)
    assert cfg.train_cfg.max_iters == 20000 and cfg.param_scheduler[-1].end == 20000
    assert cfg.test_dataloader.dataset.data_prefix == dict(img_path='test', seg_map_path='testannot')


def test_camvid_transkd_config_builds_and_distils_at_camvid_crops(camvid_root, monkeypatch):
    """TransKD-Base B2 -> B0 (both MiTs shrunk, same wiring) on a real 360x360 CamVid crop: CSF/PEA at the stage sizes
    360 gives (90, 45, 23, 12)."""
    monkeypatch.chdir(REPO)
    root, _ = camvid_root
    cfg = Config.fromfile(str(REPO / 'configs/transkd/segformer_b2_b0_camvid.py'))
    teacher_cfg = Config.fromfile(cfg.model.teacher.config)
    assert teacher_cfg.train_dataloader.dataset.type == 'CamVidDataset' and teacher_cfg.model.backbone.embed_dims == 64
    assert cfg.model.teacher.checkpoint == 'work_dirs/segformer_mit-b2_8xb2-20k_camvid-360x360/iter_20000.pth'
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.teacher.update(load_checkpoint=False,
                             config=shrink_mit(teacher_cfg.model.to_dict(), TEACHER_DIMS, TEACHER_DEPTHS, 16))
    shrink_mit(model_cfg.student, STUDENT_DIMS, STUDENT_DEPTHS, 16)
    model_cfg.student.data_preprocessor.size = (360, 360)
    model = MODELS.build(model_cfg)
    assert model.student.decode_head.num_classes == model.teacher.decode_head.num_classes == 11
    ds_cfg = copy.deepcopy(cfg.train_dataloader.dataset)
    ds_cfg.update(data_root=root)
    ds = DATASETS.build(ds_cfg)
    samples = [ds[0], ds[1]]  # each ds[i] draws a new random crop
    data = model.data_preprocessor(dict(inputs=[s['inputs'] for s in samples],
                                        data_samples=[s['data_samples'] for s in samples]), True)
    losses = model.loss(data['inputs'], data['data_samples'])
    assert data['inputs'].shape[-2:] == (360, 360)
    assert {'decode.loss_ce', 'loss_csf', 'loss_pea'} <= set(losses)
    assert all(bool(v.isfinite().all()) for k, v in losses.items() if 'loss' in k)


def test_camvid_cirkd_config_builds_the_r101_r18_pair(monkeypatch):
    monkeypatch.chdir(REPO)
    cfg = Config.fromfile(str(REPO / 'configs/baselines/cirkd_deeplabv3-r101_deeplabv3-r18_camvid.py'))
    assert cfg.model.teacher.checkpoint == 'work_dirs/deeplabv3_r101-d8_8xb2-20k_camvid-360x360/iter_20000.pth'
    assert cfg.model.recipe == 'cirkd'
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.teacher['load_checkpoint'] = False
    model = MODELS.build(model_cfg)  # no init_weights: nothing is downloaded
    assert model.student.backbone.depth == 18 and model.teacher.backbone.depth == 101
    assert model.student.decode_head.num_classes == model.teacher.decode_head.num_classes == 11
    assert set(model.distill_losses) == {'loss_kd', 'loss_pixel', 'loss_region'}
    conv = model.connectors['embed'].stages[0][0].conv
    assert (conv.in_channels, conv.out_channels) == (128, 512)  # the ASPP heads' fused features (R18, R101)
