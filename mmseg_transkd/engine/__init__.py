from .autocast_optim_wrapper import AutocastOptimWrapper
from .note_hook import LogNoteHook
from .save_encoder_hook import SaveEncoderHook
from .zero_grad_optim_wrapper import ZeroGradInPlaceOptimWrapper

__all__ = ['AutocastOptimWrapper', 'LogNoteHook', 'SaveEncoderHook', 'ZeroGradInPlaceOptimWrapper']
