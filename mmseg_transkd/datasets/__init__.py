from .acdc import ACDCDataset
from .nyuv2 import NYUv2SegDataset
from .seeded import SeededDefaultSampler, SeededInfiniteSampler, SeededSampleDataset

__all__ = ['ACDCDataset', 'NYUv2SegDataset', 'SeededDefaultSampler', 'SeededInfiniteSampler', 'SeededSampleDataset']
