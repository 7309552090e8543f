from .acdc import ACDCDataset
from .camvid import CamVidDataset
from .nyuv2 import NYUv2SegDataset
from .seeded import SeededDefaultSampler, SeededInfiniteSampler, SeededSampleDataset
from .unlabeled import LabeledUnlabeledDataset, LabeledUnlabeledSampler, UnlabeledImageDataset

__all__ = ['ACDCDataset', 'CamVidDataset', 'LabeledUnlabeledDataset', 'LabeledUnlabeledSampler', 'NYUv2SegDataset',
           'SeededDefaultSampler', 'SeededInfiniteSampler', 'SeededSampleDataset', 'UnlabeledImageDataset']
