"""Building a frozen mmseg teacher from its config and checkpoint, shared by every model that wraps a teacher."""
import copy

import torch
import torch.nn as nn
from mmengine.runner.checkpoint import _load_checkpoint, _load_checkpoint_to_model
from mmseg.registry import MODELS

from mmseg_transkd.utils.checks import check_checkpoint_file
from mmseg_transkd.utils.config import load_config


def teacher_model_cfg(cfg: dict, key: str = 'model.teacher') -> dict:
    """The teacher's model config of ``cfg = dict(config=<model cfg dict or config file>, checkpoint=...)``."""
    if not isinstance(cfg, dict) or 'config' not in cfg or 'checkpoint' not in cfg:
        raise ValueError(f'{key} must be dict(config=<teacher model cfg or config file>, '
                         f'checkpoint=<path or URL>), got {cfg!r}')
    model_cfg = cfg['config']
    if isinstance(model_cfg, str):
        model_cfg = load_config(model_cfg, f'{key}.config')['model']
    return copy.deepcopy(model_cfg)


def _describe(obj) -> str:
    if isinstance(obj, dict):
        return f'a dict with keys {sorted(map(str, obj))[:5]}'
    return f'a {type(obj).__name__}'


def build_frozen_teacher(cfg: dict, key: str = 'model.teacher') -> nn.Module:
    """Builds the teacher, loads its checkpoint, freezes it (``requires_grad=False``) and puts it in eval mode.

    ``cfg = dict(config=..., checkpoint=..., strict=True, load_checkpoint=True)``; ``load_checkpoint=False`` keeps
    random weights (only for counting FLOPs or checking shapes). Errors name ``key``.
    """
    model_cfg = teacher_model_cfg(cfg, key)
    if cfg.get('load_checkpoint', True):
        check_checkpoint_file(cfg['checkpoint'], f'{key}.checkpoint')
    teacher = MODELS.build(model_cfg)
    if cfg.get('load_checkpoint', True):
        path = cfg['checkpoint']
        try:
            checkpoint = _load_checkpoint(path, map_location='cpu', logger='current')
        except Exception as err:  # noqa: BLE001  (unreadable for whatever reason: say which file and key)
            first = str(err).splitlines()[0] if str(err) else ''
            raise ValueError(f'{key}.checkpoint: "{path}" cannot be read as a checkpoint ({type(err).__name__}: '
                             f'{first}). Download or copy the teacher\'s .pth file again, or point {key}.checkpoint '
                             'at it.') from None
        state = checkpoint.get('state_dict', checkpoint) if isinstance(checkpoint, dict) else None
        if not isinstance(state, dict) or not any(isinstance(v, torch.Tensor) for v in state.values()):
            raise ValueError(f'{key}.checkpoint: "{path}" holds no model weights (expected a dict of tensors or '
                             f'{{"state_dict": <dict of tensors>}}, got {_describe(checkpoint)}). Point '
                             f'{key}.checkpoint at the teacher\'s trained .pth file.')
        try:
            _load_checkpoint_to_model(teacher, checkpoint, strict=cfg.get('strict', True), logger='current')
        except RuntimeError as err:
            raise RuntimeError(f'{key}.checkpoint: "{path}" does not fit the teacher built '
                               f'from {key}.config: {err}. Use the checkpoint trained with that config, '
                               f'or set {key}.strict=False to load the matching part only.') from None
    teacher.requires_grad_(False)
    teacher.eval()
    teacher.is_init = True  # loaded weights; init_weights() must not overwrite them
    return teacher


# Attributes that hold frozen teachers: ``teacher`` (one) and ``teachers`` (a ModuleDict of several).
TEACHER_ATTRS = ('teacher.', 'teachers.')


def drop_teacher_keys(module, state_dict, prefix, local_metadata):
    """``state_dict`` hook: checkpoints never carry a teacher."""
    teacher_prefixes = tuple(prefix + attr for attr in TEACHER_ATTRS)
    for key in [k for k in state_dict if k.startswith(teacher_prefixes)]:
        del state_dict[key]
    return state_dict


def ignore_missing_teacher_keys(module, incompatible_keys) -> None:
    """``load_state_dict`` post-hook: teachers are reloaded from their own checkpoints, not from ours."""
    incompatible_keys.missing_keys[:] = [k for k in incompatible_keys.missing_keys
                                         if not k.startswith(TEACHER_ATTRS)
                                         and not any(f'.{attr}' in k for attr in TEACHER_ATTRS)]
