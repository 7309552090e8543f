"""Conversion of the official TransKD checkpoints (Liu et al., arXiv 2202.13393) into this plugin's formats.

The official release saves plain ``state_dict()``s (spec §7):

* a **SegFormer** (``mit_b*`` + all-MLP head; teacher B2 or student B0): NVlabs key names (``patch_embed{i}``,
  ``block{i}.{n}``, ``norm{i}``, ``linear_c{i}``, ``linear_fuse``, ``linear_pred``);
* a **KD wrapper** (``SKF``): the student under ``student.`` plus the connectors (``skfs.*``, ``embed{i}_linearproject``;
  GL: ``attn4``, ``conv1``, ``conv2``, ``atten_weight``, ``conv_weight``; EA: top-level ``patch_embed{i}``,
  ``fuse_weights``).

A SegFormer becomes a plain mmseg checkpoint of ``EncoderDecoder(OfficialMixVisionTransformer, OfficialSegformerHead)``
(:func:`official_segformer_cfg`). A KD wrapper becomes a ``DistillSegmentor`` checkpoint (student under
``student.``, connectors under ``connectors.{csf,pea,gl,ea}``, no teacher) plus a student-only checkpoint. The CSF
connector must be built with ``bottleneck='official'``: the official SK unit keeps two bottlenecks (``fc`` with BN for
B > 1, ``fc1`` without norm for B == 1) that have no exact counterpart in the fixed single GroupNorm bottleneck.
"""
import os.path as osp
import re
from collections import OrderedDict
from typing import Dict, List, Optional, Tuple

import torch
from torch import Tensor

from .export import STUDENT_PREFIX, atomic_save, student_state

MIT_HEADS = (1, 2, 5, 8)  # every official mit_b* (not stored in the weights)
GL_HEADS = 8  # the official GL attention takes num_heads[3] of [1, 2, 5, 8]
CONNECTOR_NAMES = dict(csf='csf', pea='pea', gl='gl', ea='ea')  # the connector names of the transkd_* recipes

_MIT_RULES = [  # (official pattern, mmseg template); {s} = stage index 0-based, {n} = block index
    (r'patch_embed(\d)\.proj\.(weight|bias)', 'backbone.layers.{s}.0.projection.{p}'),
    (r'patch_embed(\d)\.norm\.(weight|bias)', 'backbone.layers.{s}.0.norm.{p}'),
    (r'block(\d)\.(\d+)\.norm([12])\.(weight|bias)', 'backbone.layers.{s}.1.{n}.norm{k}.{p}'),
    (r'block(\d)\.(\d+)\.attn\.proj\.(weight|bias)', 'backbone.layers.{s}.1.{n}.attn.attn.out_proj.{p}'),
    (r'block(\d)\.(\d+)\.attn\.sr\.(weight|bias)', 'backbone.layers.{s}.1.{n}.attn.sr.{p}'),
    (r'block(\d)\.(\d+)\.attn\.norm\.(weight|bias)', 'backbone.layers.{s}.1.{n}.attn.norm.{p}'),
    (r'block(\d)\.(\d+)\.mlp\.fc1\.(weight|bias)', 'backbone.layers.{s}.1.{n}.ffn.layers.0.{p}'),
    (r'block(\d)\.(\d+)\.mlp\.dwconv\.dwconv\.(weight|bias)', 'backbone.layers.{s}.1.{n}.ffn.layers.1.{p}'),
    (r'block(\d)\.(\d+)\.mlp\.fc2\.(weight|bias)', 'backbone.layers.{s}.1.{n}.ffn.layers.4.{p}'),
    (r'norm(\d)\.(weight|bias)', 'backbone.layers.{s}.2.{p}'),
    (r'linear_c(\d)\.proj\.(weight|bias)', 'decode_head.linear_c.{s}.{p}'),
    (r'linear_fuse\.conv\.(weight)', 'decode_head.linear_fuse.conv.{p}'),
    (r'linear_fuse\.bn\.(weight|bias|running_mean|running_var|num_batches_tracked)', 'decode_head.linear_fuse.bn.{p}'),
    (r'linear_pred\.(weight|bias)', 'decode_head.conv_seg.{p}'),
]
_QKV = re.compile(r'block(\d)\.(\d+)\.attn\.(q|kv)\.(weight|bias)')
_BN = r'(weight|bias|running_mean|running_var|num_batches_tracked)'
_CSF_RULES = [  # official skfs.{k} sub-key -> our SelectiveFusionUnit sub-key
    (r'conv([12])\.0\.weight', 'conv{a}.conv.weight'),
    (r'conv([12])\.1\.' + _BN, 'conv{a}.bn.{b}'),
    (r'fc\.0\.(weight)', 'fc.conv.{a}'),
    (r'fc\.1\.' + _BN, 'fc.bn.{a}'),
    (r'fc1\.0\.(weight)', 'fc1.conv.{a}'),
    (r'fcs\.([01])\.(weight|bias)', 'fcs.{a}.{b}'),
]


class OfficialCheckpointError(ValueError):
    """The file is not an official TransKD / SegFormer checkpoint that this converter understands."""


def _fail(path: str, why: str) -> None:
    raise OfficialCheckpointError(
        f'"{path}": {why}. convert_official_transkd.py converts the official TransKD release\'s checkpoints only: a '
        'SegFormer state dict (keys patch_embed1.*, block1.0.attn.q.*, linear_pred.*; the teacher B2 or a student '
        'B0) or a KD wrapper state dict (student.* plus skfs.*, embed{1-4}_linearproject.*, and the GL or EA keys).')


def load_official(path: str) -> Dict[str, Tensor]:
    """Reads an official checkpoint (a bare state dict; a ``module.`` prefix from DataParallel is stripped)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'checkpoint file "{path}" not found.')
    obj = torch.load(path, map_location='cpu', weights_only=True)
    if isinstance(obj, dict) and isinstance(obj.get('state_dict'), dict):
        obj = obj['state_dict']
    if not isinstance(obj, dict) or not obj or not all(isinstance(v, Tensor) for v in obj.values()):
        _fail(path, 'it is not a state dict of tensors')
    if all(k.startswith('module.') for k in obj):
        obj = {k[len('module.'):]: v for k, v in obj.items()}
    return OrderedDict(obj)


def detect(state: Dict[str, Tensor], path: str = '<state dict>') -> Tuple[str, Optional[str]]:
    """``('segformer', None)`` or ``('transkd', 'base' | 'gl' | 'ea')``; anything else raises a clear error."""
    keys = set(state)
    if any(k.startswith(('backbone.', 'student.backbone.', 'decode_head.')) for k in keys):
        _fail(path, 'it is already in mmseg / mmseg_transkd format (backbone.* / student.backbone.* keys); load it '
                    'directly')
    if {'patch_embed1.proj.weight', 'block1.0.attn.q.weight', 'linear_pred.weight'} <= keys:
        return 'segformer', None
    if 'student.patch_embed1.proj.weight' in keys and 'skfs.0.conv1.0.weight' in keys:
        gl = {'attn4.qkv.weight', 'atten_weight', 'conv_weight'} & keys
        ea = any(k.startswith('fuse_weights.') for k in keys)
        if gl and ea:
            _fail(path, 'it has both GL-Mixer and EA keys, which no official variant has')
        return 'transkd', 'gl' if gl else 'ea' if ea else 'base'
    if any(k.startswith('student.') for k in keys):
        _fail(path, 'it has student.* keys but no CSF (skfs.*) or no official MiT student (student.patch_embed1.*): '
                    'it is not a TransKD wrapper with a SegFormer student (PVTv2 / LVT wrappers are not supported)')
    _fail(path, f'no known key layout (first keys: {sorted(keys)[:4]})')


def _mit_arch(state: Dict[str, Tensor], path: str) -> dict:
    stages = sorted({int(m.group(1)) for k in state for m in [re.match(r'patch_embed(\d)\.proj\.weight$', k)] if m})
    if stages != [1, 2, 3, 4]:
        _fail(path, f'a SegFormer has 4 patch embeddings, found {stages}')
    dims = [state[f'patch_embed{i}.proj.weight'].shape[0] for i in stages]
    depths = [len({k.split('.')[1] for k in state if k.startswith(f'block{i}.')}) for i in stages]
    srs = [state[f'block{i}.0.attn.sr.weight'].shape[-1] if f'block{i}.0.attn.sr.weight' in state else 1
           for i in stages]
    mlp = state['block1.0.mlp.fc1.weight'].shape[0] // dims[0]
    return dict(embed_dims=dims[0], dims=dims, num_layers=depths, sr_ratios=srs, mlp_ratio=mlp,
                head_channels=state['linear_c1.proj.weight'].shape[0],
                num_classes=state['linear_pred.weight'].shape[0])


def convert_segformer(state: Dict[str, Tensor], path: str = '<state dict>') -> Tuple[Dict[str, Tensor], dict]:
    """Official SegFormer keys → ``EncoderDecoder(OfficialMixVisionTransformer, OfficialSegformerHead)`` keys.

    Returns the converted state dict and the architecture read from the shapes (see :func:`official_segformer_cfg`).
    """
    arch = _mit_arch(state, path)
    out, used = OrderedDict(), set()
    qkv: Dict[Tuple[str, str, str], Dict[str, Tensor]] = {}
    for key, value in state.items():
        m = _QKV.fullmatch(key)
        if m:
            qkv.setdefault((m.group(1), m.group(2), m.group(4)), {})[m.group(3)] = value
            used.add(key)
            continue
        for pattern, template in _MIT_RULES:
            m = re.fullmatch(pattern, key)
            if not m:
                continue
            g = m.groups()
            if template.startswith('backbone.layers.{s}.1'):
                fields = dict(s=int(g[0]) - 1, n=g[1], k=g[2] if len(g) == 4 else '', p=g[-1])
            elif len(g) == 2:
                fields = dict(s=int(g[0]) - 1, p=g[1])
            else:
                fields = dict(p=g[0])
            if '.mlp.fc' in key and value.dim() == 2:  # Linear -> 1x1 conv
                value = value[:, :, None, None]
            out[template.format(**fields)] = value
            used.add(key)
            break
    for (s, n, p), parts in qkv.items():
        if set(parts) != {'q', 'kv'}:
            _fail(path, f'block{s}.{n}.attn has {sorted(parts)} {p} but needs both q and kv')
        # nn.MultiheadAttention's in-projection stacks q, k, v; the official kv Linear stores k then v.
        out[f'backbone.layers.{int(s) - 1}.1.{n}.attn.attn.in_proj_{p}'] = torch.cat([parts['q'], parts['kv']])
    unknown = sorted(set(state) - used)
    if unknown:
        _fail(path, f'{len(unknown)} keys have no counterpart in a SegFormer: {unknown[:8]}')
    return out, arch


def official_segformer_cfg(embed_dims: int, num_layers: List[int], sr_ratios: List[int], head_channels: int,
                           num_classes: int = 20, mlp_ratio: int = 4, **_) -> dict:
    """mmseg model config of the official SegFormer: official-eps MiT, official all-MLP head, no normalisation
    (the release feeds ``ToTensor`` values in [0, 1], i.e. std 255 on 0..255 pixels, RGB)."""
    return dict(
        type='EncoderDecoder',
        data_preprocessor=dict(type='SegDataPreProcessor', mean=[0.0, 0.0, 0.0], std=[255.0, 255.0, 255.0],
                               bgr_to_rgb=True, pad_val=0, seg_pad_val=255),
        backbone=dict(type='OfficialMixVisionTransformer', in_channels=3, embed_dims=embed_dims, num_stages=4,
                      num_layers=list(num_layers), num_heads=list(MIT_HEADS), patch_sizes=[7, 3, 3, 3],
                      sr_ratios=list(sr_ratios), out_indices=(0, 1, 2, 3), mlp_ratio=mlp_ratio, qkv_bias=True,
                      drop_rate=0.0, attn_drop_rate=0.0, drop_path_rate=0.1),
        decode_head=dict(type='OfficialSegformerHead', in_channels=[embed_dims * h for h in MIT_HEADS],
                         in_index=[0, 1, 2, 3], channels=head_channels, dropout_ratio=0.1, num_classes=num_classes,
                         norm_cfg=dict(type='BN', requires_grad=True), align_corners=False,
                         loss_decode=dict(type='ClassWeightedCELoss')),
        train_cfg=dict(), test_cfg=dict(mode='whole'))


def convert_transkd(state: Dict[str, Tensor], variant: str,
                    path: str = '<state dict>') -> Tuple[Dict[str, Tensor], dict]:
    """Official KD wrapper keys → ``DistillSegmentor`` keys (student + connectors; the wrapper holds no teacher)."""
    student = OrderedDict((k[len(STUDENT_PREFIX):], v) for k, v in state.items() if k.startswith(STUDENT_PREFIX))
    converted, arch = convert_segformer(student, path + ' (student.*)')
    out = OrderedDict((STUDENT_PREFIX + k, v) for k, v in converted.items())
    used = {k for k in state if k.startswith(STUDENT_PREFIX)}
    n = len({k.split('.')[1] for k in state if k.startswith('skfs.')})
    teacher_dims = [None] * n
    for key, value in state.items():
        m = re.fullmatch(r'skfs\.(\d+)\.(.+)', key)
        if m:  # skfs is stored deepest first: skfs.0 is the last stage's unit
            unit = n - 1 - int(m.group(1))
            for pattern, template in _CSF_RULES:
                r = re.fullmatch(pattern, m.group(2))
                if r:
                    a, b = (r.groups() + ('',))[:2]
                    out[f'connectors.csf.units.{unit}.' + template.format(a=a, b=b)] = value
                    used.add(key)
                    if m.group(2) == 'conv2.0.weight':
                        teacher_dims[unit] = value.shape[0]
                    break
            continue
        m = re.fullmatch(r'embed(\d)_linearproject\.(weight|bias)', key)
        if m:
            out[f'connectors.pea.projs.{int(m.group(1)) - 1}.{m.group(2)}'] = value
            used.add(key)
    if None in teacher_dims or n != 4:
        _fail(path, f'the CSF keys (skfs.*) describe {n} units with teacher widths {teacher_dims}; 4 are expected')
    pea = sorted(k for k in out if k.startswith('connectors.pea.projs.'))
    if len(pea) != 8:
        _fail(path, f'PEA needs embed1..4_linearproject weight and bias, found {len(pea)} of 8 tensors')
    if variant == 'gl':
        names = {'attn4.qkv.weight': 'qkv.weight', 'attn4.proj.weight': 'proj.weight', 'attn4.proj.bias': 'proj.bias',
                 'conv1.weight': 'conv1.weight', 'conv1.bias': 'conv1.bias', 'conv2.weight': 'conv2.weight',
                 'conv2.bias': 'conv2.bias', 'atten_weight': 'alpha', 'conv_weight': 'beta'}
        missing = sorted(set(names) - set(state))
        if missing:
            _fail(path, f'a TransKD-GL wrapper needs {missing}')
        for src, dst in names.items():
            out[f'connectors.gl.{dst}'] = state[src]
            used.add(src)
    if variant == 'ea':
        for key, value in state.items():
            m = re.fullmatch(r'patch_embed(\d)\.(proj|norm)\.(weight|bias)', key)
            if m:
                out[f'connectors.ea.embeds.{int(m.group(1)) - 1}.{m.group(2)}.{m.group(3)}'] = value
                used.add(key)
        weights = [f'fuse_weights.{k}' for k in range(2 * n)]
        if not set(weights) <= set(state) or len([k for k in out if k.startswith('connectors.ea.embeds.')]) != 16:
            _fail(path, 'a TransKD-EA wrapper needs patch_embed1..4.{proj,norm}.{weight,bias} and fuse_weights.0..7')
        # fuse_weights.0..3 weigh the PEA outputs of stages 1..4, .4..7 the EA outputs: rows 0 and 1 of ours.
        out['connectors.ea.fuse_weights'] = torch.cat([state[k].reshape(1) for k in weights]).view(2, n)
        used.update(weights)
    unknown = sorted(set(state) - used)
    if unknown:
        _fail(path, f'{len(unknown)} keys of the {variant} wrapper have no counterpart: {unknown[:8]}')
    arch['teacher_dims'] = teacher_dims
    return out, arch


def convert_file(src: str, out: str, student_out: Optional[str] = None) -> dict:
    """Converts the official checkpoint ``src``; writes ``out`` (and, for a KD wrapper, the student-only
    ``student_out``, default ``<out>_student.pth``) atomically. Returns what was detected and written."""
    state = load_official(src)
    kind, variant = detect(state, src)
    meta = dict(source=osp.abspath(src), converted_by='tools/convert_official_transkd.py',
                official=dict(kind=kind, variant=variant))
    if kind == 'segformer':
        converted, arch = convert_segformer(state, src)
        atomic_save({'meta': meta, 'state_dict': converted}, out)
        return dict(kind=kind, variant=None, arch=arch, checkpoint=out, student=None, tensors=len(converted))
    converted, arch = convert_transkd(state, variant, src)
    meta['official']['csf_bottleneck'] = 'official'
    student_out = student_out or osp.splitext(out)[0] + '_student.pth'
    if osp.abspath(student_out) == osp.abspath(out):
        raise ValueError(f'the student-only output "{student_out}" is the distiller output; give another path')
    student = student_state(converted)
    atomic_save({'meta': meta, 'state_dict': converted}, out)
    atomic_save({'meta': dict(meta, exported_by='mmseg_transkd.export_student'), 'state_dict': student}, student_out)
    return dict(kind=kind, variant=variant, arch=arch, checkpoint=out, student=student_out, tensors=len(converted))
