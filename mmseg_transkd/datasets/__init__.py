from .acdc import ACDCDataset
from .camvid import CamVidDataset
from .nyuv2 import NYUv2SegDataset

__all__ = ['ACDCDataset', 'CamVidDataset', 'NYUv2SegDataset']
