"""PVTv2 backbones for mmseg, taken from MMDetection (an optional dependency) rather than written here.

PVTv2: Improved Baselines with Pyramid Vision Transformer (Wang et al., Computational Visual Media 2022,
arXiv 2106.13797). TransKD (Liu et al., arXiv 2202.13393, spec §3.2) distils a PVTv2-B2 + semantic-FPN teacher into a
PVTv2-B0 + semantic-FPN student with CSF + PEA.
"""
import torch.nn as nn
from mmseg.registry import MODELS

INSTALL_HINT = ('the PVTv2 backbone (type="PVTv2") comes from the optional package MMDetection; install it with '
                '`pip install "mmdet==3.3.0"` or `pip install -e ".[pvtv2]"`')


@MODELS.register_module(name='PVTv2')
def build_pvtv2(**kwargs) -> nn.Module:
    """Builds MMDetection's ``PyramidVisionTransformerV2`` (mmdet >= 3.0) for an mmseg segmentor.

    The network has the layout of mmseg's MiT, so the same recorders serve TransKD: ``layers[i]`` is
    ``[PatchEmbed, blocks, norm]``; ``PatchEmbed`` (overlapping conv 7/4/3 for stage 1, 3/2/1 after, then LayerNorm)
    returns ``(tokens B×N_i×C_i, (h_i, w_i))`` — the PEA target — and the backbone returns the stage maps after the
    per-stage LayerNorm as B×C_i×h_i×w_i — the CSF target (spec §3.2: "features after stage LN, embeds after
    patch-embed LN"). MMDetection's defaults are PVTv2's: mlp ratios 8/8/4/4, heads 1/2/5/8, sr 8/4/2/1, qkv bias,
    drop-path 0.1, depth-wise conv in the FFN; ``embed_dims=32, num_layers=[2, 2, 2, 2]`` is B0 and
    ``embed_dims=64, num_layers=[3, 4, 6, 3]`` is B2. ``init_cfg=dict(type='Pretrained', checkpoint=URL)`` loads the
    ImageNet weights of the PVT release and converts their key names.

    Args:
        **kwargs: Passed to ``mmdet.models.backbones.PyramidVisionTransformerV2``.

    Raises:
        ImportError: When MMDetection is not installed (or does not fit the installed mmcv), naming what to install.
    """
    try:
        from mmdet.models.backbones.pvt import PyramidVisionTransformerV2
    except (ImportError, AssertionError) as err:  # mmdet asserts its mmcv range at import time
        raise ImportError(f'{INSTALL_HINT} ({type(err).__name__}: {err}).') from None
    return PyramidVisionTransformerV2(**kwargs)
