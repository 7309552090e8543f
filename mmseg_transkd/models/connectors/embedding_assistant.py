"""Embedding Assistant (EA) of TransKD (Liu et al., arXiv 2202.13393)."""
import math
from typing import List, Optional, Sequence

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from torch import Tensor


class OverlapEmbed(nn.Module):
    """Overlapping patch embedding: Conv2d (with bias) → flatten to tokens → LayerNorm."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int, padding: int,
                 eps: float) -> None:
        super().__init__()
        self.proj = nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding)
        self.norm = nn.LayerNorm(out_channels, eps=eps)

    def reset_parameters(self) -> None:
        """SegFormer's init: conv normal(0, sqrt(2 / fan_out)), zero bias; LayerNorm 1 / 0."""
        k_h, k_w = self.proj.kernel_size
        fan_out = k_h * k_w * self.proj.out_channels
        nn.init.normal_(self.proj.weight, 0.0, math.sqrt(2.0 / fan_out))
        nn.init.zeros_(self.proj.bias)
        self.norm.reset_parameters()

    def forward(self, x: Tensor) -> Tensor:
        return self.norm(self.proj(x).flatten(2).transpose(1, 2))


@MODELS.register_module()
class EmbeddingAssistant(BaseModule):
    """TransKD-EA: extra patch embeddings at the teacher's width, fused with the PEA outputs by learnable weights.

    For each stage i, ``EA_i`` embeds the tensor that enters the student's own patch embedding of stage i (the image for
    stage 1, the student's stage i-1 map otherwise) directly to the teacher width C_t[i], with the student's patch
    geometry, and the distillation target path becomes ``w_i·PEA_i(e_s[i]) + w_{S+i}·EA_i(x_i)``. The 2·S fuse weights
    are learnable and start at 0.1·(k+1): (0.1, 0.2, 0.3, 0.4) for PEA and (0.5, 0.6, 0.7, 0.8) for EA with S = 4.
    EA's gradients reach the student backbone through x_i; it never changes the student's logits.

    Args:
        in_channels (Sequence[int]): Channels of the inputs of the student's patch embeddings (3, 32, 64, 160 for
            MiT-B0).
        out_channels (Sequence[int]): Teacher embedding widths (64, 128, 320, 512 for MiT-B2).
        kernel_sizes (Sequence[int], optional): Conv kernel per stage; defaults to MiT's (7, 3, 3, …).
        strides (Sequence[int], optional): Conv stride per stage; defaults to MiT's (4, 2, 2, …).
        paddings (Sequence[int], optional): Conv padding per stage; defaults to kernel // 2.
        norm_eps (float): LayerNorm eps (1e-5 in the official release). Defaults to 1e-5.

    Inputs: the PEA outputs (list of B×N_i×C_t[i]) and the patch-embedding inputs (list of B×C×H×W).
    """

    def __init__(self, in_channels: Sequence[int], out_channels: Sequence[int],
                 kernel_sizes: Optional[Sequence[int]] = None, strides: Optional[Sequence[int]] = None,
                 paddings: Optional[Sequence[int]] = None, norm_eps: float = 1e-5,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        n = len(out_channels)
        if len(in_channels) != n:
            raise ValueError(f'EmbeddingAssistant: the student has {len(in_channels)} patch-embedding inputs '
                             f'(channels {list(in_channels)}) but the teacher has {n} embeddings '
                             f'(widths {list(out_channels)}).')
        kernel_sizes = list(kernel_sizes or [7] + [3] * (n - 1))
        strides = list(strides or [4] + [2] * (n - 1))
        paddings = list(paddings or [k // 2 for k in kernel_sizes])
        for name, value in (('kernel_sizes', kernel_sizes), ('strides', strides), ('paddings', paddings)):
            if len(value) != n:
                raise ValueError(f'EmbeddingAssistant: {name} has {len(value)} entries for {n} stages')
        self.embeds = nn.ModuleList([
            OverlapEmbed(c_in, c_out, k, s, p, norm_eps)
            for c_in, c_out, k, s, p in zip(in_channels, out_channels, kernel_sizes, strides, paddings)
        ])
        # Row 0 weighs the PEA outputs, row 1 the EA outputs (the official fuse_weights[0..S-1] and [S..2S-1]).
        self.fuse_weights = nn.Parameter(torch.empty(2, n))
        self.init_weights()

    def init_weights(self) -> None:
        if self.init_cfg is not None:
            return super().init_weights()
        for embed in self.embeds:
            embed.reset_parameters()
        with torch.no_grad():
            n = self.fuse_weights.shape[1]
            self.fuse_weights.copy_(0.1 * torch.arange(1, 2 * n + 1, dtype=torch.float32).view(2, n))

    def forward(self, aligned: List[Tensor], stage_inputs: List[Tensor]) -> List[Tensor]:
        if len(aligned) != len(self.embeds) or len(stage_inputs) != len(self.embeds):
            raise ValueError(f'EmbeddingAssistant was built for {len(self.embeds)} stages but got {len(aligned)} '
                             f'aligned embeddings and {len(stage_inputs)} stage inputs')
        w = self.fuse_weights
        return [w[0, i] * a + w[1, i] * embed(x)
                for i, (a, embed, x) in enumerate(zip(aligned, self.embeds, stage_inputs))]
