"""Knowledge Adaptation (He et al., CVPR 2019, arXiv 1903.04688): teacher-feature autoencoder, frozen encoder, adapter.

No official code exists; the modules follow seeds.md §3.2 and every [I] there is decided (and recorded) here:

* Encoder E: three 3×3 conv + BN + ReLU layers with strides whose product is OS_student / OS_teacher-tap, so the latent
  lands on the student's grid ([2, 2, 1] for the 1/4 DeepLabV3+ decoder feature, [2, 1, 1] for an OS8 layer4 tap).
  Channels C → C → k·C → k·C with k = 0.5.
* Decoder D: three transposed convs mirroring E (kernel 3, padding 1, ``output_padding = stride − 1`` so each one
  exactly undoes the matching conv on even sizes); the first two with BN + ReLU, the last one linear (no BN, no
  activation) so the reconstruction can take any value range of the teacher feature.
* The stage-1 encoder is stored as ``encoder.pth`` (:func:`save_encoder`): ``meta`` holds the architecture, so stage 2
  (:class:`FrozenEncoder`) checks that the file is what its config describes.
"""
import os.path as osp
from typing import List, Optional, Sequence, Union

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule, build_norm_layer
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from torch import Tensor

from ..losses.utils import one_int, resize_to

ENCODER_KIND = 'mmseg_transkd.ka_encoder'
Feats = Union[Tensor, Sequence[Tensor]]


class EncoderFileError(OSError):
    """A stage-1 encoder file that cannot be used (not an encoder file, or one of another architecture)."""


def _last(x: Feats, stage: int = -1) -> Tensor:
    """One map of a recorded value: a tensor, or the ``stage``-th entry of a recorder's list."""
    return x if isinstance(x, Tensor) else list(x)[stage]


def encoder_channels(in_channels: int, latent_ratio: float = 0.5) -> List[int]:
    """C → C → k·C → k·C: the output channels of the three encoder layers (seeds.md §3.2 [I], k = 0.5)."""
    latent = max(1, int(round(in_channels * latent_ratio)))
    return [in_channels, latent, latent]


class FeatureEncoder(nn.Sequential):
    """E of the KA autoencoder: three 3×3 conv + BN + ReLU layers with the given strides."""

    def __init__(self, in_channels: int, channels: Sequence[int], strides: Sequence[int],
                 norm_cfg: dict = dict(type='BN')) -> None:
        if len(channels) != 3 or len(strides) != 3:
            raise ValueError(f'FeatureEncoder: 3 layers, so 3 channels and 3 strides; got channels={list(channels)}, '
                             f'strides={list(strides)}.')
        layers, c_in = [], in_channels
        for c_out, s in zip(channels, strides):
            layers.append(ConvModule(c_in, c_out, 3, stride=s, padding=1, norm_cfg=norm_cfg, act_cfg=dict(type='ReLU')))
            c_in = c_out
        super().__init__(*layers)


class FeatureDecoder(nn.Sequential):
    """D of the KA autoencoder: three transposed convs mirroring :class:`FeatureEncoder`; the last one is linear."""

    def __init__(self, in_channels: int, channels: Sequence[int], strides: Sequence[int],
                 norm_cfg: dict = dict(type='BN')) -> None:
        # mirror: latent k·C -> k·C -> C -> C, strides reversed
        outs = [channels[1], channels[0], in_channels]
        layers, c_in = [], channels[2]
        for i, (c_out, s) in enumerate(zip(outs, list(strides)[::-1])):
            last = i == 2
            conv = nn.ConvTranspose2d(c_in, c_out, 3, stride=s, padding=1, output_padding=s - 1, bias=last)
            if last:
                layers.append(conv)
            else:
                layers.append(nn.Sequential(conv, build_norm_layer(norm_cfg, c_out)[1], nn.ReLU(inplace=True)))
            c_in = c_out
        super().__init__(*layers)


@MODELS.register_module()
class FeatureAutoencoder(BaseModule):
    """The KA knowledge-translation autoencoder (seeds.md §3.2 item 1): ``latent = E(φ_t)``, ``recon = D(latent)``.

    Trained in stage 1 (:class:`~mmseg_transkd.models.translators.KnowledgeTranslator`) on the frozen teacher's
    feature; only E is used afterwards (frozen, :class:`FrozenEncoder`).

    Args:
        in_channels (int | Sequence[int]): C of the teacher feature (filled from the teacher by a probe forward).
        strides (Sequence[int]): Strides of the three encoder layers; their product must be OS_student / OS_tap.
        latent_ratio (float): k; channels C → C → k·C → k·C. Defaults to 0.5.
        norm_cfg (dict): Defaults to ``dict(type='BN')``.

    Returns (forward): ``(latent, reconstruction)``.
    """

    def __init__(self, in_channels: Union[int, Sequence[int]], strides: Sequence[int] = (2, 2, 1),
                 latent_ratio: float = 0.5, norm_cfg: dict = dict(type='BN'), init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.in_channels = one_int(in_channels, 'FeatureAutoencoder: in_channels')
        self.channels = encoder_channels(self.in_channels, latent_ratio)
        self.strides = [int(s) for s in strides]
        self.norm_cfg = dict(norm_cfg)
        self.encoder = FeatureEncoder(self.in_channels, self.channels, self.strides, norm_cfg)
        self.decoder = FeatureDecoder(self.in_channels, self.channels, self.strides, norm_cfg)

    def arch(self) -> dict:
        """What stage 2 must rebuild: stored in ``encoder.pth``'s meta."""
        return dict(in_channels=self.in_channels, channels=list(self.channels), strides=list(self.strides),
                    norm_type=self.norm_cfg.get('type'))

    def forward(self, x: Tensor):
        latent = self.encoder(x)
        recon = self.decoder(latent)
        if recon.shape[-2:] != x.shape[-2:]:  # odd sizes: the transposed convs give back a pixel more or less
            recon = resize_to(recon, x.shape[-2:])
        return latent, recon


def save_encoder(autoencoder: FeatureAutoencoder, path: str, extra_meta: Optional[dict] = None) -> str:
    """Writes the encoder of a trained :class:`FeatureAutoencoder` to ``path`` atomically (no half file)."""
    from mmseg_transkd.utils.export import atomic_save
    state = {k: v.detach().cpu().clone() for k, v in autoencoder.encoder.state_dict().items()}
    meta = dict(kind=ENCODER_KIND, **autoencoder.arch(), **(extra_meta or {}))
    atomic_save({'meta': meta, 'state_dict': state}, path)
    return path


def load_encoder_file(path: str) -> dict:
    """Reads ``encoder.pth``; clear errors for a missing file or a file of another kind."""
    if not isinstance(path, str) or not path:
        raise ValueError(f'FrozenEncoder: encoder must be the path of the encoder.pth written by KA stage 1, got '
                         f'{path!r}.')
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'FrozenEncoder: encoder file "{path}" not found. Train KA stage 1 first (python tools/train.py '
            'configs/ka/<...>_stage1_<...>.py writes <work_dir>/encoder.pth at the end of training), then point the '
            'stage-2 config at it, e.g. --cfg-options model.connectors.translate.encoder=/path/to/encoder.pth.')
    try:
        obj = torch.load(path, map_location='cpu', weights_only=True)
    except Exception as err:  # not a torch file, or one with arbitrary objects
        raise EncoderFileError(f'FrozenEncoder: "{path}" cannot be read as an encoder file ({err}). Give the '
                               'encoder.pth that KA stage 1 wrote.') from None
    meta = obj.get('meta') if isinstance(obj, dict) else None
    if not isinstance(meta, dict) or meta.get('kind') != ENCODER_KIND or not isinstance(obj.get('state_dict'), dict):
        keys = list(obj.get('state_dict', obj))[:3] if isinstance(obj, dict) else type(obj).__name__
        raise EncoderFileError(
            f'FrozenEncoder: "{path}" is not a KA encoder file (meta.kind != "{ENCODER_KIND}"; first keys: {keys}). '
            'Give the encoder.pth that KA stage 1 wrote into its work_dir, not a training checkpoint.')
    return obj


@MODELS.register_module()
class FrozenEncoder(nn.Module):
    """Stage 2 of KA: the stage-1 encoder E, loaded by path, frozen and in eval mode (BN statistics fixed) at all times.

    Applied to the teacher's tapped feature, it gives the translated teacher knowledge E(φ_t) that the adaptation and
    affinity losses compare the student against (seeds.md §3.2, items 1, 3, 4). It has no trainable parameter and
    no gradient flows through it (its input is the detached teacher feature).

    Args:
        in_channels (int | Sequence[int]): C of the teacher feature (``channels_from``).
        encoder (str): Path of the ``encoder.pth`` written by stage 1.
        strides (Sequence[int]): Must equal the file's; checked. Defaults to (2, 2, 1).
        latent_ratio (float): Must give the file's channels; checked. Defaults to 0.5.
        norm_cfg (dict): Defaults to ``dict(type='BN')``.
        load_checkpoint (bool): False keeps random weights (only for counting FLOPs or checking shapes).
            Defaults to True.
    """

    def __init__(self, in_channels: Union[int, Sequence[int]], encoder: Optional[str] = None,
                 strides: Sequence[int] = (2, 2, 1), latent_ratio: float = 0.5, norm_cfg: dict = dict(type='BN'),
                 load_checkpoint: bool = True) -> None:
        super().__init__()
        in_channels = one_int(in_channels, 'FrozenEncoder: in_channels')
        channels, strides = encoder_channels(in_channels, latent_ratio), [int(s) for s in strides]
        self.encoder = FeatureEncoder(in_channels, channels, strides, norm_cfg)
        self.source = encoder
        if load_checkpoint:
            obj = load_encoder_file(encoder)
            meta = obj['meta']
            want = dict(in_channels=in_channels, channels=channels, strides=strides)
            got = {k: meta.get(k) for k in want}
            if got != want:
                raise EncoderFileError(
                    f'FrozenEncoder: "{encoder}" holds an encoder with {got}, but this config describes {want} '
                    '(in_channels from the teacher tap, channels from latent_ratio, strides). Use the stage-1 run of '
                    'the same teacher tap and autoencoder settings.')
            self.encoder.load_state_dict(obj['state_dict'], strict=True)
        self.requires_grad_(False)
        self.eval()

    def train(self, mode: bool = True) -> 'FrozenEncoder':
        """Always eval: E's BN statistics are those of stage 1."""
        return super().train(False)

    def forward(self, feats: Feats) -> Tensor:
        return self.encoder(_last(feats))


@MODELS.register_module()
class KAAdapter(BaseModule):
    """A student-side adapter of KA (seeds.md §3.2 item 2): conv (k×k, stride 1) [+ BN + ReLU] on one recorded map.

    * Feature adapter C_f: ``kernel_size=3``, BN + ReLU (the defaults), out_channels = the latent's channels.
    * Affinity adapter C_a: one 3×3 conv (``norm_cfg=None, act_cfg=None``), same channels as C_f [I].
    * FitNet regressor (baseline): a plain conv to the teacher's channels, output resized to the teacher's grid.

    Args:
        in_channels (int | Sequence[int]): Channels of the recorded student maps (``channels_from``).
        out_channels (int | Sequence[int]): Output channels (``channels_from`` a teacher-side reference).
        kernel_size (int): Defaults to 3.
        stage (int): Which map of a multi-map recorder to adapt. Defaults to -1 (the last).
        norm_cfg (dict, optional): Defaults to ``dict(type='BN')``.
        act_cfg (dict, optional): Defaults to ``dict(type='ReLU')``.

    Forward: ``adapter(feats, like=None)``; with ``like`` (a tensor or recorder value) the output is resized
    bilinearly to its grid (FitNet's "upsample the student feature to the teacher's size").
    """

    def __init__(self, in_channels: Union[int, Sequence[int]], out_channels: Union[int, Sequence[int]],
                 kernel_size: int = 3, stage: int = -1, norm_cfg: Optional[dict] = dict(type='BN'),
                 act_cfg: Optional[dict] = dict(type='ReLU'), init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if isinstance(in_channels, (list, tuple)):
            in_channels = in_channels[stage]
        self.stage = stage
        self.conv = ConvModule(int(in_channels), one_int(out_channels, 'KAAdapter: out_channels'), kernel_size,
                               padding=kernel_size // 2, norm_cfg=norm_cfg, act_cfg=act_cfg)

    def forward(self, feats: Feats, like: Optional[Feats] = None) -> Tensor:
        out = self.conv(_last(feats, self.stage))
        return out if like is None else resize_to(out, _last(like).shape[-2:])
