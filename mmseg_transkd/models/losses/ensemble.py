"""Logit distillation from several teachers at once: the student learns the teachers' averaged class probabilities."""
from typing import Optional, Sequence

from mmseg.registry import MODELS
from torch import Tensor

from .heteroakd import PixelKLDivergence
from .utils import Tensors, as_list


@MODELS.register_module()
class EnsembleKLDivergence(PixelKLDivergence):
    """Per-pixel logit KD towards the average of M teachers: T² · KL(p̄ ‖ softmax(z_s / T)) with
    p̄ = (1/M) Σ_m softmax(z_m / T).

    Hinton et al. (2015, "Distilling the Knowledge in a Neural Network", arXiv 1503.02531) distil an ensemble of models
    into a single one; the ensemble's soft target here is the arithmetic mean of the M teachers' class distributions
    at temperature T, each teacher's logits resized bilinearly to the student's grid first (as
    :class:`PixelKLDivergence`, whose reductions, temperature factor T², ``ignore_index`` masking and fp32 computation
    this loss shares; with one teacher the two are equal). The mean is taken in log space (log-sum-exp), so a class
    that one teacher gives a tiny probability does not underflow.

    [I] Equal teacher weights (the plain average); the teachers' logits are not averaged before the softmax (that would
    be a geometric mean of their distributions). No per-pixel confidence weighting: we found no published
    segmentation method whose per-pixel teacher weights we could cite precisely (configs/multi_teacher/README.md).

    Args:
        tau (float): Temperature T. Defaults to 1.0.
        ignore_index (int): Defaults to 255.
        loss_weight (float): Defaults to 1.0.
        grid (str): ``'student'`` (default) or ``'teacher'``: the first teacher's grid.
        class_reduction (str): ``'sum'`` (default) or ``'mean'`` over the class axis, as :class:`PixelKLDivergence`.
    """

    def forward(self, preds_S: Tensors, preds_T: Sequence[Tensors], gt: Optional[Tensor] = None) -> Tensor:
        """``preds_T`` holds one entry per teacher (a list of references in the loss's ``inputs``, e.g.
        ``preds_T=['T.cnn.logits', 'T.vit.logits']``), each with as many logit maps as ``preds_S``."""
        if isinstance(preds_T, Tensor) or not len(preds_T):
            raise ValueError('EnsembleKLDivergence: preds_T must list the teachers\' logits, one reference per teacher '
                             '(e.g. preds_T=[\'T.cnn.logits\', \'T.vit.logits\']).')
        s_list, teachers = as_list(preds_S), [as_list(t) for t in preds_T]
        for m, t_list in enumerate(teachers):
            if len(t_list) != len(s_list):
                raise ValueError(f'EnsembleKLDivergence: teacher {m + 1} of preds_T gives {len(t_list)} logit maps but '
                                 f'the student {len(s_list)}.')
        return self._kl(s_list, [list(stage) for stage in zip(*teachers)], gt)
