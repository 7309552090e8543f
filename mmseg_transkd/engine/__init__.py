from .autocast_optim_wrapper import AutocastOptimWrapper

__all__ = ["AutocastOptimWrapper"]
from .note_hook import LogNoteHook  # noqa: E402

__all__ += ["LogNoteHook"]
