"""Pair-wise distillation of SKD (Liu et al., "Structured Knowledge Distillation for Semantic Segmentation",
CVPR 2019, arXiv 1903.04197)."""

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.registry import MODELS
from torch import Tensor

from .utils import Tensors, as_list, autocast_off, resize_to


def node_affinity(feat: Tensor) -> Tensor:
    """a_ij = f_i·f_j / (‖f_i‖ ‖f_j‖) between all nodes of a B×C×h×w map: B×(hw)×(hw).

    The norms are treated as constants (detached, +1e-8), as in the authors' release [I: recalled, not re-checked].
    """
    norm = feat.norm(dim=1, keepdim=True).detach() + 1e-8
    f = (feat / norm).flatten(2)
    return torch.einsum('bcm,bcn->bmn', f, f)


@MODELS.register_module()
class PairwiseAffinityLoss(nn.Module):
    """SKD's pair-wise distillation (Eq. 1): ``(1 / (W'H')²) Σ_ij (a^s_ij − a^t_ij)²``, averaged over images.

    Each node is a β×β patch of the feature map aggregated by max pooling, with β = ⌊pool_scale · size⌋ per axis
    (ceil-mode pooling). The affinity compares positions only, so student and teacher channel counts may differ
    and no connector is needed. A teacher map of another h×w is resized bilinearly to the student's grid
    first.
    Summed over the recorded stage pairs.

    [I] ``pool_scale=0.5`` (a 2×2 node grid) and λ_pa = 0.5 follow the authors' released scripts as we recall them;
    the paper's ablation varies β. SKD's holistic adversarial term is :class:`HolisticAdversarialLoss`.

    Args:
        pool_scale (float): Node size as a fraction of the map size; ≤ 0 keeps every pixel a node. Defaults to 0.5.
        loss_weight (float): λ_pa. Defaults to 1.0.
    """

    def __init__(self, pool_scale: float = 0.5, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.pool_scale, self.loss_weight = pool_scale, loss_weight

    def pool(self, x: Tensor) -> Tensor:
        if self.pool_scale <= 0:
            return x
        k = [max(1, int(d * self.pool_scale)) for d in x.shape[-2:]]
        return F.max_pool2d(x, kernel_size=k, stride=k, ceil_mode=True)

    def forward(self, preds_S: Tensors, preds_T: Tensors) -> Tensor:
        total = 0.0
        s_list = as_list(preds_S)
        with autocast_off(s_list):
            for s, t in zip(s_list, as_list(preds_T)):
                s, t = s.float(), resize_to(t.detach().float(), s.shape[-2:])
                a_s, a_t = node_affinity(self.pool(s)), node_affinity(self.pool(t))
                nodes = a_s.shape[-1]
                total = total + ((a_s - a_t) ** 2).sum() / (nodes ** 2 * s.shape[0])
        return self.loss_weight * total
