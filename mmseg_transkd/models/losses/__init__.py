from .c2vkd import ChannelKLDivergence, CrossImageGramLoss, PixelDecoupledKD
from .cwd import ChannelWiseDivergence
from .hcl import HCLoss
from .heteroakd import HeteroAKDLoss, LogitBCELoss, PixelKLDivergence
from .ka import KAAdaptationLoss, KAAffinityLoss
from .stage_mse import StageMSELoss
from .weighted_ce import TRANSKD_CITYSCAPES_WEIGHTS, ClassWeightedCELoss

__all__ = ['HCLoss', 'StageMSELoss', 'ChannelWiseDivergence', 'HeteroAKDLoss', 'LogitBCELoss', 'PixelKLDivergence',
           'ClassWeightedCELoss', 'TRANSKD_CITYSCAPES_WEIGHTS', 'ChannelKLDivergence', 'CrossImageGramLoss',
           'PixelDecoupledKD', 'KAAdaptationLoss', 'KAAffinityLoss']
