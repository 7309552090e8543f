from .adversarial import HolisticAdversarialLoss
from .c2vkd import ChannelKLDivergence, CrossImageGramLoss, PixelDecoupledKD
from .cirkd import PixelPairContrastLoss, PixelRegionContrastLoss
from .cwd import ChannelWiseDivergence
from .dist import DISTLoss
from .ensemble import EnsembleKLDivergence
from .fitnet import FitNetLoss
from .hcl import HCLoss
from .heteroakd import HeteroAKDLoss, LogitBCELoss, PixelKLDivergence
from .ifvd import IFVLoss
from .ka import KAAdaptationLoss, KAAffinityLoss
from .skd import PairwiseAffinityLoss
from .stage_mse import StageMSELoss
from .weighted_ce import TRANSKD_CITYSCAPES_WEIGHTS, ClassWeightedCELoss

__all__ = ['HCLoss', 'StageMSELoss', 'ChannelWiseDivergence', 'HeteroAKDLoss', 'LogitBCELoss', 'PixelKLDivergence',
           'ClassWeightedCELoss', 'TRANSKD_CITYSCAPES_WEIGHTS', 'ChannelKLDivergence', 'CrossImageGramLoss',
           'PixelDecoupledKD', 'KAAdaptationLoss', 'KAAffinityLoss', 'FitNetLoss', 'PairwiseAffinityLoss', 'IFVLoss',
           'PixelPairContrastLoss', 'PixelRegionContrastLoss', 'DISTLoss',
           'HolisticAdversarialLoss', 'EnsembleKLDivergence']
