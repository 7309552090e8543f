"""Patch Embedding Alignment (PEA) of TransKD (Liu et al., arXiv 2202.13393)."""
from typing import List, Optional, Sequence

import torch.nn as nn
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class PEA(BaseModule):
    """Patch Embedding Alignment: one token-wise ``nn.Linear(C_s[i] → C_t[i])`` (with bias) per stage.

    The student's patch embeddings (B×N_i×C_s, the PatchEmbed output before any transformer block) are mapped to the
    teacher's width and compared with the teacher's patch embeddings by a stage-weighted MSE
    (:class:`~mmseg_transkd.models.losses.StageMSELoss`, weights 0.1, 0.1, 0.5, 1.0). PyTorch's default Linear init,
    as in the official release.

    Args:
        in_channels (Sequence[int]): Student embedding widths per stage (32, 64, 160, 256 for MiT-B0).
        out_channels (Sequence[int]): Teacher embedding widths per stage (64, 128, 320, 512 for MiT-B2).
    """

    def __init__(self, in_channels: Sequence[int], out_channels: Sequence[int],
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if len(in_channels) != len(out_channels):
            raise ValueError(f'PEA: the student has {len(in_channels)} patch embeddings (widths {list(in_channels)}) '
                             f'but the teacher has {len(out_channels)} (widths {list(out_channels)}).')
        self.projs = nn.ModuleList([nn.Linear(c_s, c_t) for c_s, c_t in zip(in_channels, out_channels)])

    def forward(self, embeds: List[Tensor]) -> List[Tensor]:
        if len(embeds) != len(self.projs):
            raise ValueError(f'PEA was built for {len(self.projs)} stages but got {len(embeds)} embeddings')
        return [proj(e) for proj, e in zip(self.projs, embeds)]
