"""Intra-class feature variation distillation (IFVD; Wang et al., "Intra-class Feature Variation Distillation for
Semantic Segmentation", ECCV 2020)."""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.registry import MODELS
from torch import Tensor

from .utils import Tensors, as_list, autocast_off, labels_on_grid, resize_to


def ifv_map(feat: Tensor, onehot: Tensor, valid: Tensor) -> Tensor:
    """Cosine similarity of every pixel feature to its class prototype in its own image: B×h×w (0 off ``valid``).

    Prototype of class k in image b = mean of the features of the pixels labelled k (masked average pooling,
    Eq. 1); IFV map M(p) = cos(f_p, prototype of p's class) (Eq. 2).
    """
    counts = onehot.sum(dim=(2, 3))  # B×K
    protos = torch.einsum('bkhw,bchw->bkc', onehot, feat) / counts.clamp(min=1)[..., None]  # B×K×C
    proto_map = torch.einsum('bkhw,bkc->bchw', onehot, protos)  # each pixel's own class prototype
    return F.cosine_similarity(feat, proto_map, dim=1) * valid


@MODELS.register_module()
class IFVLoss(nn.Module):
    """IFVD's loss (Eq. 3): MSE between the student's and the teacher's intra-class feature variation maps.

    Labels are nearest-resized to each feature grid; the teacher map is first resized bilinearly to the student's
    grid (features of any widths: each network is compared with its own prototypes, so no connector is needed).
    The squared differences are averaged over all B·h·w pixels; ignore pixels contribute 0 (the authors' code gives
    them cos = 1 on both sides, as we recall it). Summed over the recorded stage pairs.

    The configs use the IFVD release's weights, λ_ifv = 200 (CIRKD's IFVD script: 20), on the decode head's fused
    feature, the release's tap (``HeadFeatureRecorder``); IFVD also adds pixel-wise KD (the release's λ = 10 on an
    element-mean KL, ``PixelKLDivergence(class_reduction='mean')``) and SKD's adversarial term
    (:class:`HolisticAdversarialLoss`).

    Args:
        num_classes (int, optional): Label ids ≥ it count as ignored. None takes the largest non-ignored id + 1 of
            the batch (absent classes have no prototype, so the result is the same). Defaults to None.
        ignore_index (int): Defaults to 255.
        loss_weight (float): λ_ifv. Defaults to 1.0.
    """

    def __init__(self, num_classes: Optional[int] = None, ignore_index: int = 255, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.num_classes, self.ignore_index, self.loss_weight = num_classes, ignore_index, loss_weight

    def forward(self, preds_S: Tensors, preds_T: Tensors, gt: Tensor) -> Tensor:
        total = 0.0
        s_list = as_list(preds_S)
        k = self.num_classes or int(torch.where(gt == self.ignore_index, 0, gt).max()) + 1
        with autocast_off(s_list):
            for s, t in zip(s_list, as_list(preds_T)):
                s, t = s.float(), resize_to(t.detach().float(), s.shape[-2:])
                onehot, valid = labels_on_grid(gt, s.shape[-2:], k, self.ignore_index)
                total = total + F.mse_loss(ifv_map(s, onehot, valid), ifv_map(t, onehot, valid))
        return self.loss_weight * total
