"""Hierarchical context loss (HCL) used by TransKD's CSF."""
from typing import Sequence

import torch.nn as nn
import torch.nn.functional as F
from mmseg.registry import MODELS
from torch import Tensor

from .utils import Tensors, paired_stages


@MODELS.register_module()
class HCLoss(nn.Module):
    """Hierarchical context loss of Knowledge Review (Chen et al., CVPR 2021), TransKD's feature loss for CSF.

    For one stage pair (f_s, f_t), both B×C×h×w::

        L_i = (MSE(f_s, f_t) + Σ_j 2^-j · MSE(AAP_{l_j}(f_s), AAP_{l_j}(f_t))) / (1 + Σ_j 2^-j)

    where AAP_l is adaptive average pooling to l×l over the levels l ∈ ``levels`` with l < h (only the height is
    checked, as in the official code), j = 1, 2, … counts only the included levels, and MSE is the element mean.
    The loss is Σ_i L_i over the stages (unweighted), times ``loss_weight``.

    Args:
        levels (Sequence[int]): Pooling levels. Defaults to (4, 2, 1).
        loss_weight (float): Defaults to 1.0.
    """

    def __init__(self, levels: Sequence[int] = (4, 2, 1), loss_weight: float = 1.0) -> None:
        super().__init__()
        self.levels = tuple(levels)
        self.loss_weight = loss_weight

    def forward(self, preds_S: Tensors, preds_T: Tensors) -> Tensor:
        total = 0.0
        for s, t in paired_stages('HCLoss', preds_S, preds_T):
            loss, weight, norm = F.mse_loss(s, t), 1.0, 1.0
            for level in self.levels:
                if level >= s.shape[2]:
                    continue
                weight /= 2.0
                loss = loss + weight * F.mse_loss(F.adaptive_avg_pool2d(s, level), F.adaptive_avg_pool2d(t, level))
                norm += weight
            total = total + loss / norm
        return self.loss_weight * total
