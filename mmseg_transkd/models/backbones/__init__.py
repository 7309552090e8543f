from .official_mit import OfficialMixVisionTransformer

__all__ = ['OfficialMixVisionTransformer']
