"""Channel-wise distillation (CWD), TransKD's alternative feature loss."""
import torch.nn as nn
import torch.nn.functional as F
from mmseg.registry import MODELS
from torch import Tensor

from .utils import Tensors, paired_stages


@MODELS.register_module()
class ChannelWiseDivergence(nn.Module):
    """Channel-wise knowledge distillation (Shu et al., ICCV 2021), summed over stages.

    For one stage pair of B×C×h×w maps with temperature T:

    * ``norm='channel'``: each channel is a distribution over its h·w positions, p = softmax(x / T) over space;
      loss = T² · Σ p_t (log p_t − log p_s) / (B·C).
    * ``norm='spatial'``: each position is a distribution over the C channels; loss = T² · Σ KL / (B·h·w).

    TransKD offers it instead of HCL on (CSF output, teacher stage) pairs. The official code computes
    ``softmax(...).log()``; ``log_softmax`` is used here (same value, no log(0)). As a segmentation baseline it is
    applied to the final logits (Shu et al.: T = 4, λ = 3) and, through a channel regressor, to features.

    Automatic spatial alignment (``align_spatial=True``, the default): when a teacher map has another h×w than the
    student's (e.g. a D8 CNN teacher at 1/8 against a MiT student at 1/32), the teacher map is resized bilinearly
    (align_corners=False) to the student's grid before the softmax, so the student keeps its own resolution and the
    count divides by the student's h·w. [I] Resizing the teacher (not the student) follows the other logit losses
    here (``PixelKLDivergence``, HeteroAKD). Channels must match (use a connector to align them).

    Args:
        tau (float): Temperature T. Defaults to 1.0.
        norm (str): ``'channel'`` or ``'spatial'``. Defaults to ``'channel'``.
        align_spatial (bool): Resize teacher maps to the student's size when they differ. Defaults to True.
        loss_weight (float): λ_cwd. Defaults to 1.0.
    """

    def __init__(self, tau: float = 1.0, norm: str = 'channel', align_spatial: bool = True,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        if norm not in ('channel', 'spatial'):
            raise ValueError(f"ChannelWiseDivergence: norm must be 'channel' or 'spatial', got {norm!r}")
        self.tau = tau
        self.norm = norm
        self.align_spatial = align_spatial
        self.loss_weight = loss_weight

    def forward(self, preds_S: Tensors, preds_T: Tensors) -> Tensor:
        total = 0.0
        for s, t in paired_stages('ChannelWiseDivergence', preds_S, preds_T, self.align_spatial):
            b, c, h, w = s.shape
            dim, count = (2, b * c) if self.norm == 'channel' else (1, b * h * w)
            s, t = s.flatten(2) / self.tau, t.flatten(2) / self.tau
            log_p_s, log_p_t = F.log_softmax(s, dim=dim), F.log_softmax(t, dim=dim)
            total = total + (log_p_t.exp() * (log_p_t - log_p_s)).sum() * self.tau ** 2 / count
        return self.loss_weight * total
