"""Stage-weighted MSE, TransKD's patch-embedding loss."""
from typing import Optional, Sequence

import torch.nn as nn
import torch.nn.functional as F
from mmseg.registry import MODELS
from torch import Tensor

from .utils import Tensors, paired_stages


@MODELS.register_module()
class StageMSELoss(nn.Module):
    """``loss_weight · Σ_i w_i · MSE(s_i, t_i)`` with element-mean MSE per stage.

    TransKD (arXiv 2202.13393) compares the PEA-projected student patch embeddings with the teacher's patch embeddings
    (B×N_i×C_t) with w = (0.1, 0.1, 0.5, 1.0).

    Args:
        stage_weights (Sequence[float], optional): One weight per stage; None weighs every stage 1. Defaults to None.
        loss_weight (float): Defaults to 1.0.
    """

    def __init__(self, stage_weights: Optional[Sequence[float]] = None, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.stage_weights = None if stage_weights is None else [float(w) for w in stage_weights]
        self.loss_weight = loss_weight

    def forward(self, preds_S: Tensors, preds_T: Tensors) -> Tensor:
        pairs = paired_stages('StageMSELoss', preds_S, preds_T)
        weights = self.stage_weights or [1.0] * len(pairs)
        if len(weights) != len(pairs):
            raise ValueError(f'StageMSELoss: stage_weights has {len(weights)} entries but {len(pairs)} stages are '
                             'compared; give one weight per recorded stage.')
        return self.loss_weight * sum(w * F.mse_loss(s, t) for w, (s, t) in zip(weights, pairs))
