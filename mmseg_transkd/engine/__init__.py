from .autocast_optim_wrapper import AutocastOptimWrapper
from .exact_resume import ExactResumeEpochBasedTrainLoop, ExactResumeHook, ExactResumeIterBasedTrainLoop
from .note_hook import LogNoteHook
from .safe_checkpoint import SafeCheckpointHook
from .save_encoder_hook import SaveEncoderHook
from .split_optim_wrapper import SplitOptimizer, SplitOptimWrapperConstructor
from .zero_grad_optim_wrapper import ZeroGradInPlaceOptimWrapper

__all__ = ['AutocastOptimWrapper', 'ExactResumeEpochBasedTrainLoop', 'ExactResumeHook', 'ExactResumeIterBasedTrainLoop',
           'LogNoteHook', 'SafeCheckpointHook', 'SaveEncoderHook', 'SplitOptimizer', 'SplitOptimWrapperConstructor',
           'ZeroGradInPlaceOptimWrapper']
