from .pvtv2 import build_pvtv2

__all__ = ['build_pvtv2']
