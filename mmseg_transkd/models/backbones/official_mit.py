"""mmseg's MixVisionTransformer with the LayerNorm epsilons and the weight initialisation of the official SegFormer /
TransKD release."""
import math

import torch.nn as nn
from mmseg.models.backbones import MixVisionTransformer
from mmseg.models.backbones.mit import MixFFN
from mmseg.registry import MODELS


def release_trunc_normal_(weight, bias=None) -> None:
    """The release's ``nn.Linear`` init: trunc_normal(std 0.02, cut at ±2) and a zero bias."""
    nn.init.trunc_normal_(weight, std=0.02, a=-2.0, b=2.0)
    if bias is not None:
        nn.init.zeros_(bias)


def release_conv_(conv: nn.Conv2d) -> None:
    """The release's ``nn.Conv2d`` init: normal(0, √(2 / fan_out)) with fan_out = k_h·k_w·C_out / groups, zero bias."""
    fan_out = conv.kernel_size[0] * conv.kernel_size[1] * conv.out_channels // conv.groups
    nn.init.normal_(conv.weight, 0.0, math.sqrt(2.0 / fan_out))
    if conv.bias is not None:
        nn.init.zeros_(conv.bias)


def _no_head_average(module: nn.Module, args: tuple, kwargs: dict) -> tuple:
    """Asks ``nn.MultiheadAttention`` for per-head weights: mmseg discards the weights, and averaging them over the
    heads is a full extra pass over each attention map (the output does not depend on it)."""
    kwargs['average_attn_weights'] = False
    return args, kwargs


@MODELS.register_module()
class OfficialMixVisionTransformer(MixVisionTransformer):
    """MiT (Xie et al., NeurIPS 2021) numerically equal to the official release that TransKD builds on
    (Liu et al., arXiv 2202.13393, spec §0), from its LayerNorm epsilons to its random initialisation.

    mmseg's ``MixVisionTransformer`` computes the same function as the official ``mit_b*`` (q and kv Linears ↔ one
    in-projection, Linear Mix-FFN ↔ 1×1 convs), but builds every LayerNorm from one ``norm_cfg`` (eps 1e-6). The
    official release uses eps 1e-6 for the block and stage norms and PyTorch's default 1e-5 for the patch-embedding
    LayerNorm (spec §0/§7) and for the spatial-reduction LayerNorm of the attention ([I]: the official ``Attention``
    builds that norm without an eps argument; the spec lists the key, not its eps). This class sets those two eps
    after building, so converted official checkpoints reproduce the official features and logits.

    **Initialisation** (``init_cfg=None``, the non-pretrained paper-protocol student). The release applies one rule
    per layer type to every module (spec §0): ``nn.Linear`` trunc_normal(std 0.02) with zero bias, LayerNorm weight 1 /
    bias 0, ``nn.Conv2d`` normal(0, √(2/fan_out)) with fan_out = k_h·k_w·C_out / groups and zero bias. mmseg 1.2.2's
    ``MixVisionTransformer.init_weights`` applies the same three rules by module type, but its layers are of other
    types where the release has Linears: the attention's q/k/v in-projection is a parameter of
    ``nn.MultiheadAttention`` (left at PyTorch's xavier_uniform over the 3C×C matrix, std √(1/(2C)), bias 0) and the
    Mix-FFN's fc1/fc2 are 1×1 convs (normal with std √(2/C_out): √(1/(2C)) and √(2/C) instead of 0.02). Here every
    parameter gets the rule of the release layer it stands for:

    ===============================================  ===================================  ==========================
    mmseg parameter                                  release layer                        init
    ===============================================  ===================================  ==========================
    ``layers.i.0.projection`` (patch-embed conv)     ``patch_embed{i}.proj`` Conv2d       normal √(2/(k²·C_i)), b 0
    ``attn.attn.in_proj_weight/bias`` (3C×C)         ``attn.q`` (C×C) + ``attn.kv`` (2C×C)  trunc_normal 0.02, b 0
    ``attn.attn.out_proj``                           ``attn.proj`` Linear                 trunc_normal 0.02, b 0
    ``attn.sr`` (sr_ratio > 1)                       ``attn.sr`` Conv2d r×r               normal √(2/(r²·C)), b 0
    ``ffn.layers.0`` / ``ffn.layers.4`` (1×1 convs)  ``mlp.fc1`` / ``mlp.fc2`` Linear      trunc_normal 0.02, b 0
    ``ffn.layers.1`` (3×3 depth-wise conv)           ``mlp.dwconv.dwconv`` (groups 4C)    normal √(2/9), b 0
    every LayerNorm                                  every LayerNorm                      weight 1, bias 0
    ===============================================  ===================================  ==========================

    (``trunc_normal`` cuts at ±2, i.e. ±100σ: a plain normal in effect.) With a non-None ``init_cfg`` (e.g. the
    teacher's ImageNet ``Pretrained``) mmseg's ``init_weights`` runs unchanged. The initialisation changes no forward.

    Speed (issue 19): mmseg's attention calls ``nn.MultiheadAttention`` with its defaults, which also return the
    attention weights averaged over the heads, a full pass over every B×heads×N×N' attention map that mmseg then
    discards. Here each attention is called with ``average_attn_weights=False`` (a forward pre-hook): the same
    operations compute the output, bit for bit, without the average. The official MiT computes no average either.

    Args:
        patch_norm_eps (float): eps of the patch-embedding LayerNorms. Defaults to 1e-5.
        sr_norm_eps (float): eps of the attention's spatial-reduction LayerNorms. Defaults to 1e-5.
        **kwargs: :class:`MixVisionTransformer` arguments.
    """

    def __init__(self, patch_norm_eps: float = 1e-5, sr_norm_eps: float = 1e-5, **kwargs) -> None:
        super().__init__(**kwargs)
        for patch_embed, blocks, _ in self.layers:
            self._set_eps(patch_embed.norm, patch_norm_eps)
            for block in blocks:
                if getattr(block.attn, 'sr_ratio', 1) > 1:
                    self._set_eps(block.attn.norm, sr_norm_eps)
                if isinstance(getattr(block.attn, 'attn', None), nn.MultiheadAttention):
                    block.attn.attn.register_forward_pre_hook(_no_head_average, with_kwargs=True)

    @staticmethod
    def _set_eps(norm: nn.Module, eps: float) -> None:
        if not isinstance(norm, nn.LayerNorm):
            raise TypeError(f'OfficialMixVisionTransformer expects LayerNorms (norm_cfg type LN), got {norm}')
        norm.eps = eps

    def init_weights(self) -> None:
        """The release's initialisation (class docstring) unless ``init_cfg`` is given (then mmseg's)."""
        if self.init_cfg is not None:
            return super().init_weights()
        self.release_init()

    def release_init(self) -> None:
        """Initialises every parameter as the release initialises the layer it stands for (table above)."""
        pointwise = set()  # the Mix-FFN 1x1 convs: the release's fc1 / fc2 Linears
        for m in self.modules():
            if isinstance(m, MixFFN):
                convs = [c for c in m.layers if isinstance(c, nn.Conv2d)]
                pointwise.update(id(c) for c in convs if c.kernel_size == (1, 1) and c.groups == 1)
        for m in self.modules():
            if isinstance(m, nn.MultiheadAttention):
                # q and kv: each row of the in-projection is one output unit of the release's q or kv Linear
                release_trunc_normal_(m.in_proj_weight, m.in_proj_bias)
            elif isinstance(m, nn.Linear):  # the attention out_proj
                release_trunc_normal_(m.weight, m.bias)
            elif isinstance(m, nn.Conv2d):
                if id(m) in pointwise:
                    release_trunc_normal_(m.weight, m.bias)
                else:
                    release_conv_(m)
            elif isinstance(m, nn.LayerNorm):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
