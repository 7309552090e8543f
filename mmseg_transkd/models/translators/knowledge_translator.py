"""KA stage 1, knowledge translation (He et al., CVPR 2019, arXiv 1903.04688): train an autoencoder on the frozen
teacher's feature, through the ordinary ``tools/train.py`` and MMEngine runner."""
import copy
from typing import List, Optional, Tuple

import torch
from mmseg.models.segmentors import BaseSegmentor
from mmseg.registry import MODELS, TASK_UTILS
from mmseg.utils import OptSampleList, SampleList
from torch import Tensor

from ..connectors.ka import FeatureAutoencoder, save_encoder
from ..losses.ka import autoencoder_loss
from ..teacher import build_frozen_teacher, drop_teacher_keys, ignore_missing_teacher_keys, teacher_model_cfg


@MODELS.register_module()
class KnowledgeTranslator(BaseSegmentor):
    """Stage 1 of Knowledge Adaptation: the teacher-feature autoencoder (seeds.md §3.2 item 1).

    The teacher is built from its config and checkpoint exactly as :class:`DistillSegmentor` does (frozen, eval mode at
    all times, ``no_grad``) and run only as far as the tapped feature φ_t (its decode head only if the tap sits in it).
    The autoencoder is trained with L_ae = ‖φ_t − D(E(φ_t))‖² + α‖E(φ_t)‖₁, α = 1e-7 (reductions: see
    :func:`~mmseg_transkd.models.losses.ka.autoencoder_loss`), logged as ``loss_recon`` and ``loss_latent_l1``; the
    relative reconstruction error ‖φ_t − D(E(φ_t))‖² / ‖φ_t‖² is logged as ``recon_rel`` (not a loss), to watch
    for the trivial identity mapping.

    The inputs are normalised by the teacher's own ``data_preprocessor``. Checkpoints hold the autoencoder only, never
    the teacher. :meth:`export_encoder` (called by ``SaveEncoderHook`` at the end of training) writes ``encoder.pth``,
    which stage 2 loads by path (``FrozenEncoder``).

    [I] Stage 1 has no validation: there is nothing to segment, and the reconstruction is only a means to train E.
    Its configs set ``val_cfg``/``test_cfg`` to None; :meth:`predict` raises.

    Args:
        teacher (dict): ``dict(config=<model cfg or config file>, checkpoint=<path or URL>, strict=True)``;
            ``load_checkpoint=False`` keeps random weights (shapes / FLOPs only).
        tap (dict): Recorder config of φ_t, e.g. ``dict(type='ModuleInputsRecorder', source='decode_head.conv_seg')``
            (the feature of the teacher's last conv layer, before the classifier).
        autoencoder (dict): ``FeatureAutoencoder`` config; ``in_channels`` is measured on the teacher unless set.
        alpha (float): Weight of the latent L1 term. Defaults to 1e-7.
        reduction (str): ``'mean'`` (both terms divided by φ_t's C·H·W) or ``'sum'`` (the paper's per-sample sums);
            both average over the batch. Defaults to ``'mean'``.
        probe_size (tuple[int, int]): Input size of the build-time probe forward. Defaults to (64, 64).
        data_preprocessor (dict, optional): Used only when the teacher's config has none.
    """

    def __init__(self, teacher: dict, tap: dict, autoencoder: dict, alpha: float = 1e-7, reduction: str = 'mean',
                 probe_size: Tuple[int, int] = (64, 64), data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        teacher_cfg = teacher_model_cfg(teacher, 'model.teacher')
        if teacher_cfg.get('data_preprocessor') is not None:
            data_preprocessor = copy.deepcopy(teacher_cfg['data_preprocessor'])
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.teacher = build_frozen_teacher(dict(teacher, config=teacher_cfg), 'model.teacher')
        self.teacher_checkpoint = teacher.get('checkpoint')
        self.tap = TASK_UTILS.build(tap)
        try:
            self.tap.attach(self.teacher)
        except ValueError as err:
            raise ValueError(f'model.tap: {err}') from None
        self._tap_heads = sorted({s.split('.')[0] for s in self.tap.sources if s.split('.')[0].endswith('head')})
        if reduction not in ('mean', 'sum'):
            raise ValueError(f"model.reduction must be 'mean' or 'sum', got {reduction!r}")
        self.alpha, self.reduction = alpha, reduction
        self._register_state_dict_hook(drop_teacher_keys)
        self.register_load_state_dict_post_hook(ignore_missing_teacher_keys)

        autoencoder = copy.deepcopy(dict(autoencoder))
        if autoencoder.get('in_channels') is None:
            x = torch.randn(1, 3, *probe_size, generator=torch.Generator().manual_seed(0))
            try:
                autoencoder['in_channels'] = self.teacher_feature(x).shape[1]
            except Exception as err:
                raise RuntimeError(f'model: the build-time probe forward of the teacher at input size {probe_size} '
                                   f'failed ({err}). Set model.probe_size to a size the teacher accepts.') from err
        self.autoencoder = MODELS.build(autoencoder)
        if not isinstance(self.autoencoder, FeatureAutoencoder):
            raise ValueError(f'model.autoencoder must be a FeatureAutoencoder, got {type(self.autoencoder).__name__}')

    def train(self, mode: bool = True) -> 'KnowledgeTranslator':
        """Sets the autoencoder's mode; the teacher stays in eval mode."""
        super().train(mode)
        self.teacher.eval()
        return self

    @torch.no_grad()
    def teacher_feature(self, inputs: Tensor) -> Tensor:
        """φ_t: the frozen teacher run as far as the tap (backbone, neck, and a head only if the tap is in it)."""
        self.tap.enabled = True
        try:
            feats = self.teacher.extract_feat(inputs)
            for head in self._tap_heads:
                getattr(self.teacher, head)(feats)
            value = self.tap.value
        finally:
            self.tap.enabled = False
            self.tap.reset()
        if len(value) != 1:
            raise ValueError(f'model.tap records {len(value)} tensors; KA translates one feature map (pick one '
                             'module, e.g. source="decode_head.conv_seg").')
        return value[0].detach().float()

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        feat = self.teacher_feature(inputs)
        latent, recon = self.autoencoder(feat)
        loss_recon, loss_l1 = autoencoder_loss(feat, latent, recon, self.alpha, self.reduction)
        with torch.no_grad():
            rel = (recon.detach().float() - feat).pow(2).sum() / feat.pow(2).sum().clamp(min=1e-12)
        return dict(loss_recon=loss_recon, loss_latent_l1=loss_l1, recon_rel=rel)

    def export_encoder(self, path: str) -> str:
        """Writes the encoder E to ``path`` (atomically) in the form stage 2's ``FrozenEncoder`` loads."""
        return save_encoder(self.autoencoder, path, extra_meta=dict(
            teacher_checkpoint=str(self.teacher_checkpoint), tap=list(self.tap.sources)))

    def predict(self, inputs: Tensor, data_samples: OptSampleList = None) -> SampleList:
        raise RuntimeError('KnowledgeTranslator (KA stage 1) trains the feature autoencoder only and predicts no '
                           'segmentation; evaluate the stage-2 student instead (its config has val/test loops).')

    def _forward(self, inputs: Tensor, data_samples: OptSampleList = None) -> Tuple[Tensor, Tensor]:
        """``(latent, reconstruction)`` of the teacher feature."""
        return self.autoencoder(self.teacher_feature(inputs))

    def extract_feat(self, inputs: Tensor) -> List[Tensor]:
        return [self.teacher_feature(inputs)]

    def encode_decode(self, inputs: Tensor, batch_img_metas: List[dict]) -> Tensor:
        return self.predict(inputs)
