"""Per-stage convolutional regressors from student to teacher feature widths (FitNet hints, CIRKD projection)."""
from typing import List, Optional, Sequence

import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class FeatureRegressor(BaseModule):
    """One small conv stack per recorded stage mapping C_s → C_t, so a feature loss can compare widths that differ.

    * FitNet (Romero et al., ICLR 2015, arXiv 1412.6550, Eq. 3): the student's guided layer goes through a
      convolutional regressor r(·) to the teacher hint's width; ``num_convs=1``. [I] 1×1 conv + BN (the paper sizes
      the kernel so the spatial size matches; D8/MiT pairs already share it).
    * CIRKD (Yang et al., CVPR 2022, arXiv 2204.06986): the student embedding head is 1×1 conv C_s→C_t + BN + ReLU +
      1×1 conv C_t→C_t; ``num_convs=2, out_norm=False``.

    Args:
        in_channels (Sequence[int]): Student channels per stage (filled by ``channels_from``).
        out_channels (Sequence[int]): Teacher channels per stage (filled by ``channels_from``).
        num_convs (int): Convs per stage; every conv but the last has norm + ReLU. Defaults to 1.
        kernel_size (int): Defaults to 1.
        out_norm (bool): Whether the last conv has a norm layer (never an activation). Defaults to True.
        norm_cfg (dict): Defaults to ``dict(type='BN')``.

    Inputs: a list of B×C_s[i]×h_i×w_i maps. Output: the list of B×C_t[i]×h_i×w_i maps.
    """

    def __init__(self, in_channels: Sequence[int], out_channels: Sequence[int], num_convs: int = 1,
                 kernel_size: int = 1, out_norm: bool = True, norm_cfg: dict = dict(type='BN'),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if len(in_channels) != len(out_channels):
            raise ValueError(f'FeatureRegressor: {len(in_channels)} student stages (channels {list(in_channels)}) '
                             f'but {len(out_channels)} teacher stages (channels {list(out_channels)}); record the '
                             'same number of stages on both sides.')
        if num_convs < 1:
            raise ValueError(f'FeatureRegressor: num_convs must be >= 1, got {num_convs}')
        pad = kernel_size // 2
        self.stages = nn.ModuleList()
        for c_s, c_t in zip(in_channels, out_channels):
            layers = [ConvModule(c_s if k == 0 else c_t, c_t, kernel_size, padding=pad, bias=False,
                                 norm_cfg=norm_cfg, act_cfg=dict(type='ReLU')) for k in range(num_convs - 1)]
            layers.append(ConvModule(c_s if num_convs == 1 else c_t, c_t, kernel_size, padding=pad, bias=not out_norm,
                                     norm_cfg=norm_cfg if out_norm else None, act_cfg=None))
            self.stages.append(nn.Sequential(*layers))

    def forward(self, feats: List[Tensor]) -> List[Tensor]:
        if len(feats) != len(self.stages):
            raise ValueError(f'FeatureRegressor was built for {len(self.stages)} stages but got {len(feats)} maps')
        return [stage(f) for stage, f in zip(self.stages, feats)]
