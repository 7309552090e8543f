"""HeteroAKD (Huang et al., AAAI 2025, arXiv 2504.07691): knowledge mixing and evaluation in an aligned logits space.

No official code exists; the formulas follow seeds.md §2.2, and every [I] there is recorded where it is decided.
"""
import math
from typing import List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.registry import MODELS
from torch import Tensor

from .utils import Tensors, as_list, autocast_off, check_same_classes, labels_on_grid, masked_mean, resize_to


def one_vs_rest_bce(logits: Tensor, onehot: Tensor) -> Tensor:
    """Per-pixel, per-class binary cross-entropy of σ(logits) against the one-hot labels (B×K×h×w), via logsigmoid."""
    return -(onehot * F.logsigmoid(logits) + (1 - onehot) * F.logsigmoid(-logits))


@MODELS.register_module()
class HeteroAKDLoss(nn.Module):
    """Knowledge mixing (KMM), knowledge evaluation (KEM) and the weighted soft-target loss of HeteroAKD.

    With Z_s, Z_t the projected student / teacher logits (Z_t resized bilinearly to the student grid), Y the one-hot
    labels on that grid and H(Z) the per-pixel, per-class one-vs-rest BCE against Y:

    * KMM: S_t = H_s / (H_t + H_s + ε),  Z_mix = S_t ⊙ Z_t + (1 − S_t) ⊙ Z_s (the mix leans to whoever errs less);
    * KEM: ΔH = max(0, H_s − H(Z_mix)),  E = H_s + ΔH,  W = softmax(E) over classes at each pixel;
    * L = T² · mean over valid pixels of Σ_c W_c · [−softmax(Z_mix / T)_c · log softmax(Z_s / T)_c]  (Eq. 10 as the
      re-implementations cite it, × T²; the defaults ``class_reduction='sum'``, ``t_squared=True``).

    S_t, Z_mix and W are detached: only the student's projected logits receive gradients. Ignore pixels are excluded
    everywhere; a frame without valid pixels contributes 0, not NaN. Computed in fp32 even under autocast.

    Scale: the default is K·T² times the element-mean reading (mean over valid pixels *and* classes, no T²), which
    ``class_reduction='mean', t_squared=False`` gives: 304× for Cityscapes (K = 19, T = 4), 336× for VOC (K = 21),
    2400× for ADE20K (K = 150). Compare λ_h across readings with this factor.

    [I] choices: W over classes by default (``weight_dim='spatial'`` normalises each class over the valid pixels of
    its image instead; the weighted CE is then summed over the pixels of each (image, class) and reduced over classes
    by ``class_reduction``, then averaged over images); the T² factor follows KD practice; T = 4 as in both
    re-implementations.

    Args:
        tau (float): Temperature T. Defaults to 4.0.
        weight_dim (str): ``'class'`` or ``'spatial'``. Defaults to ``'class'``.
        eps (float): ε of S_t. Defaults to 1e-6.
        ignore_index (int): Defaults to 255.
        loss_weight (float): λ_h. Defaults to 1.0.
        class_reduction (str): ``'sum'`` (Eq. 10's Σ_c) or ``'mean'`` (divided by K) over the class axis.
            Defaults to ``'sum'``.
        t_squared (bool): Multiply by T². Defaults to True.
    """

    def __init__(self, tau: float = 4.0, weight_dim: str = 'class', eps: float = 1e-6, ignore_index: int = 255,
                 loss_weight: float = 1.0, class_reduction: str = 'sum', t_squared: bool = True) -> None:
        super().__init__()
        if weight_dim not in ('class', 'spatial'):
            raise ValueError(f"HeteroAKDLoss: weight_dim must be 'class' or 'spatial', got {weight_dim!r}")
        if class_reduction not in ('sum', 'mean'):
            raise ValueError(f"HeteroAKDLoss: class_reduction must be 'sum' or 'mean', got {class_reduction!r}")
        self.tau, self.weight_dim, self.eps = tau, weight_dim, eps
        self.ignore_index, self.loss_weight = ignore_index, loss_weight
        self.class_reduction, self.t_squared = class_reduction, t_squared

    def mix(self, z_s: Tensor, z_t: Tensor, onehot: Tensor, valid: Tensor):
        """KMM and KEM: returns the detached mixed logits and class weights."""
        with torch.no_grad():
            h_s, h_t = one_vs_rest_bce(z_s, onehot), one_vs_rest_bce(z_t, onehot)
            share_t = h_s / (h_t + h_s + self.eps)
            z_mix = share_t * z_t + (1 - share_t) * z_s
            importance = h_s + (h_s - one_vs_rest_bce(z_mix, onehot)).clamp(min=0)
            if self.weight_dim == 'class':
                weights = importance.softmax(dim=1)
            else:
                masked = importance.masked_fill(~valid[:, None], float('-inf')).flatten(2)
                weights = masked.softmax(dim=2).nan_to_num(0.0).view_as(importance)
        return z_mix, weights

    def forward(self, preds_S: Tensors, preds_T: Tensors, gt: Tensor) -> Tensor:
        s_list, t_list = as_list(preds_S), as_list(preds_T)
        if len(s_list) != len(t_list):
            raise ValueError(f'HeteroAKDLoss: {len(s_list)} student projections but {len(t_list)} teacher ones.')
        total = 0.0
        with autocast_off(s_list):
            for z_s, z_t in zip(s_list, t_list):
                check_same_classes('HeteroAKDLoss', z_s, z_t)
                z_s, z_t = z_s.float(), resize_to(z_t.detach().float(), z_s.shape[-2:])
                onehot, valid = labels_on_grid(gt, z_s.shape[-2:], z_s.shape[1], self.ignore_index)
                z_mix, weights = self.mix(z_s.detach(), z_t, onehot, valid)
                soft_ce = -(F.softmax(z_mix / self.tau, dim=1) * F.log_softmax(z_s / self.tau, dim=1))
                weighted = weights * soft_ce
                if self.weight_dim == 'class':  # Σ_c per pixel, mean over the valid pixels
                    term = masked_mean(weighted.sum(dim=1), valid)
                else:  # Σ over the valid pixels of each (image, class), Σ_c, mean over images
                    term = (weighted * valid[:, None]).sum(dim=(1, 2, 3)).mean()
                if self.class_reduction == 'mean':
                    term = term / z_s.shape[1]
                total = total + (term * self.tau ** 2 if self.t_squared else term)
        return self.loss_weight * total


@MODELS.register_module()
class LogitBCELoss(nn.Module):
    """Mean one-vs-rest BCE of projected logits against the labels over valid pixels and classes.

    [I] HeteroAKD's projectors need supervision: otherwise the "logits space" is not tied to the classes and the
    teacher projector, fed only by detached targets, gets no gradient (seeds.md §2.2). Both re-implementations add it.

    Args:
        ignore_index (int): Defaults to 255.
        loss_weight (float): Defaults to 1.0.
    """

    def __init__(self, ignore_index: int = 255, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.ignore_index, self.loss_weight = ignore_index, loss_weight

    def forward(self, preds: Tensors, gt: Tensor) -> Tensor:
        total = 0.0
        with autocast_off(preds):
            for z in as_list(preds):
                z = z.float()
                onehot, valid = labels_on_grid(gt, z.shape[-2:], z.shape[1], self.ignore_index)
                total = total + masked_mean(one_vs_rest_bce(z, onehot).mean(dim=1), valid)
        return self.loss_weight * total


@MODELS.register_module()
class PixelKLDivergence(nn.Module):
    """Logit distillation of Hinton et al. (2015) per pixel: T² · KL(softmax(z_t / T) ‖ softmax(z_s / T)).

    Teacher logits are resized bilinearly to the student's grid (``grid='teacher'``: the student's logits to the
    teacher's, as the KD baseline of Knowledge Adaptation, He et al., CVPR 2019, does); the KL is summed over classes
    and averaged over pixels (valid pixels only when ``gt`` is given). fp32 even under autocast; the teacher side is
    detached.

    ``class_reduction='mean'`` averages over the classes too (the element mean over pixels × classes, 1/K of the
    default), the reduction of the IFVD release's pixel-wise KD (``KLDivLoss`` with an element mean): its λ = 10 is
    then λ = 10/K per pixel in the default reading.

    Args:
        tau (float): Temperature T. Defaults to 1.0.
        ignore_index (int): Defaults to 255.
        loss_weight (float): Defaults to 1.0.
        grid (str): ``'student'`` or ``'teacher'``: where the two are compared. Defaults to ``'student'``.
        class_reduction (str): ``'sum'`` or ``'mean'`` over the class axis. Defaults to ``'sum'``.
    """

    def __init__(self, tau: float = 1.0, ignore_index: int = 255, loss_weight: float = 1.0,
                 grid: str = 'student', class_reduction: str = 'sum') -> None:
        super().__init__()
        if grid not in ('student', 'teacher'):
            raise ValueError(f"PixelKLDivergence: grid must be 'student' or 'teacher', got {grid!r}")
        if class_reduction not in ('sum', 'mean'):
            raise ValueError(f"PixelKLDivergence: class_reduction must be 'sum' or 'mean', got {class_reduction!r}")
        self.tau, self.ignore_index, self.loss_weight, self.grid = tau, ignore_index, loss_weight, grid
        self.class_reduction = class_reduction

    def forward(self, preds_S: Tensors, preds_T: Tensors, gt: Optional[Tensor] = None) -> Tensor:
        return self._kl(as_list(preds_S), [[z_t] for z_t in as_list(preds_T)], gt)

    def _kl(self, s_list: List[Tensor], t_stages: List[List[Tensor]], gt: Optional[Tensor]) -> Tensor:
        """The loss over the stages of ``s_list``; ``t_stages[i]`` holds stage i's teacher logits, one per teacher.
        The target is the mean of their class probabilities at temperature T (one teacher: its own)."""
        total = 0.0
        with autocast_off(s_list):
            for z_s, zs_t in zip(s_list, t_stages):
                for z_t in zs_t:
                    check_same_classes(type(self).__name__, z_s, z_t)
                size = (zs_t[0] if self.grid == 'teacher' else z_s).shape[-2:]
                z_s = resize_to(z_s.float(), size)
                log_ps = [F.log_softmax(resize_to(z_t.detach().float(), size) / self.tau, dim=1) for z_t in zs_t]
                # log of the mean probability, without leaving log space: logsumexp over the teachers - log M
                log_p_t = log_ps[0] if len(log_ps) == 1 else \
                    torch.logsumexp(torch.stack(log_ps), dim=0) - math.log(len(log_ps))
                kl = (log_p_t.exp() * (log_p_t - F.log_softmax(z_s / self.tau, dim=1))).sum(dim=1)
                if self.class_reduction == 'mean':
                    kl = kl / z_s.shape[1]
                valid = None if gt is None else labels_on_grid(gt, z_s.shape[-2:], z_s.shape[1],
                                                               self.ignore_index)[1]
                total = total + masked_mean(kl, valid) * self.tau ** 2
        return self.loss_weight * total
