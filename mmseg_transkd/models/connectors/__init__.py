from .csf import CSF, SelectiveFusionUnit
from .embedding_assistant import EmbeddingAssistant
from .gl_mixer import GLMixer
from .logit_projector import LogitProjector
from .pea import PEA

__all__ = ['CSF', 'SelectiveFusionUnit', 'PEA', 'GLMixer', 'EmbeddingAssistant', 'LogitProjector']
from .abf import ABF, ABFUnit  # noqa: E402
from .regressor import FeatureRegressor  # noqa: E402

__all__ += ['ABF', 'ABFUnit', 'FeatureRegressor']
