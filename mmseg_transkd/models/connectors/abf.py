"""Attention-based fusion (ABF) of Knowledge Review (Chen et al., "Distilling Knowledge via Knowledge Review",
CVPR 2021, arXiv 2104.09044, Sec. 3.3 and Fig. 3(a)); TransKD's CSF is this chain with another fusion."""
from typing import List, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from torch import Tensor


class ABFUnit(BaseModule):
    """One ABF unit: ``conv1`` (1×1, C_s→M, BN) → optional fusion with the deeper residual → ``conv2`` (3×3,
    M→C_t, BN).

    Fusion: the residual y is nearest-resized to x's grid and two spatial attention maps
    a = sigmoid(Conv1×1([x, y]) : 2M→2) weigh the branches, x ← a_0 ⊙ x + a_1 ⊙ y (one weight per pixel and branch).
    conv1/conv2 are initialised with kaiming_uniform(a=1), the rest with PyTorch defaults (as in the authors'
    release, per transkd.md §1.1).

    Args:
        in_channels (int): Student channels C_s of this stage.
        mid_channels (int): Fusion width M.
        out_channels (int): Teacher channels C_t of this stage.
        fuse (bool): Whether this unit fuses the residual of the deeper stage.
        norm_cfg (dict): Defaults to ``dict(type='BN')``.
    """

    def __init__(self, in_channels: int, mid_channels: int, out_channels: int, fuse: bool,
                 norm_cfg: dict = dict(type='BN'), init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.conv1 = ConvModule(in_channels, mid_channels, 1, bias=False, norm_cfg=norm_cfg, act_cfg=None)
        self.conv2 = ConvModule(mid_channels, out_channels, 3, padding=1, bias=False, norm_cfg=norm_cfg,
                                act_cfg=None)
        self.att_conv = nn.Conv2d(2 * mid_channels, 2, 1) if fuse else None
        for conv in (self.conv1.conv, self.conv2.conv):
            nn.init.kaiming_uniform_(conv.weight, a=1)

    def forward(self, x: Tensor, residual: Optional[Tensor] = None) -> tuple:
        """Returns ``(out, res)``: the teacher-width output and the fused M-channel map for the next unit."""
        x = self.conv1(x)
        if self.att_conv is not None:
            if residual is None:
                raise ValueError('a fusing ABF unit needs the residual of the deeper stage')
            y = F.interpolate(residual, size=x.shape[-2:], mode='nearest')
            att = torch.sigmoid(self.att_conv(torch.cat([x, y], dim=1)))  # B×2×h×w
            x = att[:, :1] * x + att[:, 1:] * y
        return self.conv2(x), x


@MODELS.register_module()
class ABF(BaseModule):
    """Knowledge Review's review chain of :class:`ABFUnit` s, deepest stage first; all but the deepest fuse.

    The outputs (one per stage, at the teacher's width and the student's grid) are compared with the teacher stages
    by :class:`~mmseg_transkd.models.losses.HCLoss` (Knowledge Review's HCL).

    Args:
        in_channels (Sequence[int]): Student stage channels, shallow to deep (filled by ``channels_from``).
        out_channels (Sequence[int]): Teacher stage channels (filled by ``channels_from``).
        mid_channels (int): Fusion width M. [I] 64 as in TransKD's CSF (Knowledge Review uses 256 for its detection
            FPN and up to 512 for ImageNet ResNets). Defaults to 64.
        norm_cfg (dict): Defaults to ``dict(type='BN')``.
    """

    def __init__(self, in_channels: Sequence[int], out_channels: Sequence[int], mid_channels: int = 64,
                 norm_cfg: dict = dict(type='BN'), init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if len(in_channels) != len(out_channels):
            raise ValueError(f'ABF: the student has {len(in_channels)} stages (channels {list(in_channels)}) but the '
                             f'teacher has {len(out_channels)} (channels {list(out_channels)}); record the same '
                             'number of stages on both sides.')
        last = len(in_channels) - 1
        self.units = nn.ModuleList([ABFUnit(c_s, mid_channels, c_t, fuse=i < last, norm_cfg=norm_cfg)
                                    for i, (c_s, c_t) in enumerate(zip(in_channels, out_channels))])

    def forward(self, feats: List[Tensor]) -> List[Tensor]:
        if len(feats) != len(self.units):
            raise ValueError(f'ABF was built for {len(self.units)} stages but got {len(feats)} student maps')
        outs: List[Optional[Tensor]] = [None] * len(feats)
        residual = None
        for i in reversed(range(len(feats))):
            outs[i], residual = self.units[i](feats[i], residual)
        return outs
