"""C2VKD connectors (Zheng, Luo, Zhou, Wang, "Distilling Efficient Vision Transformers from CNNs for Semantic
Segmentation", arXiv 2310.07265, Pattern Recognition 2024): the student's visual and linguistic adapters and the
teacher's frozen CLIP attention-pool head.

The official release lacks the attention-pool module and its weights; these follow the reconstruction in seeds.md §1.2
and §1.3. Every [I] choice is recorded in the class docstrings.
"""
import math
import os.path as osp
from typing import Dict, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from torch import Tensor

from ..losses.utils import Tensors, as_list, autocast_off, one_int

IntOrList = Union[int, Sequence[int]]
EXTRACT_HINT = ('Extract the pool from a CLIP RN101 checkpoint you have with '
                '`python tools/extract_clip_attnpool.py RN101.pt checkpoints/clip_rn101_attnpool.pth` (nothing is '
                'downloaded), or train without the linguistic term with the explicitly named noclip config '
                '(configs/c2vkd/*_noclip.py).')
# Key names of CLIP's ModifiedResNet ``visual.attnpool`` (AttentionPool2d), in the order they are checked.
ATTNPOOL_KEYS = ('positional_embedding', 'k_proj.weight', 'k_proj.bias', 'q_proj.weight', 'q_proj.bias',
                 'v_proj.weight', 'v_proj.bias', 'c_proj.weight', 'c_proj.bias')
ATTNPOOL_PREFIXES = ('visual.attnpool.', 'attnpool.', '')


class AttnPoolCheckpointError(Exception):
    """A CLIP attention-pool checkpoint that cannot be used (wrong keys or shapes, unreadable file)."""


def as_list_int(value: IntOrList) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [int(value)]


@MODELS.register_module()
class C2VKDVisualAdapter(BaseModule):
    """Student visual adapter of C2VKD: the last stage → 1×1 conv C_s→2048 (no bias) → bilinear ×``scale_factor``.

    Gives the student feature F_s' compared with the teacher's ResNet layer4 by the global (channel-KL) and patch
    (cross-image Gram) terms of VLFD (seeds.md §1.2: MiT stage 4 at 16×16 → Conv1×1 → up to 32×32 for a 512 crop).

    [I] The common grid is ``scale_factor`` (2) × the student's last-stage grid, i.e. 1/16 of the input for a MiT,
    the grid of the paper's OS16 teacher; the losses resize the teacher's layer4 (1/8 for mmseg's R101-D8) to it, so
    the teacher's output stride does not matter. Upsampling is bilinear with ``align_corners=False``.

    Args:
        in_channels (int | Sequence[int]): Channels of every student stage (filled from the network).
        out_channels (int | Sequence[int]): Teacher layer4 channels (2048), filled from the network.
        stage (int): The student stage to adapt. Defaults to -1 (the last).
        scale_factor (float): Upsampling factor to the common grid. Defaults to 2.

    Returns (forward): B×out_channels×(scale·h)×(scale·w).
    """

    def __init__(self, in_channels: IntOrList, out_channels: IntOrList, stage: int = -1, scale_factor: float = 2,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        in_list = as_list_int(in_channels)
        self.stage, self.scale_factor = stage, scale_factor
        self.conv = nn.Conv2d(in_list[stage], one_int(out_channels, 'C2VKDVisualAdapter: out_channels'), 1, bias=False)

    def forward(self, feats: Tensors) -> Tensor:
        x = self.conv(as_list(feats)[self.stage])
        if self.scale_factor == 1:
            return x
        return F.interpolate(x, scale_factor=self.scale_factor, mode='bilinear', align_corners=False)


@MODELS.register_module()
class C2VKDLinguisticAdapter(BaseModule):
    """Student linguistic adapter of C2VKD: last stage → global average pool → 1×1 conv C_s→512 (no bias) → g_s.

    The student's counterpart of the teacher's CLIP attention-pool vector g_t (seeds.md §1.2). Pooling before the
    (linear) 1×1 conv gives the same result as after it, for h·w times less work.

    Args:
        in_channels (int | Sequence[int]): Channels of every student stage (filled from the network).
        out_channels (int | Sequence[int]): Width of g_t (512 for CLIP RN101), filled from the teacher pool.
        stage (int): The student stage to pool. Defaults to -1.

    Returns (forward): B×out_channels.
    """

    def __init__(self, in_channels: IntOrList, out_channels: IntOrList, stage: int = -1,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.stage = stage
        self.proj = nn.Conv2d(as_list_int(in_channels)[stage], one_int(out_channels, 'C2VKDLinguisticAdapter: out_channels'), 1,
                              bias=False)

    def forward(self, feats: Tensors) -> Tensor:
        x = as_list(feats)[self.stage]
        return self.proj(x.mean(dim=(2, 3), keepdim=True)).flatten(1)


def check_attnpool_state(state: dict, embed_dim: int, output_dim: int, where: str) -> Dict[str, Tensor]:
    """Picks CLIP's ``visual.attnpool`` tensors out of a state dict and checks their key names and shapes.

    The keys may be bare (``tools/extract_clip_attnpool.py`` output) or under ``visual.attnpool.`` / ``attnpool.``
    (a whole CLIP state dict), optionally inside ``state_dict``; other keys are ignored. Returns fp32 tensors under
    the bare names. Raises ``AttnPoolCheckpointError`` listing every missing key and wrong shape.
    """
    if isinstance(state, dict) and isinstance(state.get('state_dict'), dict):
        state = state['state_dict']
    if not isinstance(state, dict):
        raise AttnPoolCheckpointError(f'{where} holds a {type(state).__name__}, not a state dict. {EXTRACT_HINT}')
    prefix = next((p for p in ATTNPOOL_PREFIXES if f'{p}c_proj.weight' in state), '')
    found = {k: state[prefix + k] for k in ATTNPOOL_KEYS if isinstance(state.get(prefix + k), Tensor)}
    problems = [f'missing {prefix + k}' for k in ATTNPOOL_KEYS if k not in found]
    expected = {'k_proj.weight': (embed_dim, embed_dim), 'q_proj.weight': (embed_dim, embed_dim),
                'v_proj.weight': (embed_dim, embed_dim), 'k_proj.bias': (embed_dim,), 'q_proj.bias': (embed_dim,),
                'v_proj.bias': (embed_dim,), 'c_proj.weight': (output_dim, embed_dim), 'c_proj.bias': (output_dim,)}
    for k, shape in expected.items():
        if k in found and tuple(found[k].shape) != shape:
            problems.append(f'{prefix + k} is {tuple(found[k].shape)}, expected {shape}')
    pos = found.get('positional_embedding')
    if pos is not None:
        side = math.isqrt(max(pos.shape[0] - 1, 0)) if pos.dim() == 2 else 0
        if pos.dim() != 2 or pos.shape[1] != embed_dim or side < 1 or side * side + 1 != pos.shape[0]:
            problems.append(f'{prefix}positional_embedding is {tuple(pos.shape)}, expected (S*S+1, {embed_dim})')
    if problems:
        raise AttnPoolCheckpointError(
            f'{where} is not a CLIP attention pool for embed_dim={embed_dim}, output_dim={output_dim} '
            f'(CLIP RN101: 2048 -> 512, 32 heads): ' + '; '.join(problems) + f'. {EXTRACT_HINT}')
    return {k: v.float() for k, v in found.items()}


def load_attnpool(path: Optional[str], embed_dim: int, output_dim: int) -> Dict[str, Tensor]:
    """Reads a CLIP ``visual.attnpool`` checkpoint file (see :func:`check_attnpool_state`); fp32 tensors.

    Raises:
        FileNotFoundError: ``path`` is None or missing.
        AttnPoolCheckpointError: unreadable file (e.g. OpenAI's TorchScript ``RN101.pt``: extract it first),
            missing keys or wrong shapes.
    """
    key = 'model.connectors.<teacher pool>.attnpool_ckpt'
    if path is None:
        raise FileNotFoundError(f'{key} is not set: C2VKD\'s linguistic term needs the frozen CLIP RN101 attention '
                                f'pool. {EXTRACT_HINT}')
    if not osp.isfile(path):
        raise FileNotFoundError(f'{key}: "{path}" not found. {EXTRACT_HINT} Then pass --cfg-options '
                                'model.connectors.ling_t.attnpool_ckpt=/path/to/clip_rn101_attnpool.pth.')
    try:
        state = torch.load(path, map_location='cpu', weights_only=True)
    except Exception as err:  # TorchScript archives (OpenAI's RN101.pt) and non-torch files land here
        raise AttnPoolCheckpointError(f'{key}: cannot read "{path}" as a torch state dict ({err}). {EXTRACT_HINT}')
    return check_attnpool_state(state, embed_dim, output_dim, f'{key}: "{path}"')


POS_EMBED_MODES = ('bilinear', 'bicubic')


def resize_positional_embedding(pos: Tensor, size: Tuple[int, int], mode: str = 'bilinear') -> Tensor:
    """(S²+1)×C CLIP positional embedding → (h·w+1)×C: the class-token row kept, the S×S grid part resized to
    ``size`` = (h, w) with ``mode`` (``align_corners=False``); returned unchanged when the grid already is h×w."""
    side = math.isqrt(pos.shape[0] - 1)
    if (side, side) == tuple(size):
        return pos
    grid = pos[1:].reshape(side, side, -1).permute(2, 0, 1)[None]
    grid = F.interpolate(grid, size=tuple(size), mode=mode, align_corners=False)
    return torch.cat([pos[:1], grid[0].flatten(1).t()], dim=0)


@MODELS.register_module()
class CLIPAttentionPool2d(nn.Module):
    """The teacher's frozen linguistic head of C2VKD: CLIP's attention pool (Radford et al., ICML 2021) → g_t.

    DenseCLIP's form of the pool (Rao et al., CVPR 2022), which the official ``att.py`` uses (issue 25): teacher layer4
    (B×2048×h×w) is flattened to tokens **at its own grid**, a mean token is prepended, and the positional embedding,
    stored on a ``pool_size``² grid (+1 class row), is interpolated to h×w (class row kept) and added; one multi-head
    attention step with the mean token as the only query (32 heads, q/k/v/c_proj linears with bias, 1/√d scaling)
    gives g_t ∈ R^512, the "global" output. DenseCLIP also returns the dense tokens, which C2VKD never uses, so only
    the global token is computed (the other queries do not change it). For the paper's OS16 teacher at 512² the pool
    sees layer4's 32×32 tokens with the 16×16 embedding interpolated to 32×32 (before issue 25 the map was resized to
    16×16 instead, which changes g_t).

    Weights come only from the user's ``attnpool_ckpt``, checked by key names and shapes (see
    :func:`load_attnpool`); there is no random initialisation, so a missing file is an error, never silent random
    weights (use the ``noclip`` config to drop the term explicitly).

    Frozen: the weights are non-persistent buffers, so they get no gradient, are not in the optimizer, and are not
    written to checkpoints (they are re-read from ``attnpool_ckpt`` on resume; the exported student never has
    connectors). ``train()`` always keeps the module in eval mode; the forward runs in fp32, under ``no_grad`` on the
    teacher side (the default).

    [I] choices: OpenAI CLIP RN101's ``visual.attnpool`` is the substitute for the authors' unknown weights (spec
    §1.3). Its 7×7 (+1) embedding is resized once at load, bilinearly (``align_corners=False``, the spec's substitute),
    to the authors' ``pool_size``² = 16² (+1) (``AttentionPool2d(spacial_dim=16)`` in ``att.py``; a checkpoint that
    already has ``pool_size``² + 1 rows is used as it is), and that grid is interpolated to the input's grid at every
    forward, as DenseCLIP's pool does. The forward interpolation uses ``pos_embed_mode`` (default ``'bilinear'``):
    neither the spec nor the issue names DenseCLIP's mode; bilinear is the mode the spec names for the load-time
    resize, so both resizes use one mode; ``'bicubic'`` is the alternative. An OS8 teacher's layer4 (64×64 at 512²)
    is pooled at its own grid as well, with the embedding interpolated to 64×64.

    Student side (``detach_input=False``, the competing reading of the official script, which passes the student's
    features through the same frozen pool, issue 15): the weights stay frozen buffers, but the forward keeps the
    autograd graph of its input, so the gradient reaches the student through the pool.

    Args:
        attnpool_ckpt (str): Path of the pool's weights (``tools/extract_clip_attnpool.py`` output, or a state dict
            with ``visual.attnpool.*`` keys).
        embed_dim (int | Sequence[int]): Teacher layer4 channels (2048), filled from the network.
        num_heads (int): Attention heads. Defaults to 32 (CLIP RN101: width 64·32 / 64).
        output_dim (int): Width of g_t. Defaults to 512 (CLIP RN101's embedding).
        pool_size (int): Side of the stored positional grid (DenseCLIP's ``spacial_dim``). Defaults to 16.
        pos_embed_mode (str): Interpolation of the stored grid to the input's grid, ``'bilinear'`` or
            ``'bicubic'``. Defaults to ``'bilinear'``.
        detach_input (bool): Pool a detached input under ``no_grad`` (the teacher side). ``False`` pools a student
            feature with its gradient. Defaults to True.
    """

    def __init__(self, attnpool_ckpt: Optional[str], embed_dim: IntOrList = 2048, num_heads: int = 32,
                 output_dim: int = 512, pool_size: int = 16, pos_embed_mode: str = 'bilinear',
                 detach_input: bool = True) -> None:
        super().__init__()
        embed_dim = one_int(embed_dim, 'CLIPAttentionPool2d: embed_dim')
        if embed_dim % num_heads:
            raise ValueError(f'CLIPAttentionPool2d: embed_dim {embed_dim} is not divisible by num_heads {num_heads}.')
        if pos_embed_mode not in POS_EMBED_MODES:
            raise ValueError(f'CLIPAttentionPool2d: pos_embed_mode must be one of {POS_EMBED_MODES}, got '
                             f'{pos_embed_mode!r}')
        weights = load_attnpool(attnpool_ckpt, embed_dim, output_dim)
        self.attnpool_ckpt, self.embed_dim, self.num_heads = attnpool_ckpt, embed_dim, num_heads
        self.output_dim, self.pool_size, self.detach_input = output_dim, pool_size, detach_input
        self.pos_embed_mode = pos_embed_mode
        weights['positional_embedding'] = resize_positional_embedding(weights['positional_embedding'],
                                                                       (pool_size, pool_size))
        for k, v in weights.items():
            self.register_buffer(k.replace('.', '_'), v, persistent=False)
        self.eval()

    def train(self, mode: bool = True) -> 'CLIPAttentionPool2d':
        """Frozen: stays in eval mode whatever the runner asks."""
        return super().train(False)

    def forward(self, feats: Tensors) -> Tensor:
        x = as_list(feats)[-1]
        if self.detach_input:
            with torch.no_grad():
                return self.pool(x.detach())
        return self.pool(x)

    def pool(self, x: Tensor) -> Tensor:
        """B×C×h×w → B×output_dim, the global (mean-token) output of the attention pool, in fp32."""
        with autocast_off(x):
            x = x.float()
            pos = resize_positional_embedding(self.positional_embedding, x.shape[-2:], self.pos_embed_mode)
            tokens = x.flatten(2).transpose(1, 2)  # B × hw × C
            tokens = torch.cat([tokens.mean(dim=1, keepdim=True), tokens], dim=1) + pos
            b, n, c = tokens.shape
            heads, dim = self.num_heads, c // self.num_heads
            q = F.linear(tokens[:, :1], self.q_proj_weight, self.q_proj_bias).view(b, 1, heads, dim).transpose(1, 2)
            k = F.linear(tokens, self.k_proj_weight, self.k_proj_bias).view(b, n, heads, dim).transpose(1, 2)
            v = F.linear(tokens, self.v_proj_weight, self.v_proj_bias).view(b, n, heads, dim).transpose(1, 2)
            attn = (q @ k.transpose(-2, -1) / math.sqrt(dim)).softmax(dim=-1)  # B × heads × 1 × n
            pooled = (attn @ v).transpose(1, 2).reshape(b, c)
            return F.linear(pooled, self.c_proj_weight, self.c_proj_bias)

    def extra_repr(self) -> str:
        return (f'embed_dim={self.embed_dim}, num_heads={self.num_heads}, output_dim={self.output_dim}, '
                f'pool_size={self.pool_size}, pos_embed_mode={self.pos_embed_mode!r}, detach_input={self.detach_input}, '
                f'attnpool_ckpt={self.attnpool_ckpt!r} (frozen)')
