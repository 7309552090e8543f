"""Helpers shared by the distillation losses."""
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import Tensor

Tensors = Union[Tensor, Sequence[Tensor]]


def as_list(value: Tensors) -> List[Tensor]:
    return [value] if isinstance(value, Tensor) else list(value)


def one_int(value: Union[int, Sequence[int]], where: str) -> int:
    """A single count (channels, classes) from an int or a one-element list: ``channels_from`` measures a recorder's
    value, which is always a list. Raises ``ValueError`` naming ``where`` for a list of several counts."""
    if isinstance(value, (list, tuple)):
        if len(value) != 1:
            raise ValueError(f'{where} must be one count, got {list(value)} (the reference holds several tensors).')
        value = value[0]
    return int(value)


def check_same_classes(name: str, z_s: Tensor, z_t: Tensor) -> None:
    """Raises ``ValueError`` when student and teacher logits (B×K×h×w) differ in their class count K.

    Logit distillation compares the two class by class; a teacher with other classes (another dataset, another
    ``num_classes``) would otherwise fail deep inside the loss or, after a resize, compare unrelated classes.
    """
    if z_s.shape[1] != z_t.shape[1]:
        raise ValueError(f'{name}: the student\'s logits have {z_s.shape[1]} classes but the teacher\'s have '
                         f'{z_t.shape[1]}. Logit distillation compares them class by class: use a teacher trained on '
                         'the student\'s classes, with the same decode_head.num_classes in both configs.')


def autocast_off(value: Tensors) -> torch.autocast:
    """A context with autocast disabled on ``value``'s device: KD losses compute in fp32 also under AMP."""
    return torch.autocast(device_type=as_list(value)[0].device.type, enabled=False)


def world_size() -> int:
    """Processes in the default group; 1 without an initialised one."""
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def paired_stages(name: str, preds_S: Tensors, preds_T: Tensors,
                  align_spatial: bool = False) -> List[Tuple[Tensor, Tensor]]:
    """Pairs student and teacher tensors stage by stage, in fp32, and checks that they can be compared.

    KD losses always run in fp32 (also under AMP); the teacher side is detached. With ``align_spatial``, a B×C×h×w
    teacher map whose h×w differs from the student's is first resized bilinearly to the student's grid
    (:func:`resize_to`); batch and channels must still match. Raises ``ValueError`` naming the loss, the stage and
    both shapes when the stage counts or the shapes differ.
    """
    s_list, t_list = as_list(preds_S), as_list(preds_T)
    if len(s_list) != len(t_list):
        raise ValueError(f'{name}: the student side has {len(s_list)} stages but the teacher side has {len(t_list)}.')
    pairs = []
    for i, (s, t) in enumerate(zip(s_list, t_list)):
        if align_spatial and s.dim() == t.dim() == 4 and s.shape[:2] == t.shape[:2]:
            t = resize_to(t.detach().float(), s.shape[-2:])
        if s.dim() == t.dim() == 4 and s.shape[0] == t.shape[0] and s.shape[1] != t.shape[1]:
            raise ValueError(f'{name}: stage {i + 1} of the student has {s.shape[1]} channels but the teacher '
                             f'{t.shape[1]} ({tuple(s.shape)} vs {tuple(t.shape)}); they must match. For features, '
                             'map the student to the teacher\'s width with a connector; for logits (classes), use a '
                             'teacher with the student\'s classes (the same decode_head.num_classes).')
        if s.shape != t.shape:
            raise ValueError(f'{name}: stage {i + 1} of the student is {tuple(s.shape)} but the teacher is '
                             f'{tuple(t.shape)}; they must match (check the connector feeding the student side).')
        pairs.append((s.float(), t.detach().float()))
    return pairs


def labels_on_grid(gt: Tensor, size: Tuple[int, int], num_classes: int,
                   ignore_index: int = 255) -> Tuple[Tensor, Tensor]:
    """Ground truth (B×H×W train ids) nearest-resized to ``size``: one-hot B×K×h×w (fp32) and a B×h×w valid mask.

    Pixels labelled ``ignore_index`` (or any id ≥ K) are invalid and all-zero in the one-hot.
    """
    labels = F.interpolate(gt[:, None].float(), size=size, mode='nearest')[:, 0].long()
    valid = (labels != ignore_index) & (labels >= 0) & (labels < num_classes)
    onehot = F.one_hot(torch.where(valid, labels, 0), num_classes).permute(0, 3, 1, 2).float()
    return onehot * valid[:, None], valid


def masked_mean(values: Tensor, valid: Optional[Tensor]) -> Tensor:
    """Mean of B×h×w ``values`` over valid pixels; 0 (not NaN) when no pixel is valid."""
    if valid is None:
        return values.mean()
    return (values * valid).sum() / valid.sum().clamp(min=1)


def resize_to(x: Tensor, size: Tuple[int, int]) -> Tensor:
    """Bilinear resize (align_corners=False) of B×C×h×w ``x`` to ``size``, a no-op when it already has it."""
    return x if tuple(x.shape[-2:]) == tuple(size) else F.interpolate(x, size=size, mode='bilinear',
                                                                      align_corners=False)


def gather_with_grad(x: Tensor) -> Tensor:
    """Concatenates ``x`` from every DDP rank along dim 0, rank order; the local shard keeps its autograd graph.

    The other ranks' shards are constants here (their gradients are computed on their own ranks), as in CIRKD's
    cross-GPU mini-batch. Every rank must pass the same shape (fixed crops and per-GPU batch). Without an initialised
    process group (or with one process) ``x`` is returned as is.
    """
    if world_size() == 1:
        return x
    parts = [torch.empty_like(x) for _ in range(world_size())]
    dist.all_gather(parts, x.detach().contiguous())
    parts[dist.get_rank()] = x
    return torch.cat(parts)
