from .acdc import ACDCDataset
from .camvid import CamVidDataset
from .nyuv2 import NYUv2SegDataset
from .seeded import SeededDefaultSampler, SeededInfiniteSampler, SeededSampleDataset

__all__ = ['ACDCDataset', 'CamVidDataset', 'NYUv2SegDataset', 'SeededDefaultSampler', 'SeededInfiniteSampler',
           'SeededSampleDataset']
