"""DIST (Huang et al., "Knowledge Distillation from A Stronger Teacher", NeurIPS 2022, arXiv 2205.10536)."""
import torch.nn as nn
from mmseg.registry import MODELS
from torch import Tensor

from .utils import Tensors, as_list, autocast_off, check_same_classes, resize_to


def pearson(a: Tensor, b: Tensor, eps: float = 1e-8) -> Tensor:
    """Pearson correlation of the rows of two N×M matrices (Eq. 5: cosine similarity of the centred rows): N."""
    a, b = a - a.mean(dim=1, keepdim=True), b - b.mean(dim=1, keepdim=True)
    return (a * b).sum(dim=1) / (a.norm(dim=1) * b.norm(dim=1) + eps)


@MODELS.register_module()
class DISTLoss(nn.Module):
    """DIST's relation loss on segmentation logits: ``T² · (β · L_inter + γ · L_intra)`` (Eqs. 6–9).

    With Y = softmax(Z / T) over classes, every pixel of the batch is one instance (an N×K matrix, N = B·h·w):

    * inter-class relation: L_inter = 1 − mean over pixels of ρ(Y_s[n, :], Y_t[n, :]) (correlation across classes);
    * intra-class relation: L_intra = 1 − mean over classes of ρ(Y_s[:, k], Y_t[:, k]) (correlation across pixels).

    The teacher logits are resized bilinearly to the student's grid and detached; fp32 even under autocast. Summed
    over the recorded pairs.

    [I] Pixels of the whole (per-GPU) batch form the instance set of the intra-class term, ignore pixels included
    (no labels are used); β = γ = 1 and T = 1 are the DIST defaults we use for segmentation.

    Args:
        tau (float): Temperature T. Defaults to 1.0.
        beta (float): Inter-class weight β. Defaults to 1.0.
        gamma (float): Intra-class weight γ. Defaults to 1.0.
        loss_weight (float): Defaults to 1.0.
    """

    def __init__(self, tau: float = 1.0, beta: float = 1.0, gamma: float = 1.0, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.tau, self.beta, self.gamma, self.loss_weight = tau, beta, gamma, loss_weight

    def forward(self, preds_S: Tensors, preds_T: Tensors) -> Tensor:
        total = 0.0
        s_list = as_list(preds_S)
        with autocast_off(s_list):
            for z_s, z_t in zip(s_list, as_list(preds_T)):
                check_same_classes('DISTLoss', z_s, z_t)
                z_s, z_t = z_s.float(), resize_to(z_t.detach().float(), z_s.shape[-2:])
                k = z_s.shape[1]
                y_s = (z_s / self.tau).softmax(dim=1).permute(0, 2, 3, 1).reshape(-1, k)
                y_t = (z_t / self.tau).softmax(dim=1).permute(0, 2, 3, 1).reshape(-1, k)
                inter = 1 - pearson(y_s, y_t).mean()
                intra = 1 - pearson(y_s.t(), y_t.t()).mean()
                total = total + self.tau ** 2 * (self.beta * inter + self.gamma * intra)
        return self.loss_weight * total
