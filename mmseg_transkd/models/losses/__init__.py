from .cirkd import PixelPairContrastLoss, PixelRegionContrastLoss
from .cwd import ChannelWiseDivergence
from .dist import DISTLoss
from .fitnet import FitNetLoss
from .hcl import HCLoss
from .heteroakd import HeteroAKDLoss, LogitBCELoss, PixelKLDivergence
from .ifvd import IFVLoss
from .skd import PairwiseAffinityLoss
from .stage_mse import StageMSELoss

__all__ = ['HCLoss', 'StageMSELoss', 'ChannelWiseDivergence', 'HeteroAKDLoss', 'LogitBCELoss', 'PixelKLDivergence',
           'FitNetLoss', 'PairwiseAffinityLoss', 'IFVLoss', 'PixelPairContrastLoss', 'PixelRegionContrastLoss',
           'DISTLoss']
