"""Hierarchical context loss (HCL) used by TransKD's CSF."""
from typing import List, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.registry import MODELS
from torch import Tensor
from torch.autograd.function import once_differentiable

from .utils import Tensors, paired_stages


def _stage_terms(s: Tensor, t: Tensor, levels: Sequence[int]) -> Tuple[Tensor, float, List[tuple]]:
    """The loss of one stage pair before the division by ``norm``, ``norm``, and ``(level, weight, pooled s − t)``
    for every included level."""
    loss, weight, norm, terms = F.mse_loss(s, t), 1.0, 1.0, []
    for level in levels:
        if level >= s.shape[2]:
            continue
        weight /= 2.0
        pooled_s, pooled_t = F.adaptive_avg_pool2d(s, level), F.adaptive_avg_pool2d(t, level)
        loss = loss + weight * F.mse_loss(pooled_s, pooled_t)
        norm += weight
        terms.append((level, weight, pooled_s - pooled_t))
    return loss, norm, terms


def _nested_grid(shape, levels: Sequence[int]) -> int:
    """The finest included level L if every included level divides L and L divides h and w (the pooling bins of all
    levels are then unions of L×L-grid cells of equal size), else 0."""
    h, w = shape[2], shape[3]
    used = [level for level in levels if level < h]
    if not used:
        return 0
    finest = max(used)
    return finest if h % finest == 0 and w % finest == 0 and all(finest % level == 0 for level in used) else 0


class _HCLStage(torch.autograd.Function):
    """One stage of HCL with a one-pass gradient.

    The value is computed by the same operations as the plain formulation (bit-identical). The gradient is the
    analytic one: for L = (mse + Σ_j w_j·mse(AAP_j(s), AAP_j(t))) / norm,

        ∂L/∂s = (2·(s − t)/N + Σ_j w_j·2·(AAP_j(s) − AAP_j(t))/(n_j·|bin_j|) spread over bin_j) / norm

    with n_j the elements of the pooled map. Autograd's version runs every pooling's backward (a zero fill, a layout
    copy and a scatter of a full-size tensor per level) and accumulates four full-size gradients; here the pooled
    terms are summed on the finest pooling grid and added to 2·(s − t)/N in place, in ``s``'s memory layout (mse's own
    backward returns a contiguous NCHW gradient, which makes the BatchNorm backward before it slow on channels-last
    maps, as MiT's outputs are). Equal to autograd's gradient up to rounding (tests: relative 1e-6).
    """

    @staticmethod
    def forward(ctx, s: Tensor, t: Tensor, levels: Tuple[int, ...], grid: int) -> Tensor:
        loss, norm, terms = _stage_terms(s, t, levels)
        ctx.save_for_backward(s, t)
        ctx.norm, ctx.terms, ctx.grid = norm, terms, grid
        return loss / norm

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out: Tensor):
        s, t = ctx.saved_tensors
        b, c, h, w = s.shape
        scale = grad_out / ctx.norm
        grad = torch.sub(s, t).mul_(scale * (2.0 / s.numel()))
        grid, coarse = ctx.grid, None
        for level, weight, diff in ctx.terms:
            coef = diff * (2.0 * weight / (diff.numel() * (h // level) * (w // level)))
            if level != grid:  # a coarser level: each of its bins covers (grid / level)² cells of the finest grid
                coef = coef.repeat_interleave(grid // level, 2).repeat_interleave(grid // level, 3)
            coarse = coef if coarse is None else coarse + coef
        if coarse is not None:
            grad.view(b, c, grid, h // grid, grid, w // grid).add_((coarse * scale).view(b, c, grid, 1, grid, 1))
        return grad, None, None, None


@MODELS.register_module()
class HCLoss(nn.Module):
    """Hierarchical context loss of Knowledge Review (Chen et al., CVPR 2021), TransKD's feature loss for CSF.

    For one stage pair (f_s, f_t), both B×C×h×w::

        L_i = (MSE(f_s, f_t) + Σ_j 2^-j · MSE(AAP_{l_j}(f_s), AAP_{l_j}(f_t))) / (1 + Σ_j 2^-j)

    where AAP_l is adaptive average pooling to l×l over the levels l ∈ ``levels`` with l < h (only the height is
    checked, as in the official code), j = 1, 2, … counts only the included levels, and MSE is the element mean.
    The loss is Σ_i L_i over the stages (unweighted), times ``loss_weight``.

    When the pooling bins of all levels nest (h and w divisible by the finest level, e.g. every MiT stage at
    512×1024 with levels 4, 2, 1) the backward pass is computed in one pass (:class:`_HCLStage`, issue 19); the value
    is the same bit for bit, the gradient up to rounding. Other shapes use autograd on the same formula.

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
            grid = _nested_grid(s.shape, self.levels)
            # the one-pass backward returns no gradient for t: only when t is a constant (paired_stages detaches it)
            if grid and s.requires_grad and not t.requires_grad and torch.is_grad_enabled():
                total = total + _HCLStage.apply(s, t, self.levels, grid)
            else:
                loss, norm, _ = _stage_terms(s, t, self.levels)
                total = total + loss / norm
        return self.loss_weight * total
