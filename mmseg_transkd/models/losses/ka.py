"""Knowledge Adaptation losses (He et al., CVPR 2019, arXiv 1903.04688): adaptation and affinity distillation.

No official code exists; the formulas follow seeds.md §3.2 (items 3 and 4) and every [I] is recorded where decided.
"""
from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.registry import MODELS
from torch import Tensor

from .utils import Tensors, autocast_off, paired_stages


@MODELS.register_module()
class KAAdaptationLoss(nn.Module):
    """Adaptation loss of KA (seeds.md §3.2 item 3): normalise every position's channel vector, then compare.

    L_adapt = (1/|I|) Σ_{i∈I} ‖ E(φ_t)_i / ‖E(φ_t)_i‖_q − C_f(φ_s)_i / ‖C_f(φ_s)_i‖_q ‖_p,  with p = 1, q = 2,

    averaged over the batch too. A position whose vector is all zero (possible after ReLU) normalises to zero.

    ``channel_reduction='mean'`` (default) divides the p-norm by C: the mean absolute difference per element, the
    element-mean scale of torchdistill's reimplementation. With β = 50 the weighted term then stays near the CE
    (1.21–1.73× CE over training on the KA demo pair, issue 25). ``'sum'`` is the norm as the paper's notation writes
    it; for unrelated unit vectors it is ≈ 2·√(C/π) ≈ 1.13·√C (18 for C = 256), so 50·L_adapt is in the hundreds
    against a CE of 1–3; on the demo pair it stayed 255–337× CE and cost 4.11 mIoU (95 % interval [−6.96, −1.26],
    3 seeds; ``configs/ka/README.md``). Which reduction the paper's β = 50 was tuned with is not known (no official
    code); ``'sum'`` at β = 50 / C weighs the term as ``'mean'`` at β = 50.

    [I] choices: per-position normalisation (the paper indexes positions; torchdistill normalises the whole map);
    p = 1, q = 2 as torchdistill.

    Args:
        p (float): Norm of the difference. Defaults to 1.
        q (float): Norm used to normalise each position. Defaults to 2.
        channel_reduction (str): ``'mean'`` or ``'sum'`` over channels. Defaults to ``'mean'``.
        eps (float): Defaults to 1e-12.
        loss_weight (float): β. Defaults to 50.
    """

    def __init__(self, p: float = 1.0, q: float = 2.0, channel_reduction: str = 'mean', eps: float = 1e-12,
                 loss_weight: float = 50.0) -> None:
        super().__init__()
        if channel_reduction not in ('mean', 'sum'):
            raise ValueError(f"KAAdaptationLoss: channel_reduction must be 'mean' or 'sum', got {channel_reduction!r}")
        self.p, self.q, self.channel_reduction, self.eps, self.loss_weight = p, q, channel_reduction, eps, loss_weight

    def forward(self, preds_S: Tensors, preds_T: Tensors) -> Tensor:
        total = 0.0
        with autocast_off(preds_S):
            for s, t in paired_stages('KAAdaptationLoss', preds_S, preds_T, align_spatial=True):
                diff = F.normalize(t, p=self.q, dim=1, eps=self.eps) - F.normalize(s, p=self.q, dim=1, eps=self.eps)
                per_position = diff.norm(p=self.p, dim=1)  # B×h×w
                if self.channel_reduction == 'mean':
                    per_position = per_position / s.shape[1]
                total = total + per_position.mean()
        return self.loss_weight * total


def cosine_affinity(x: Tensor, eps: float = 1e-12) -> Tensor:
    """All-pairs cosine similarity of the positions of B×C×h×w ``x``: B×m×m with m = h·w (materialised)."""
    v = F.normalize(x.flatten(2), dim=1, eps=eps)
    return v.transpose(1, 2) @ v


def affinity_mae_naive(s: Tensor, t: Tensor, eps: float = 1e-12) -> Tensor:
    """(1/B) Σ_b (1/m²) Σ_ij |A^s_ij − A^t_ij| with both m×m matrices materialised (reference, O(m²) memory)."""
    return (cosine_affinity(s, eps) - cosine_affinity(t.detach(), eps)).abs().mean()


class _ChunkedAffinityMAE(torch.autograd.Function):
    """Exact affinity MAE with O(B·chunk·m) memory in forward *and* backward.

    Autograd through a chunked loop would save every chunk's difference for the backward pass (m² again). Here only the
    normalised features are saved and the backward pass recomputes each row block. With A = VᵀV (V = normalised
    student, B×C×m) and G = sign(A^s − A^t)/(B·m²) (symmetric), ∂L/∂V = V·(G + Gᵀ) = 2·V·G, accumulated per row block:
    rows r contribute V[:, :, r] @ G[r, :] to every column and V @ G[r, :]ᵀ to columns r.
    """

    @staticmethod
    def forward(ctx, v_s: Tensor, v_t: Tensor, chunk: int) -> Tensor:
        b, _, m = v_s.shape
        total = v_s.new_zeros(())
        for r0 in range(0, m, chunk):
            r = slice(r0, min(r0 + chunk, m))
            total = total + ((v_s[:, :, r].transpose(1, 2) @ v_s) - (v_t[:, :, r].transpose(1, 2) @ v_t)).abs().sum()
        ctx.save_for_backward(v_s, v_t)
        ctx.chunk = chunk
        return total / (b * m * m)

    @staticmethod
    def backward(ctx, grad_out: Tensor):
        v_s, v_t = ctx.saved_tensors
        b, _, m = v_s.shape
        scale = grad_out / (b * m * m)
        grad = torch.zeros_like(v_s)
        for r0 in range(0, m, ctx.chunk):
            r = slice(r0, min(r0 + ctx.chunk, m))
            g = torch.sign((v_s[:, :, r].transpose(1, 2) @ v_s) - (v_t[:, :, r].transpose(1, 2) @ v_t)) * scale
            grad += v_s[:, :, r] @ g                             # B×C×chunk @ B×chunk×m -> every column
            grad[:, :, r] += v_s @ g.transpose(1, 2)             # B×C×m @ B×m×chunk -> columns r
        return grad, None, None


def affinity_mae_chunked(s: Tensor, t: Tensor, chunk: int = 256, eps: float = 1e-12) -> Tensor:
    """The same value and gradient as :func:`affinity_mae_naive`, computed over row blocks of ``chunk`` positions."""
    if s.shape[0] != t.shape[0] or s.shape[2:] != t.shape[2:]:
        raise ValueError(f'affinity: student {tuple(s.shape)} and teacher {tuple(t.shape)} need the same batch and '
                         'grid (channels may differ).')
    v_s = F.normalize(s.flatten(2), dim=1, eps=eps)
    v_t = F.normalize(t.detach().flatten(2), dim=1, eps=eps)
    return _ChunkedAffinityMAE.apply(v_s, v_t, int(chunk))


@MODELS.register_module()
class KAAffinityLoss(nn.Module):
    """Affinity distillation of KA (seeds.md §3.2 item 4): compare all-pairs cosine affinities, mean absolute error.

    A_ij = ⟨Φ_i, Φ_j⟩ / (‖Φ_i‖₂ ‖Φ_j‖₂) over the m = h·w positions; L_aff = (1/m²) Σ_ij |A^s_ij − A^t_ij|, averaged
    over the batch. The student side is the affinity adapter's output C_a(φ_s), the teacher side E(φ_t) (resized
    bilinearly to the student grid if the grids differ). The MAE has no low-rank identity (unlike a Frobenius norm), so
    it is computed exactly over row blocks of ``chunk`` positions with a custom backward pass: peak memory O(B·chunk·m)
    instead of O(B·m²) (``tools/benchmark_affinity.py`` measures both). ``chunk=None`` materialises the matrices.
    A zero vector has zero affinity with everything (also with itself).

    Args:
        chunk (int, optional): Rows per block. Defaults to 256.
        eps (float): Defaults to 1e-12.
        loss_weight (float): γ. Defaults to 1.
    """

    def __init__(self, chunk: Optional[int] = 256, eps: float = 1e-12, loss_weight: float = 1.0) -> None:
        super().__init__()
        if chunk is not None and int(chunk) < 1:
            raise ValueError(f'KAAffinityLoss: chunk must be a positive number of rows or None, got {chunk!r}')
        self.chunk, self.eps, self.loss_weight = chunk, eps, loss_weight

    def forward(self, preds_S: Tensors, preds_T: Tensors) -> Tensor:
        total = 0.0
        with autocast_off(preds_S):
            for s, t in paired_stages('KAAffinityLoss', preds_S, preds_T, align_spatial=True):
                if self.chunk is None:
                    total = total + affinity_mae_naive(s, t, self.eps)
                else:
                    total = total + affinity_mae_chunked(s, t, self.chunk, self.eps)
        return self.loss_weight * total


def autoencoder_loss(feat: Tensor, latent: Tensor, recon: Tensor, alpha: float = 1e-7,
                     reduction: str = 'mean') -> Tuple[Tensor, Tensor]:
    """KA stage 1 (seeds.md §3.2 item 1): the two terms of L_ae = ‖φ_t − D(E(φ_t))‖² + α‖E(φ_t)‖₁, one reduction.

    Both terms are per-sample sums (the paper's form), averaged over the batch; ``reduction='mean'`` (default) divides
    *both* by the number of elements of φ_t (C·H·W), so the squared error is the element-mean MSE and the latent term
    is α · Σ|z| / (C·H·W). α weighs sparsity against reconstruction exactly as in the paper; the whole loss is the
    paper's divided by a constant (C·H·W = 512·128·256 ≈ 1.7·10⁷ for the DeepLabV3+ feature of a 512×1024 crop),
    which only rescales the step size. [I] 'mean': with the paper's lr 0.1, the summed form would take steps ≈ 10⁷
    times those of the mean. ``'sum'`` gives the paper's sums as they are.

    Returns:
        ``(reconstruction term, α · latent L1 term)``.
    """
    if reduction not in ('mean', 'sum'):
        raise ValueError(f"autoencoder_loss: reduction must be 'mean' or 'sum', got {reduction!r}")
    with autocast_off(feat):
        batch = feat.shape[0]
        count = batch * (feat[0].numel() if reduction == 'mean' else 1)
        recon_term = (recon.float() - feat.detach().float()).pow(2).sum() / count
        return recon_term, alpha * latent.float().abs().sum() / count
