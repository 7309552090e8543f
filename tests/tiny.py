"""Tiny MiT teacher/student pairs and Cityscapes-layout data for tests (CPU, seconds, no downloads)."""
import copy
import hashlib
import os.path as osp
from pathlib import Path

import cv2
import numpy as np
import torch
from mmengine.config import Config

REPO = Path(__file__).resolve().parents[1]
CONFIGS = {
    'base': REPO / 'configs/transkd/segformer_b2_b0_city.py',
    'gl': REPO / 'configs/transkd/segformer_b2_b0_city_gl.py',
    'ea': REPO / 'configs/transkd/segformer_b2_b0_city_ea.py',
    'cwd': REPO / 'configs/transkd/segformer_b2_b0_city_cwd.py',
}
CROP = (64, 64)
IMG_HW = (64, 128)
# MiT layout (4 stages, heads 1/2/5/8, sr 8/4/2/1, patch 7/3/3/3) with reduced widths and depths.
STUDENT_DIMS, STUDENT_DEPTHS = 8, [1, 1, 1, 1]  # channels 8, 16, 40, 64
TEACHER_DIMS, TEACHER_DEPTHS = 16, [1, 2, 1, 1]  # channels 16, 32, 80, 128


def expanded(model_cfg):
    """A distiller model config with its recipe spelled out (recorders, connectors, losses as the distiller builds
    them), for tests that edit those entries in place."""
    from mmseg_transkd.models.distillers.recipes import expand_recipe
    return expand_recipe(model_cfg)


def shrink_mit(model: dict, embed_dims: int, depths: list, head_channels: int) -> dict:
    """Shrinks an mmseg SegFormer model config in place (no pretrained init, whole-image inference)."""
    heads = model['backbone']['num_heads']
    model['backbone'].update(embed_dims=embed_dims, num_layers=depths, init_cfg=None)
    model['decode_head'].update(in_channels=[embed_dims * h for h in heads], channels=head_channels)
    model['test_cfg'] = dict(mode='whole')
    model['data_preprocessor']['size'] = CROP
    return model


def write_cityscapes_like(root: str, n_train: int = 4, n_val: int = 2, seed: int = 0) -> str:
    """Writes random-rectangle scenes in the Cityscapes folder layout (leftImg8bit/, gtFine/*_labelTrainIds.png)."""
    rng = np.random.default_rng(seed)
    h, w = IMG_HW
    for split, n in (('train', n_train), ('val', n_val)):
        for i in range(n):
            label = np.zeros((h, w), np.uint8)
            img = np.zeros((h, w, 3), np.uint8)
            for cls in rng.choice(19, size=6, replace=False):
                y0, x0 = rng.integers(0, h - 8), rng.integers(0, w - 8)
                y1, x1 = y0 + rng.integers(8, h // 2), x0 + rng.integers(8, w // 2)
                label[y0:y1, x0:x1] = cls
            label[:4, :4] = 255
            palette = rng.integers(0, 255, size=(256, 3), dtype=np.uint8)
            img[:] = palette[label]
            img = np.clip(img + rng.normal(0, 8, img.shape), 0, 255).astype(np.uint8)
            stem = f'town_{i:06d}_000019'
            for sub, name, arr in (('leftImg8bit', f'{stem}_leftImg8bit.png', img),
                                   ('gtFine', f'{stem}_gtFine_labelTrainIds.png', label)):
                folder = osp.join(root, sub, split, 'town')
                Path(folder).mkdir(parents=True, exist_ok=True)
                cv2.imwrite(osp.join(folder, name), arr)
    return root


def tiny_teacher_model(cfg: Config) -> dict:
    """A MiT-B2-layout teacher, shrunk, from the distillation config's student settings."""
    return shrink_mit(copy.deepcopy(cfg.model.student.to_dict()), TEACHER_DIMS, TEACHER_DEPTHS, 32)


def write_teacher_checkpoint(model_cfg: dict, path: str, seed: int = 1) -> str:
    from mmseg.registry import MODELS
    torch.manual_seed(seed)
    teacher = MODELS.build(copy.deepcopy(model_cfg))
    teacher.init_weights()
    torch.save({'meta': {}, 'state_dict': teacher.state_dict()}, path)
    return path


def tiny_deeplabv3(data_preprocessor: dict) -> dict:
    """A DeepLabV3 with a ResNetV1c-18 layout at 1/8 of the widths (8..64 channels), output stride 8."""
    norm = dict(type='BN', requires_grad=True)
    return dict(
        type='EncoderDecoder', data_preprocessor=copy.deepcopy(data_preprocessor),
        backbone=dict(type='ResNetV1c', depth=18, stem_channels=8, base_channels=8, num_stages=4,
                      out_indices=(0, 1, 2, 3), dilations=(1, 1, 2, 4), strides=(1, 2, 1, 1), norm_cfg=norm,
                      contract_dilation=True),
        decode_head=dict(type='ASPPHead', in_channels=64, in_index=3, channels=16, dilations=(1, 2, 3, 4),
                         dropout_ratio=0.1, num_classes=19, norm_cfg=norm, align_corners=False,
                         loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
        train_cfg=dict(), test_cfg=dict(mode='whole'))


def tiny_cfg(variant: str, data_root: str, work_dir: str, teacher_ckpt: str = None, max_iters: int = 4,
             val_interval: int = 2, config: str = None, teacher: dict = None) -> Config:
    """A shipped distillation config (``CONFIGS[variant]`` or ``config``) with a tiny MiT student, a tiny teacher (MiT
    layout unless ``teacher`` is given), tiny data and a short schedule."""
    cfg = Config.fromfile(str(config or CONFIGS[variant]))
    shrink_mit(cfg.model.student, STUDENT_DIMS, STUDENT_DEPTHS, 16)
    teacher = teacher or tiny_teacher_model(cfg)
    cfg.model.teacher.config = teacher
    if teacher_ckpt is None:
        # cached per architecture: different tests use different tiny teachers with the same backbone type
        arch = hashlib.sha1(repr(sorted(Config(dict(m=teacher)).to_dict()['m'].items())).encode()).hexdigest()[:10]
        teacher_ckpt = osp.join(data_root, f'teacher_{teacher["backbone"]["type"]}_{arch}.pth')
        if not osp.isfile(teacher_ckpt):
            write_teacher_checkpoint(teacher, teacher_ckpt)
    cfg.model.teacher.checkpoint = teacher_ckpt
    cfg.model.data_preprocessor = copy.deepcopy(cfg.model.student.data_preprocessor)

    return use_tiny_data(cfg, data_root, work_dir, max_iters, val_interval)


def use_tiny_data(cfg: Config, data_root: str, work_dir: str, max_iters: int = 4, val_interval: int = 2) -> Config:
    """Points a config's loaders at the tiny Cityscapes-layout data, with a short iteration schedule
    (``max_iters=None`` keeps the config's own loop and checkpoint settings; loaders set to None are left out)."""
    train_pipeline = [
        dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
        dict(type='RandomResize', scale=(IMG_HW[1], IMG_HW[0]), ratio_range=(0.75, 1.25), keep_ratio=True),
        dict(type='RandomCrop', crop_size=CROP, cat_max_ratio=0.75), dict(type='RandomFlip', prob=0.5),
        dict(type='PhotoMetricDistortion'), dict(type='PackSegInputs')]
    test_pipeline = [
        dict(type='LoadImageFromFile'), dict(type='Resize', scale=(IMG_HW[1], IMG_HW[0]), keep_ratio=True),
        dict(type='LoadAnnotations'), dict(type='PackSegInputs')]
    for loader, pipeline, bs in (('train_dataloader', train_pipeline, 2), ('val_dataloader', test_pipeline, 1),
                                 ('test_dataloader', test_pipeline, 1)):
        if cfg.get(loader) is None:
            continue
        cfg[loader].update(batch_size=bs, num_workers=0, persistent_workers=False)
        cfg[loader].dataset.update(data_root=data_root, pipeline=pipeline)
    if max_iters is not None:
        cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=val_interval)
        cfg.default_hooks.checkpoint.update(interval=val_interval, by_epoch=False)
        cfg.log_processor = dict(by_epoch=False)
    cfg.default_hooks.logger.update(interval=1)
    cfg.default_hooks.visualization.update(draw=False)
    cfg.env_cfg.cudnn_benchmark = False
    cfg.randomness = dict(seed=0)
    cfg.work_dir = work_dir
    return cfg


def tiny_deeplabv3plus(data_preprocessor: dict, strides=(1, 2, 1, 1), dilations=(1, 1, 2, 4)) -> dict:
    """``tiny_deeplabv3`` with mmseg's DeepLabV3+ head (DepthwiseSeparableASPPHead, c1 from stage 1); output stride 8
    by default, 16 with ``strides=(1, 2, 2, 1), dilations=(1, 1, 1, 2)``."""
    model = tiny_deeplabv3(data_preprocessor)
    model['backbone'].update(strides=strides, dilations=dilations)
    model['decode_head'].update(type='DepthwiseSeparableASPPHead', c1_in_channels=8, c1_channels=4)
    return model


def write_attnpool_checkpoint(path: str, embed_dim: int, output_dim: int, grid: int = 7, prefix: str = '',
                              seed: int = 0) -> str:
    """A fake CLIP ``visual.attnpool`` state dict (random weights, CLIP's key names and shapes; no download)."""
    g = torch.Generator().manual_seed(seed)
    shapes = {'positional_embedding': (grid * grid + 1, embed_dim)}
    for name in ('k', 'q', 'v'):
        shapes.update({f'{name}_proj.weight': (embed_dim, embed_dim), f'{name}_proj.bias': (embed_dim,)})
    shapes.update({'c_proj.weight': (output_dim, embed_dim), 'c_proj.bias': (output_dim,)})
    state = {prefix + k: torch.randn(*s, generator=g) / embed_dim ** 0.5 for k, s in shapes.items()}
    torch.save(state, path)
    return path


def scheduled_lrs(cfg: Config, steps: int) -> list:
    """The learning rate of each of the first ``steps`` training steps as the Runner sets it: the config's optim
    wrapper and param schedulers built from the registries as the Runner builds them (on a stand-in module: the lr
    does not depend on the model), every scheduler stepped after each step as ``ParamSchedulerHook`` steps it (after
    every epoch for by-epoch schedulers, after every iteration otherwise; a config must not mix the two)."""
    from mmengine.optim import build_optim_wrapper
    from mmseg.registry import PARAM_SCHEDULERS
    schedules = copy.deepcopy(cfg.param_scheduler)
    schedules = schedules if isinstance(schedules, list) else [schedules]
    assert len({bool(s.get('by_epoch', True)) for s in schedules}) == 1, 'by-epoch and by-iteration schedulers mixed'
    assert not any(s.get('convert_to_iter_based') for s in schedules), 'convert_to_iter_based needs the dataloader'
    optim = build_optim_wrapper(torch.nn.Linear(1, 1), copy.deepcopy(cfg.optim_wrapper))
    schedulers = [PARAM_SCHEDULERS.build(dict(s), default_args=dict(optimizer=optim)) for s in schedules]
    lrs = []
    for _ in range(steps):
        lrs.append(optim.param_groups[0]['lr'])
        optim.step()  # the training steps (no gradients here: nothing moves), then the schedulers, as in the Runner
        for scheduler in schedulers:
            scheduler.step()
    return lrs
