"""FitNet hint loss (Romero et al., "FitNets: Hints for Thin Deep Nets", ICLR 2015, arXiv 1412.6550)."""
import torch.nn as nn
import torch.nn.functional as F
from mmseg.registry import MODELS
from torch import Tensor

from .utils import Tensors, paired_stages


@MODELS.register_module()
class FitNetLoss(nn.Module):
    """Hint loss of FitNets (Eq. 3): ``loss_weight · Σ_i MSE(r(f_s,i), f_t,i)`` over the recorded stage pairs.

    r is the regressor (the :class:`~mmseg_transkd.models.connectors.FeatureRegressor` connector feeding
    ``preds_S``). [I] The element mean replaces the paper's ½‖·‖² sum, so the weight does not scale with the map
    size. Teacher maps of another h×w are resized bilinearly to the student's grid (``align_spatial``).

    Args:
        align_spatial (bool): Resize teacher maps to the student's size when they differ. Defaults to True.
        loss_weight (float): Defaults to 1.0.
    """

    def __init__(self, align_spatial: bool = True, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.align_spatial, self.loss_weight = align_spatial, loss_weight

    def forward(self, preds_S: Tensors, preds_T: Tensors) -> Tensor:
        pairs = paired_stages('FitNetLoss', preds_S, preds_T, self.align_spatial)
        return self.loss_weight * sum(F.mse_loss(s, t) for s, t in pairs)
