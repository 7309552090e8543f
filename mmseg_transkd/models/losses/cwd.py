"""Channel-wise distillation (CWD), TransKD's alternative feature loss."""
import torch.nn as nn
import torch.nn.functional as F
from mmseg.registry import MODELS
from torch import Tensor

from .utils import Tensors, paired_stages

NORMS = ('channel', 'spatial', 'channel_mean')
DIVERGENCES = ('kl', 'mse')


@MODELS.register_module()
class ChannelWiseDivergence(nn.Module):
    """Channel-wise knowledge distillation (Shu et al., ICCV 2021), summed over stages.

    For one stage pair of B×C×h×w maps with temperature T, both maps are divided by T and normalised by ``norm``:

    * ``'channel'``: each channel becomes a distribution over its h·w positions, p = softmax(x / T) over space;
      the count is B·C.
    * ``'spatial'``: each position becomes a distribution over the C channels; the count is B·h·w.
    * ``'channel_mean'``: each channel becomes its spatial mean, m = mean(x / T) over space (B×C values); the count
      is B·C ([I]: the spec gives the counts of the other two only). Only with ``divergence='mse'`` (a mean is not a
      distribution).

    and compared by ``divergence``:

    * ``'kl'``: loss = T² · Σ p_t (log p_t − log p_s) / count;
    * ``'mse'``: loss = T² · Σ (p_s − p_t)² / count (a sum of squares, not a mean).

    TransKD offers it instead of HCL on (CSF output, teacher stage) pairs (``--knowledge-distillation-loss CWloss``,
    spec §2.4); its ``CriterionCWD`` has these norms and both divergences. Differences from the release, all of them
    equal at the release's default T = 1: the release computes ``softmax(...).log()``, here ``log_softmax`` (same value,
    no log(0)); the release silently sets T = 1 whenever the divergence is ``'mse'`` (spec §5.14), here ``tau``
    applies to every divergence **[I]**: a temperature means the same for both, and ``tau=1`` reproduces the release.
    The release's ``'channel_mean'`` with ``'kl'`` takes the log of signed means (NaN), so that pair is refused here.
    As a segmentation baseline it is applied to the final logits (Shu et al.: T = 4, λ = 3) and, through a channel
    regressor, to features.

    Automatic spatial alignment (``align_spatial=True``, the default): when a teacher map has another h×w than the
    student's (e.g. a D8 CNN teacher at 1/8 against a MiT student at 1/32), the teacher map is resized bilinearly
    (align_corners=False) to the student's grid before the normalisation, so the student keeps its own resolution and
    the count uses the student's h·w. [I] Resizing the teacher (not the student) follows the other logit losses
    here (``PixelKLDivergence``, HeteroAKD). Channels must match (use a connector to align them).

    Args:
        tau (float): Temperature T. Defaults to 1.0.
        norm (str): ``'channel'``, ``'spatial'`` or ``'channel_mean'``. Defaults to ``'channel'``.
        divergence (str): ``'kl'`` or ``'mse'``. Defaults to ``'kl'``.
        align_spatial (bool): Resize teacher maps to the student's size when they differ. Defaults to True.
        loss_weight (float): λ_cwd. Defaults to 1.0.
    """

    def __init__(self, tau: float = 1.0, norm: str = 'channel', divergence: str = 'kl', align_spatial: bool = True,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        if norm not in NORMS:
            raise ValueError(f'ChannelWiseDivergence: norm must be one of {NORMS}, got {norm!r}')
        if divergence not in DIVERGENCES:
            raise ValueError(f'ChannelWiseDivergence: divergence must be one of {DIVERGENCES}, got {divergence!r}')
        if norm == 'channel_mean' and divergence == 'kl':
            raise ValueError("ChannelWiseDivergence: norm='channel_mean' gives spatial means, not distributions; use "
                             "divergence='mse' with it (the release's KL of their log is NaN for negative means).")
        self.tau = tau
        self.norm = norm
        self.divergence = divergence
        self.align_spatial = align_spatial
        self.loss_weight = loss_weight

    def _normalise(self, x: Tensor, log: bool) -> Tensor:
        """x: B×C×(h·w), already divided by T."""
        if self.norm == 'channel_mean':
            return x.mean(dim=2)
        dim = 2 if self.norm == 'channel' else 1
        return F.log_softmax(x, dim=dim) if log else F.softmax(x, dim=dim)

    def forward(self, preds_S: Tensors, preds_T: Tensors) -> Tensor:
        total = 0.0
        for s, t in paired_stages('ChannelWiseDivergence', preds_S, preds_T, self.align_spatial):
            b, c, h, w = s.shape
            count = b * h * w if self.norm == 'spatial' else b * c
            s, t = s.flatten(2) / self.tau, t.flatten(2) / self.tau
            if self.divergence == 'kl':
                log_p_s, log_p_t = self._normalise(s, log=True), self._normalise(t, log=True)
                value = (log_p_t.exp() * (log_p_t - log_p_s)).sum()
            else:
                value = (self._normalise(s, log=False) - self._normalise(t, log=False)).pow(2).sum()
            total = total + value * self.tau ** 2 / count
        return self.loss_weight * total
