from .acdc import ACDCDataset
from .nyuv2 import NYUv2SegDataset

__all__ = ['ACDCDataset', 'NYUv2SegDataset']
