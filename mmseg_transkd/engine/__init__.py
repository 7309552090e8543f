from .autocast_optim_wrapper import AutocastOptimWrapper
from .save_encoder_hook import SaveEncoderHook

__all__ = ["AutocastOptimWrapper", "SaveEncoderHook"]
