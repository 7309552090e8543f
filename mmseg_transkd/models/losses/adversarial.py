"""Holistic (adversarial) distillation of SKD (Liu et al., "Structured Knowledge Distillation for Semantic
Segmentation", CVPR 2019, arXiv 1903.04197, §3.3, Eq. 3), also used by IFVD (Wang et al., ECCV 2020)."""
from typing import Dict, Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.registry import MODELS
from torch import Tensor
from torch.func import functional_call

from .utils import Tensors, as_list, autocast_off, one_int, resize_to


@MODELS.register_module()
class HolisticAdversarialLoss(nn.Module):
    """SKD's holistic distillation: a Wasserstein critic D with gradient penalty scores segmentation maps.

    The map scored by D is ``x = softmax(logits)``, or ``concat(softmax(logits), image on the logit grid)`` with
    ``with_image=True``. With x_s, x_t the student / teacher maps (the teacher's logits resized bilinearly to the
    student's grid) and D(x) one score per image (mean of D's output map), the module returns two named terms:

    * ``d`` (trains D only): ``λ_d · (E[D(x_s.detach())] − E[D(x_t)] + λ_gp · E[(‖∇_x̂ D(x̂)‖₂ − 1)²])`` with
      ``x̂ = ε x_t + (1 − ε) x_s``, ε ~ U[0, 1] per image (WGAN-GP, Gulrajani et al., NeurIPS 2017);
    * ``g`` (trains the student only): ``−λ_adv · E[D(x_s)]`` (SKD Eq. 3), evaluated with D's parameters detached
      (``torch.func.functional_call``), so its gradient reaches the student's logits but not D.

    Both land in one backward, and each term's gradient reaches only its own side. D is trained by its own optimizer
    as in the releases (the ``-adv`` configs: Adam, lr 4e-4, through ``SplitOptimWrapperConstructor``, which steps
    ``'distill_losses.<name>.discriminator'`` with it and everything else with the student's optimizer). The
    gradient penalty needs a double backward (``create_graph=True``); it is computed under ``enable_grad`` so the
    distiller's build-time probe (``no_grad``) still gets a value. Computed in fp32 with autocast off, like the other
    losses.

    Defaults follow the IFVD release and CIRKD's scripts (issue 25, item 2): D sees the logits only (through the
    softmax), λ_adv = 0.001, λ_d = 0.1, λ_gp = 10. ``with_image=True`` also conditions D on the image (area-resized to
    the logit grid, in its normalised form; the SKD paper's description as we recall it, and our earlier form).
    [I] D's architecture: plain 3×3 stride-2 convs (widths ``channels``, LeakyReLU 0.2, no normalisation, as WGAN-GP
    advises for critics; no spectral norm, no self-attention), then a 1×1 conv to one channel averaged over space.

    Args:
        num_classes (int | Sequence[int]): Channels of the logits (set by ``channels_from=dict(num_classes=
            'S.logits')``, which measures a 1-element list).
        with_image (bool): Concatenate the image to the score map. Defaults to False.
        channels (Sequence[int]): Widths of the stride-2 conv layers of D. Defaults to (64, 128, 256, 512).
        lambda_gp (float): Gradient-penalty weight λ_gp. Defaults to 10.0.
        lambda_d (float): Weight λ_d of D's term ``d``. Defaults to 0.1.
        loss_weight (float): λ_adv of the student's term ``g``. Defaults to 0.001.
    """

    def __init__(self, num_classes: Union[int, Sequence[int]], with_image: bool = False,
                 channels: Sequence[int] = (64, 128, 256, 512), lambda_gp: float = 10.0, lambda_d: float = 0.1,
                 loss_weight: float = 0.001) -> None:
        super().__init__()
        num_classes = one_int(num_classes, 'HolisticAdversarialLoss: num_classes')
        self.with_image, self.lambda_gp, self.lambda_d = with_image, lambda_gp, lambda_d
        self.loss_weight = loss_weight
        layers, width = [], num_classes + (3 if with_image else 0)
        for c in channels:
            layers += [nn.Conv2d(width, c, 3, stride=2, padding=1), nn.LeakyReLU(0.2)]
            width = c
        layers.append(nn.Conv2d(width, 1, 1))
        self.discriminator = nn.Sequential(*layers)

    def embed(self, logits: Tensor, image: Optional[Tensor]) -> Tensor:
        """The map D scores: softmax over classes, with the image area-resized to the logit grid when used."""
        probs = logits.float().softmax(dim=1)
        if not self.with_image:
            return probs
        if image is None:
            raise ValueError('HolisticAdversarialLoss: with_image=True needs inputs.image (e.g. a student '
                             "ModuleInputsRecorder on 'backbone'), or set with_image=False.")
        image = F.interpolate(image.detach().float(), size=probs.shape[-2:], mode='area')
        return torch.cat([probs, image], dim=1)

    def critic(self, x: Tensor, params: Optional[Dict[str, Tensor]] = None) -> Tensor:
        """D's score per image (B,); ``params`` replaces D's parameters (e.g. detached copies)."""
        out = self.discriminator(x) if params is None else functional_call(self.discriminator, params, (x,))
        return out.flatten(1).mean(dim=1)

    def gradient_penalty(self, x_s: Tensor, x_t: Tensor) -> Tensor:
        """E[(‖∇_x̂ D(x̂)‖₂ − 1)²] on random interpolates of the detached student and teacher maps."""
        eps = torch.rand(x_s.shape[0], 1, 1, 1, device=x_s.device, dtype=x_s.dtype)
        with torch.enable_grad():
            x_hat = (eps * x_t.detach() + (1 - eps) * x_s.detach()).requires_grad_(True)
            grad, = torch.autograd.grad(self.critic(x_hat).sum(), x_hat, create_graph=True)
            return ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()

    def discriminator_loss(self, x_s: Tensor, x_t: Tensor) -> Tensor:
        """λ_d times the WGAN-GP critic loss on detached maps: gradients reach D only."""
        x_s, x_t = x_s.detach(), x_t.detach()
        wgan = self.critic(x_s).mean() - self.critic(x_t).mean() + self.lambda_gp * self.gradient_penalty(x_s, x_t)
        return self.lambda_d * wgan

    def generator_loss(self, x_s: Tensor) -> Tensor:
        """−λ_adv E[D(x_s)] through a detached copy of D's parameters: gradients reach the student only."""
        frozen = {name: p.detach() for name, p in self.discriminator.named_parameters()}
        return -self.loss_weight * self.critic(x_s, frozen).mean()

    def forward(self, preds_S: Tensors, preds_T: Tensors, image: Optional[Tensors] = None) -> Dict[str, Tensor]:
        s_list, t_list = as_list(preds_S), as_list(preds_T)
        if len(s_list) != 1 or len(t_list) != 1:
            raise ValueError(f'HolisticAdversarialLoss: expects one logit map per side, got {len(s_list)} student '
                             f'and {len(t_list)} teacher maps.')
        s, t = s_list[0], t_list[0]
        if s.shape[:2] != t.shape[:2]:
            raise ValueError(f'HolisticAdversarialLoss: student logits {tuple(s.shape)} and teacher logits '
                             f'{tuple(t.shape)} must have the same batch and class count.')
        img = as_list(image)[0] if image is not None else None
        with autocast_off(s):
            x_s = self.embed(s, img)
            x_t = self.embed(resize_to(t.detach().float(), s.shape[-2:]), img)
            return dict(d=self.discriminator_loss(x_s, x_t), g=self.generator_loss(x_s))
