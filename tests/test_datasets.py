"""ACDC, NYUv2-40 and VOC-aug: tiny generated data in each real layout, read through the shipped configs."""
import copy
from pathlib import Path

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmseg.datasets import CityscapesDataset
from mmseg.registry import DATASETS, MODELS

from mmseg_transkd.datasets import ACDCDataset, NYUv2SegDataset
from tiny import REPO, STUDENT_DEPTHS, STUDENT_DIMS, TEACHER_DEPTHS, TEACHER_DIMS, shrink_mit

CONDITIONS = ('fog', 'night', 'rain', 'snow')
HW = (24, 40)


def _write(path: Path, arr: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), arr)


def _label(rng, low: int, high: int, void: int) -> np.ndarray:
    label = rng.integers(low, high, size=HW, dtype=np.uint8)
    label[:3, :5] = void
    return label


@pytest.fixture(scope='module')
def acdc_root(tmp_path_factory):
    """ACDC as the release unpacks: rgb_anon/<cond>/<split>/<seq>/<frame>_rgb_anon.png, gt/... *_gt_label*.png.

    Two train frames and one val frame per condition (the night val frame in its own sequence folder); the release's
    other label files and the unlabelled reference images sit beside them and must not be picked up.
    Returns (root, {image path: label array}).
    """
    root = tmp_path_factory.mktemp('acdc')
    rng = np.random.default_rng(0)
    labels = {}
    for c, cond in enumerate(CONDITIONS):
        for split, n in (('train', 2), ('val', 1)):
            for i in range(n):
                seq = f'GOPR{c}{i if split == "val" and cond == "night" else 0:03d}'
                frame = f'{seq}_frame_{c * 10 + i:06d}'
                img = root / 'rgb_anon' / cond / split / seq / f'{frame}_rgb_anon.png'
                label = _label(rng, 0, 19, 255)
                _write(img, rng.integers(0, 255, (*HW, 3), dtype=np.uint8))
                gt = root / 'gt' / cond / split / seq
                _write(gt / f'{frame}_gt_labelTrainIds.png', label)
                _write(gt / f'{frame}_gt_labelIds.png', label + 7)  # release extras, not train ids
                _write(gt / f'{frame}_gt_invIds.png', np.zeros(HW, np.uint8))
                _write(root / 'rgb_anon' / cond / f'{split}_ref' / seq / f'{frame}_ref_anon.png',
                       np.zeros((*HW, 3), np.uint8))
                labels[str(img)] = label
    return str(root), labels


def _acdc(root, **kwargs):
    return ACDCDataset(data_root=root, pipeline=[], **kwargs)


def test_acdc_lists_every_condition_and_pairs_labels_by_name(acdc_root):
    root, labels = acdc_root
    ds = _acdc(root)
    assert ds.conditions == CONDITIONS and len(ds) == 8
    for info in (ds.get_data_info(i) for i in range(len(ds))):
        img, seg = Path(info['img_path']), Path(info['seg_map_path'])
        assert img.name.replace('_rgb_anon.png', '_gt_labelTrainIds.png') == seg.name
        assert img.parts[-4:-2] == (info['condition'], 'train') and seg.parts[-5:-2] == ('gt', info['condition'],
                                                                                           'train')
        assert img.parent.name == seg.parent.name  # same sequence folder
    assert len(_acdc(root, split='val')) == 4
    assert ds.metainfo['classes'] == CityscapesDataset.METAINFO['classes']
    assert ds.metainfo['palette'] == CityscapesDataset.METAINFO['palette']


@pytest.mark.parametrize('conditions, expected', [('night', ('night', )), (('fog', 'snow'), ('fog', 'snow')),
                                                  ('all', CONDITIONS), (['rain'], ('rain', ))])
def test_acdc_condition_selection(acdc_root, conditions, expected):
    ds = _acdc(acdc_root[0], conditions=conditions)
    assert ds.conditions == expected
    assert sorted({ds.get_data_info(i)['condition'] for i in range(len(ds))}) == sorted(expected)
    assert len(ds) == 2 * len(expected)


def test_acdc_bad_input_is_named(acdc_root, tmp_path):
    with pytest.raises(ValueError, match="unknown or no conditions.*'sun'"):
        _acdc(acdc_root[0], conditions=('fog', 'sun'))
    with pytest.raises(FileNotFoundError, match=r'rgb_anon/fog/train.*not found'):
        _acdc(str(tmp_path))
    _write(tmp_path / 'rgb_anon/fog/train/S/S_frame_000000_rgb_anon.png', np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(FileNotFoundError, match='S_frame_000000_gt_labelTrainIds.png'):
        _acdc(str(tmp_path), conditions='fog')


def _pipeline_dataset(cfg: Config, loader: str, root: str):
    ds_cfg = copy.deepcopy(cfg[loader].dataset)
    ds_cfg.update(data_root=root)
    return DATASETS.build(ds_cfg)


def _gt(sample) -> np.ndarray:
    return sample['data_samples'].gt_sem_seg.data[0].numpy()


def test_acdc_config_pipeline_reads_train_ids_and_void(acdc_root):
    root, labels = acdc_root
    cfg = Config.fromfile(str(REPO / 'configs/transkd/segformer_b2_b0_acdc.py'))
    assert cfg.train_dataloader.dataset.type == 'ACDCDataset'
    assert cfg.train_dataloader.dataset.conditions == 'all' and cfg.train_dataloader.dataset.split == 'train'
    val = _pipeline_dataset(cfg, 'val_dataloader', root)
    assert len(val) == 4
    for i in range(len(val)):
        sample = val[i]
        gt = _gt(sample)
        np.testing.assert_array_equal(gt, labels[sample['data_samples'].img_path])  # labels read unresized
        assert (gt[:3, :5] == 255).all() and gt.max() == 255 and gt[gt != 255].max() <= 18
        assert sample['inputs'].shape[-2:] == (1080, 1800)  # test pipeline: ACDC's native 1920x1080 scale
    train = _pipeline_dataset(cfg, 'train_dataloader', root)
    assert len(train) == 8
    sample = train[0]  # rescaled 0.5-2x of 1920x1080, then at most a 1024x1024 crop
    assert max(sample['inputs'].shape[-2:]) <= 1024 and _gt(sample).shape == sample['inputs'].shape[-2:]


@pytest.mark.parametrize('cond', CONDITIONS)
def test_acdc_per_condition_configs_evaluate_one_condition_after_training_on_all(acdc_root, cond):
    cfg = Config.fromfile(str(REPO / f'configs/transkd/segformer_b2_b0_acdc_{cond}.py'))
    assert cfg.train_dataloader.dataset.conditions == 'all'
    for loader in ('val_dataloader', 'test_dataloader'):
        ds = _pipeline_dataset(cfg, loader, acdc_root[0])
        assert len(ds) == 1 and ds.get_data_info(0)['condition'] == cond and ds.split == 'val'


@pytest.fixture(scope='module')
def nyu_root(tmp_path_factory):
    """NYUv2SegDataset's layout: images/{train,test}/*.png, annotations/{train,test}/*.png (0 = void, 1..40)."""
    root = tmp_path_factory.mktemp('nyuv2')
    rng = np.random.default_rng(1)
    labels = {}
    for split, n in (('train', 3), ('test', 2)):
        for i in range(n):
            label = _label(rng, 1, 41, 0)
            label[-1, :2] = (1, 40)  # both ends of the class range
            _write(root / 'images' / split / f'{i:04d}.png', rng.integers(0, 255, (*HW, 3), dtype=np.uint8))
            _write(root / 'annotations' / split / f'{i:04d}.png', label)
            labels[str(root / 'images' / split / f'{i:04d}.png')] = label
    return str(root), labels


def test_nyuv2_40_config_reads_layout_and_maps_void_to_ignore(nyu_root):
    root, labels = nyu_root
    cfg = Config.fromfile(str(REPO / 'configs/transkd/segformer_b2_b0_nyuv2.py'))
    assert len(_pipeline_dataset(cfg, 'train_dataloader', root)) == 3
    test = _pipeline_dataset(cfg, 'test_dataloader', root)
    assert len(test) == 2 and len(test.metainfo['classes']) == 40 and len(test.metainfo['palette']) == 40
    assert len({tuple(c) for c in test.metainfo['palette']}) == 40
    assert test.metainfo['classes'][0] == 'wall' and test.metainfo['classes'][-1] == 'otherprop'
    for i in range(len(test)):
        sample = test[i]
        raw = labels[sample['data_samples'].img_path].astype(np.int64)
        expected = np.where(raw == 0, 255, raw - 1)  # 0 = void -> ignore, 1..40 -> train ids 0..39
        gt = _gt(sample)
        np.testing.assert_array_equal(gt, expected)
        assert gt[-1, 0] == 0 and gt[-1, 1] == 39 and (gt[:3, :5] == 255).all()
    assert NYUv2SegDataset(data_root=root, data_prefix=dict(img_path='images/test', seg_map_path='annotations/test'),
                           pipeline=[]).reduce_zero_label


@pytest.fixture(scope='module')
def voc_root(tmp_path_factory):
    """mmseg's VOC-aug layout: VOC2012/{JPEGImages,SegmentationClass,SegmentationClassAug,ImageSets/Segmentation}."""
    root = tmp_path_factory.mktemp('voc') / 'VOC2012'
    rng = np.random.default_rng(2)
    names = {'train': ['2007_000032', '2007_000039'], 'val': ['2007_000033'],
             'aug': ['2007_000032', '2007_000039', '2008_000002']}  # aug.txt as mmseg's voc_aug.py writes it
    labels = {}
    for name in sorted({n for v in names.values() for n in v}):
        _write(root / 'JPEGImages' / f'{name}.jpg', rng.integers(0, 255, (*HW, 3), dtype=np.uint8))
        label = _label(rng, 0, 21, 255)
        labels[name] = label
        _write(root / 'SegmentationClassAug' / f'{name}.png', label)
        if name in names['train'] + names['val']:
            _write(root / 'SegmentationClass' / f'{name}.png', label)
    sets = root / 'ImageSets' / 'Segmentation'
    sets.mkdir(parents=True)
    for split, items in names.items():
        (sets / f'{split}.txt').write_text('\n'.join(items) + '\n')
    return str(root), labels


def test_voc12aug_config_reads_mmseg_layout(voc_root):
    root, labels = voc_root
    cfg = Config.fromfile(str(REPO / 'configs/transkd/segformer_b2_b0_voc12aug.py'))
    cfg.train_dataloader.dataset.datasets = [dict(d, data_root=root) for d in cfg.train_dataloader.dataset.datasets]
    train = DATASETS.build(cfg.train_dataloader.dataset)
    assert len(train) == 5  # train.txt + aug.txt, as mmseg's recipe concatenates them
    assert train.metainfo['classes'][0] == 'background' and len(train.metainfo['classes']) == 21
    val = _pipeline_dataset(cfg, 'val_dataloader', root)
    assert len(val) == 1
    sample = val[0]
    np.testing.assert_array_equal(_gt(sample), labels['2007_000033'])
    assert sample['inputs'].shape[-2:] == (512, 853)  # mmseg's VOC test scale (2048, 512), keep ratio


SEGFORMER_CONFIGS = {'segformer_b2_b0_acdc.py': 19, 'segformer_b2_b0_nyuv2.py': 40, 'segformer_b2_b0_voc12aug.py': 21}


@pytest.mark.parametrize('name', sorted(SEGFORMER_CONFIGS))
def test_dataset_configs_build(name, monkeypatch):
    """Every dataset config builds without downloads; ACDC at full size (the real B2 -> B0 pair), the others with both
    MiT backbones shrunk (same classes, same config wiring) to keep the suite fast."""
    monkeypatch.chdir(REPO)  # the teacher configs are named by repo-relative paths
    cfg = Config.fromfile(str(REPO / 'configs/transkd' / name))
    assert cfg.custom_imports.imports == ['mmseg_transkd']
    model_cfg = copy.deepcopy(cfg.model)
    assert model_cfg.student.backbone.init_cfg.checkpoint.startswith('https://download.openmmlab.com/')
    teacher_cfg = Config.fromfile(model_cfg.teacher.config)
    assert teacher_cfg.model.backbone.init_cfg.checkpoint.startswith('https://download.openmmlab.com/')
    assert teacher_cfg.model.backbone.embed_dims == 64 and teacher_cfg.model.backbone.num_layers == [3, 4, 6, 3]
    assert teacher_cfg.train_dataloader.dataset.type == cfg.train_dataloader.dataset.type  # teacher on the same data
    model_cfg.teacher['load_checkpoint'] = False
    full = name == 'segformer_b2_b0_acdc.py'
    if not full:
        shrink_mit(model_cfg.student, STUDENT_DIMS, STUDENT_DEPTHS, 16)
        model_cfg.teacher.config = shrink_mit(teacher_cfg.model.to_dict(), TEACHER_DIMS, TEACHER_DEPTHS, 16)
    model = MODELS.build(model_cfg)  # no init_weights and no teacher checkpoint: nothing is downloaded
    k = SEGFORMER_CONFIGS[name]
    assert model.student.decode_head.num_classes == model.teacher.decode_head.num_classes == k
    c_s, c_t = (32, 64) if full else (STUDENT_DIMS, TEACHER_DIMS)
    assert model.student.backbone.embed_dims == c_s and model.teacher.backbone.embed_dims == c_t
    assert [u.conv2.conv.out_channels for u in model.connectors.csf.units] == [c_t * h for h in (1, 2, 5, 8)]
    assert [p.in_features for p in model.connectors.pea.projs] == [c_s * h for h in (1, 2, 5, 8)]


def test_missing_acdc_folder_is_named_with_how_to_get_it(tmp_path):
    from mmseg_transkd.utils.checks import check_data_roots
    cfg = Config.fromfile(str(REPO / 'configs/transkd/segformer_b2_b0_acdc.py'))
    cfg.train_dataloader.dataset.data_root = str(tmp_path / 'nowhere')
    with pytest.raises(FileNotFoundError, match=r'train_dataloader.dataset.data_root.*ACDCDataset.*gt_trainval.zip'):
        check_data_roots(cfg)
