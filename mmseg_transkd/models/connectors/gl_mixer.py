"""Global-Local Context Mixer (GL-Mixer) of TransKD (Liu et al., arXiv 2202.13393)."""
from typing import List, Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmengine.model.weight_init import trunc_normal_
from mmseg.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class GLMixer(BaseModule):
    """Mixes global and local context into one student patch embedding before PEA (TransKD-GL).

    For the student embedding e (B×N×C) of ``stage`` (the deepest by default):

    * global: multi-head self-attention over all N tokens, ``qkv`` Linear C→3C without bias, scale head_dim^-1/2, no
      spatial reduction, no norm, ``proj`` Linear C→C;
    * local: a gated 1-D convolution over the token sequence, ``conv1(t) ⊙ sigmoid(conv2(t))`` with two Conv1d C→C,
      k3/p1 (tokens in raster order, so neighbours wrap across image rows, as in the paper's release);
    * ẽ = α·global + β·local (+ e when ``add_identity``).

    The other stages pass through unchanged. GL-Mixer only changes the distillation target path, never the student's
    logits.

    Fixes of the official release (spec §5.3): α and β were ``torch.FloatTensor(1)``, i.e. uninitialised memory, and
    the attention's weight init was never applied. Here α and β start at ``alpha_init`` / ``beta_init``
    (1.0 and 1.0 by default: each branch enters at unit weight, like a residual sum of the two), and the attention
    Linears use trunc_normal(std=0.02) with zero bias (``attn_init='trunc_normal'``; ``'pytorch'`` keeps PyTorch's
    default Linear init, what the release trains with, for the release-exact configs). The Conv1d layers keep PyTorch's
    default init, as released.

    Args:
        channels (Sequence[int]): Student embedding widths per stage (filled from the student by the distiller).
        num_heads (int | Sequence[int]): Attention heads; a per-stage list (the student backbone's ``num_heads``) is
            indexed with ``stage``.
        stage (int): Which stage's embedding is mixed. Defaults to -1 (the deepest, as in TransKD).
        alpha_init (float): Initial α (global branch weight). Defaults to 1.0.
        beta_init (float): Initial β (local branch weight). Defaults to 1.0.
        add_identity (bool): Add e back (the official ``--add``; off for the reported TransKD-GL). Defaults to False.
        attn_init (str): ``'trunc_normal'`` (default, the fix) or ``'pytorch'`` (as released) for ``qkv`` and
            ``proj``.
    """

    def __init__(self, channels: Sequence[int], num_heads: Union[int, Sequence[int]], stage: int = -1,
                 alpha_init: float = 1.0, beta_init: float = 1.0, add_identity: bool = False,
                 attn_init: str = 'trunc_normal', init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if attn_init not in ('trunc_normal', 'pytorch'):
            raise ValueError(f"GLMixer: attn_init must be 'trunc_normal' or 'pytorch', got {attn_init!r}")
        self.attn_init = attn_init
        self.stage = stage
        dim = channels[stage]
        heads = num_heads[stage] if isinstance(num_heads, (list, tuple)) else num_heads
        if heads is None:
            raise ValueError('GLMixer: num_heads is not set (the transkd_gl recipe takes the student backbone\'s '
                             'num_heads; set connectors.gl.num_heads for a backbone without one)')
        if dim % heads:
            raise ValueError(f'GLMixer: embedding width {dim} of stage {stage} is not divisible by {heads} heads')
        self.num_heads = heads
        self.qkv = nn.Linear(dim, 3 * dim, bias=False)
        self.proj = nn.Linear(dim, dim)
        self.conv1 = nn.Conv1d(dim, dim, 3, padding=1)
        self.conv2 = nn.Conv1d(dim, dim, 3, padding=1)
        self.alpha = nn.Parameter(torch.tensor([float(alpha_init)]))
        self.beta = nn.Parameter(torch.tensor([float(beta_init)]))
        self.alpha_init, self.beta_init = float(alpha_init), float(beta_init)
        self.add_identity = add_identity
        self.init_weights()

    def init_weights(self) -> None:
        """Deterministic init (see class docstring)."""
        if self.init_cfg is not None:
            return super().init_weights()
        for lin in (self.qkv, self.proj):
            if self.attn_init == 'pytorch':
                lin.reset_parameters()
                continue
            trunc_normal_(lin.weight, std=0.02)
            if lin.bias is not None:
                nn.init.zeros_(lin.bias)
        for conv in (self.conv1, self.conv2):
            conv.reset_parameters()
        with torch.no_grad():
            self.alpha.fill_(self.alpha_init)
            self.beta.fill_(self.beta_init)

    def attention(self, x: Tensor) -> Tensor:
        """Full multi-head self-attention over the N tokens of x (B×N×C)."""
        b, n, c = x.shape
        q, k, v = self.qkv(x).reshape(b, n, 3, self.num_heads, c // self.num_heads).permute(2, 0, 3, 1, 4)
        out = F.scaled_dot_product_attention(q, k, v)  # softmax(q kᵀ / sqrt(head_dim)) v
        return self.proj(out.transpose(1, 2).reshape(b, n, c))

    def local(self, x: Tensor) -> Tensor:
        """Gated 1-D convolution over the token sequence of x (B×N×C)."""
        t = x.transpose(1, 2)
        return (self.conv1(t) * torch.sigmoid(self.conv2(t))).transpose(1, 2)

    def forward(self, embeds: List[Tensor]) -> List[Tensor]:
        out = list(embeds)
        e = out[self.stage]
        mixed = self.alpha * self.attention(e) + self.beta * self.local(e)
        out[self.stage] = mixed + e if self.add_identity else mixed
        return out
