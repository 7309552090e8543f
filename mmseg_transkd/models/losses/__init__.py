from .cwd import ChannelWiseDivergence
from .hcl import HCLoss
from .stage_mse import StageMSELoss

__all__ = ['HCLoss', 'StageMSELoss', 'ChannelWiseDivergence']
