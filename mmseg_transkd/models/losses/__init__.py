from .cwd import ChannelWiseDivergence
from .hcl import HCLoss
from .heteroakd import HeteroAKDLoss, LogitBCELoss, PixelKLDivergence
from .stage_mse import StageMSELoss

__all__ = ['HCLoss', 'StageMSELoss', 'ChannelWiseDivergence', 'HeteroAKDLoss', 'LogitBCELoss', 'PixelKLDivergence']
from .c2vkd import ChannelKLDivergence, CrossImageGramLoss, PixelDecoupledKD  # noqa: E402

__all__ += ['ChannelKLDivergence', 'CrossImageGramLoss', 'PixelDecoupledKD']
