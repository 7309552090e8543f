from .abf import ABF, ABFUnit
from .c2vkd import C2VKDLinguisticAdapter, C2VKDVisualAdapter, CLIPAttentionPool2d
from .csf import CSF, SelectiveFusionUnit
from .embedding_assistant import EmbeddingAssistant
from .gl_mixer import GLMixer
from .ka import FeatureAutoencoder, FrozenEncoder, KAAdapter
from .logit_projector import LogitProjector
from .pea import PEA
from .regressor import FeatureRegressor

__all__ = ['CSF', 'SelectiveFusionUnit', 'PEA', 'GLMixer', 'EmbeddingAssistant', 'LogitProjector',
           'C2VKDVisualAdapter', 'C2VKDLinguisticAdapter', 'CLIPAttentionPool2d', 'FeatureAutoencoder',
           'FrozenEncoder', 'KAAdapter', 'ABF', 'ABFUnit', 'FeatureRegressor']
