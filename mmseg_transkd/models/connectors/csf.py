"""Cross Selective Fusion (CSF) of TransKD.

TransKD: Transformer Knowledge Distillation for Efficient Semantic Segmentation (Liu et al., arXiv 2202.13393).
CSF is Knowledge Review's attention-based fusion chain (Chen et al., CVPR 2021) with the spatial fusion replaced by an
SKNet-style channel selection (Li et al., CVPR 2019): each student stage is mapped to a common width, fused with the
residual coming from the next deeper stage by a softmax over the two branches per channel, and projected to the
teacher's width, so that the hierarchical context loss can compare it with the teacher stage.
"""
from typing import List, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from torch import Tensor

BOTTLENECKS = ('fixed', 'official')


class SelectiveFusionUnit(BaseModule):
    """One CSF unit: ``conv1`` (1×1, C_s→M) → optional selective fusion with the deeper residual → ``conv2`` (3×3, M→C_t).

    Args:
        in_channels (int): Student channels C_s of this stage.
        mid_channels (int): Fusion width M (64 in TransKD).
        out_channels (int): Teacher channels C_t of this stage.
        fuse (bool): Whether this unit fuses the residual of the deeper stage (all but the deepest in TransKD).
        min_bottleneck (int): The selection bottleneck is L = max(M // 16, min_bottleneck) (= 32 in TransKD).
        norm_cfg (dict): Norm after ``conv1`` and ``conv2``. Defaults to ``dict(type='BN')``.
        bottleneck_norm_cfg (dict): Norm of the selection bottleneck. The official code has two bottlenecks: one with
            BN, used when the batch has more than one image, and a separate, un-normalised weight set used when B == 1
            (spec §5.4), so a per-GPU batch of 1 trains different weights. We keep one path whose output does not
            depend on the batch: GroupNorm with one group, i.e. a LayerNorm over the L channels of each image.
            Defaults to ``dict(type='GN', num_groups=1)``.
        bottleneck (str): ``'fixed'`` (default) builds the one bottleneck above. ``'official'`` restores the official
            layout, defect included, so converted official checkpoints reproduce the official outputs
            (``tools/convert_official_transkd.py``): ``fc`` = conv + BN + ReLU, used when the batch has more than one
            image, and ``fc1`` = conv + ReLU without norm, used when B == 1; ``bottleneck_norm_cfg`` is then unused.
    """

    def __init__(self, in_channels: int, mid_channels: int, out_channels: int, fuse: bool, min_bottleneck: int = 32,
                 norm_cfg: dict = dict(type='BN'), bottleneck_norm_cfg: dict = dict(type='GN', num_groups=1),
                 bottleneck: str = 'fixed', init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if bottleneck not in BOTTLENECKS:
            raise ValueError(f'CSF: bottleneck must be one of {BOTTLENECKS}, got {bottleneck!r}')
        self.bottleneck = bottleneck
        self.conv1 = ConvModule(in_channels, mid_channels, 1, bias=False, norm_cfg=norm_cfg, act_cfg=None)
        self.conv2 = ConvModule(mid_channels, out_channels, 3, padding=1, bias=False, norm_cfg=norm_cfg,
                                act_cfg=None)
        self.fuse = fuse
        if fuse:
            width = max(mid_channels // 16, min_bottleneck)
            self.gap = nn.AdaptiveAvgPool2d(1)
            relu = dict(type='ReLU')
            if self.bottleneck == 'official':
                self.fc = ConvModule(mid_channels, width, 1, bias=False, norm_cfg=dict(type='BN'), act_cfg=relu)
                self.fc1 = ConvModule(mid_channels, width, 1, bias=False, norm_cfg=None, act_cfg=relu)
            else:
                self.fc = ConvModule(mid_channels, width, 1, bias=False, norm_cfg=bottleneck_norm_cfg, act_cfg=relu)
            self.fcs = nn.ModuleList([nn.Conv2d(width, mid_channels, 1) for _ in range(2)])
        self.init_weights()

    def init_weights(self) -> None:
        """TransKD's init: kaiming_uniform(a=1) for conv1/conv2, PyTorch defaults for the selection layers."""
        if self.init_cfg is not None:
            return super().init_weights()
        for conv in (self.conv1.conv, self.conv2.conv):
            nn.init.kaiming_uniform_(conv.weight, a=1)
        for block in (self.conv1, self.conv2, *([self.fc] if self.fuse else [])):
            if block.with_norm:
                block.norm.reset_parameters()
        if self.fuse:
            self.fc.conv.reset_parameters()
            if self.bottleneck == 'official':
                self.fc1.conv.reset_parameters()
            for conv in self.fcs:
                conv.reset_parameters()

    def forward(self, x: Tensor, residual: Optional[Tensor] = None) -> tuple:
        """Returns ``(out, res)``: the teacher-width output (B×C_t×h×w) and the fused M-channel map for the next unit."""
        x = self.conv1(x)
        if self.fuse:
            if residual is None:
                raise ValueError('a fusing CSF unit needs the residual of the deeper stage')
            y = F.interpolate(residual, size=x.shape[-2:], mode='nearest')
            s = self.gap(x + y)
            z = self.fc1(s) if self.bottleneck == 'official' and s.shape[0] == 1 else self.fc(s)
            attn = torch.stack([fc(z) for fc in self.fcs]).softmax(dim=0)  # 2×B×M×1×1, softmax over the branches
            x = attn[0] * x + attn[1] * y
        return self.conv2(x), x


@MODELS.register_module()
class CSF(BaseModule):
    """Cross Selective Fusion connector of TransKD (arXiv 2202.13393), one :class:`SelectiveFusionUnit` per stage.

    The units run from the deepest stage to the shallowest; every unit but the deepest fuses the residual of the unit
    below it. Channels come from the student and teacher networks (the distiller fills them from a probe forward).

    Args:
        in_channels (Sequence[int]): Student stage channels, shallow to deep (32, 64, 160, 256 for MiT-B0).
        out_channels (Sequence[int]): Teacher stage channels (64, 128, 320, 512 for MiT-B2).
        mid_channels (int): Fusion width M. Defaults to 64.
        min_bottleneck, norm_cfg, bottleneck_norm_cfg, bottleneck: see :class:`SelectiveFusionUnit`.

    Inputs: a list of student maps B×C_s[i]×h_i×w_i (shallow to deep). Output: a list of B×C_t[i]×h_i×w_i maps.
    """

    def __init__(self, in_channels: Sequence[int], out_channels: Sequence[int], mid_channels: int = 64,
                 min_bottleneck: int = 32, norm_cfg: dict = dict(type='BN'),
                 bottleneck_norm_cfg: dict = dict(type='GN', num_groups=1), bottleneck: str = 'fixed',
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if len(in_channels) != len(out_channels):
            raise ValueError(f'CSF: the student has {len(in_channels)} stages (channels {list(in_channels)}) but the '
                             f'teacher has {len(out_channels)} (channels {list(out_channels)}); one unit per stage '
                             'pair is needed, so record the same number of stages on both sides.')
        last = len(in_channels) - 1
        self.units = nn.ModuleList([
            SelectiveFusionUnit(c_s, mid_channels, c_t, fuse=i < last, min_bottleneck=min_bottleneck,
                                norm_cfg=norm_cfg, bottleneck_norm_cfg=bottleneck_norm_cfg, bottleneck=bottleneck)
            for i, (c_s, c_t) in enumerate(zip(in_channels, out_channels))
        ])

    def forward(self, feats: List[Tensor]) -> List[Tensor]:
        if len(feats) != len(self.units):
            raise ValueError(f'CSF was built for {len(self.units)} stages but got {len(feats)} student maps')
        outs: List[Optional[Tensor]] = [None] * len(feats)
        residual = None
        for i in reversed(range(len(feats))):
            outs[i], residual = self.units[i](feats[i], residual)
        return outs
