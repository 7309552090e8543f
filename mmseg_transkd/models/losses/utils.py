"""Helpers shared by the distillation losses."""
from typing import List, Sequence, Tuple, Union

from torch import Tensor

Tensors = Union[Tensor, Sequence[Tensor]]


def paired_stages(name: str, preds_S: Tensors, preds_T: Tensors, same_shape: bool = True) -> List[Tuple[Tensor, Tensor]]:
    """Pairs student and teacher tensors stage by stage, in fp32, and checks that they can be compared.

    KD losses always run in fp32 (also under AMP); the teacher side is detached. Raises ``ValueError`` naming the
    loss, the stage and both shapes when the stage counts or the shapes differ.
    """
    s_list = [preds_S] if isinstance(preds_S, Tensor) else list(preds_S)
    t_list = [preds_T] if isinstance(preds_T, Tensor) else list(preds_T)
    if len(s_list) != len(t_list):
        raise ValueError(f'{name}: the student side has {len(s_list)} stages but the teacher side has {len(t_list)}.')
    pairs = []
    for i, (s, t) in enumerate(zip(s_list, t_list)):
        if same_shape and s.shape != t.shape:
            raise ValueError(f'{name}: stage {i + 1} of the student is {tuple(s.shape)} but the teacher is '
                             f'{tuple(t.shape)}; they must match (check the connector feeding the student side).')
        pairs.append((s.float(), t.detach().float()))
    return pairs
