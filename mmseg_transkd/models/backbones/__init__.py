from .official_mit import OfficialMixVisionTransformer
from .pvtv2 import build_pvtv2

__all__ = ['OfficialMixVisionTransformer', 'build_pvtv2']
