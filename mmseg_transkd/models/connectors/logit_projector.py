"""Projectors into an aligned logits space, as in HeteroAKD (Huang et al., AAAI 2025, arXiv 2504.07691)."""
from typing import List, Optional, Sequence, Union

import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from torch import Tensor

from ..losses.utils import one_int


@MODELS.register_module()
class LogitProjector(BaseModule):
    """Maps selected feature stages to class logits: a 1×1 conv C→K + BN (+ activation) per stage.

    HeteroAKD compares heterogeneous teacher and student features in this shared K-channel space. One projector is
    built for the teacher and one for the student; both are trainable (the teacher's gets gradients from its own GT
    supervision, so DDP sees no unused parameters).

    [I] choices (seeds.md §2.2): ``act_cfg=None`` by default — the paper's ReLU would make every logit ≥ 0, so
    σ(Z) ≥ 0.5 and the BCE reliability could never say "class absent"; pass ``act_cfg=dict(type='ReLU')`` to follow
    the paper's description. The last stage is used by default; ``stages`` takes any list.

    Args:
        in_channels (Sequence[int]): Channels of every recorded stage (filled from the network).
        num_classes (int | Sequence[int]): K; a one-element list (as filled from the logits' channels) is accepted.
        stages (Sequence[int]): Indices of the stages to project. Defaults to (-1,).
        norm_cfg (dict): Defaults to ``dict(type='BN')``.
        act_cfg (dict, optional): Defaults to None.

    Returns (forward): a list of B×K×h_i×w_i logits, one per selected stage.
    """

    def __init__(self, in_channels: Sequence[int], num_classes: Union[int, Sequence[int]],
                 stages: Sequence[int] = (-1,), norm_cfg: dict = dict(type='BN'), act_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        num_classes = one_int(num_classes, 'LogitProjector: num_classes')
        self.stages = list(stages)
        self.projs = nn.ModuleList([
            ConvModule(in_channels[s], num_classes, 1, norm_cfg=norm_cfg, act_cfg=act_cfg) for s in self.stages])

    def forward(self, feats: List[Tensor]) -> List[Tensor]:
        return [proj(feats[s]) for proj, s in zip(self.projs, self.stages)]
