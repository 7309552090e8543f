"""mmseg's MixVisionTransformer with the LayerNorm epsilons of the official SegFormer / TransKD release."""
import torch.nn as nn
from mmseg.models.backbones import MixVisionTransformer
from mmseg.registry import MODELS


def _no_head_average(module: nn.Module, args: tuple, kwargs: dict) -> tuple:
    """Asks ``nn.MultiheadAttention`` for per-head weights: mmseg discards the weights, and averaging them over the
    heads is a full extra pass over each attention map (the output does not depend on it)."""
    kwargs['average_attn_weights'] = False
    return args, kwargs


@MODELS.register_module()
class OfficialMixVisionTransformer(MixVisionTransformer):
    """MiT (Xie et al., NeurIPS 2021) numerically equal to the official release that TransKD builds on
    (Liu et al., arXiv 2202.13393, spec §0).

    mmseg's ``MixVisionTransformer`` computes the same function as the official ``mit_b*`` (q and kv Linears ↔ one
    in-projection, Linear Mix-FFN ↔ 1×1 convs), but builds every LayerNorm from one ``norm_cfg`` (eps 1e-6). The
    official release uses eps 1e-6 for the block and stage norms and PyTorch's default 1e-5 for the patch-embedding
    LayerNorm (spec §0/§7) and for the spatial-reduction LayerNorm of the attention ([I]: the official ``Attention``
    builds that norm without an eps argument; the spec lists the key, not its eps). This class sets those two eps
    after building, so converted official checkpoints reproduce the official features and logits.

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
