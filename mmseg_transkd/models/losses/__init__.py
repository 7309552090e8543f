from .cwd import ChannelWiseDivergence
from .hcl import HCLoss
from .ka import KAAdaptationLoss, KAAffinityLoss
from .heteroakd import HeteroAKDLoss, LogitBCELoss, PixelKLDivergence
from .stage_mse import StageMSELoss

__all__ = ['HCLoss', 'StageMSELoss', 'ChannelWiseDivergence', 'HeteroAKDLoss', 'LogitBCELoss', 'PixelKLDivergence',
           'KAAdaptationLoss', 'KAAffinityLoss']
