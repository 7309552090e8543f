from .mobile_deeplab_head import MobileDeepLabHead
from .official_segformer_head import OfficialSegformerHead

__all__ = ['OfficialSegformerHead', 'MobileDeepLabHead']
