"""The class-weighted cross-entropy of the official TransKD release, with void as ignore."""
from typing import Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.registry import MODELS
from torch import Tensor

# trainIds 0..18 (spec §2.1); the official void class 19 has weight 0.
TRANSKD_CITYSCAPES_WEIGHTS = (2.5959737, 6.741505, 3.5353868, 9.866315, 9.690922, 9.369371, 10.289124, 9.953209,
                              4.3098087, 9.490392, 7.674411, 9.396925, 10.347794, 6.3928986, 10.226673, 10.241072,
                              10.28059, 10.396977, 10.05567, 0.0)


@MODELS.register_module()
class ClassWeightedCELoss(nn.Module):
    """``loss_weight · Σ_p w_{y_p}·(−log softmax(z_p)_{y_p}) / Σ_p w_{y_p}`` over the pixels whose label is not ignored.

    TransKD (Liu et al., arXiv 2202.13393; spec §2.1) trains with ``NLLLoss(weight=w)`` on ``log_softmax``, i.e. this
    weighted mean, and turns label 255 into a class 19 of weight 0. Keeping 255 as ``ignore_index`` here gives the
    same value (a zero-weight pixel adds nothing to either sum) while channel 19, when the head has one, still takes
    part in the softmax as in the release. mmseg's own ``CrossEntropyLoss`` cannot be used: with ``class_weight`` it
    indexes the weights by every label, including 255, and its default mean is not weighted. Computed in fp32; a batch
    without a valid (or non-zero-weight) pixel gives 0, not NaN.

    Args:
        class_weight (Sequence[float]): One weight per output channel. Defaults to TransKD's Cityscapes weights
            (19 classes + 0 for void).
        loss_weight (float): Defaults to 1.0.
        loss_name (str): Log key; must start with ``loss_``. Defaults to 'loss_ce'.
    """

    def __init__(self, class_weight: Sequence[float] = TRANSKD_CITYSCAPES_WEIGHTS, loss_weight: float = 1.0,
                 loss_name: str = 'loss_ce') -> None:
        super().__init__()
        self.register_buffer('class_weight', torch.tensor([float(w) for w in class_weight]), persistent=False)
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    def forward(self, cls_score: Tensor, label: Tensor, weight: Optional[Tensor] = None, ignore_index: int = 255,
                **kwargs) -> Tensor:
        if cls_score.shape[1] != self.class_weight.numel():
            raise ValueError(f'ClassWeightedCELoss: class_weight has {self.class_weight.numel()} entries but the '
                             f'logits have {cls_score.shape[1]} channels; give one weight per output channel.')
        valid = label != ignore_index
        target = torch.where(valid, label, torch.zeros_like(label))
        nll = F.cross_entropy(cls_score.float(), target, reduction='none')
        w = self.class_weight.to(cls_score.device)[target] * valid
        if weight is not None:
            w = w * weight
        return self.loss_weight * (w * nll).sum() / w.sum().clamp(min=torch.finfo(torch.float32).tiny)

    @property
    def loss_name(self) -> str:
        return self._loss_name
