"""A hook that writes a config's note into the training / test log."""
import logging

from mmengine.hooks import Hook
from mmseg.registry import HOOKS


@HOOKS.register_module()
class LogNoteHook(Hook):
    """Logs ``note`` once at the start of every run, so that a variant which is not the paper's method (e.g.
    C2VKD-noCLIP, which drops the linguistic term) says so in its log.

    Args:
        note (str): The text to log.
        level (str): Logging level name. Defaults to ``'WARNING'``.
    """

    priority = 'VERY_HIGH'

    def __init__(self, note: str, level: str = 'WARNING') -> None:
        if not isinstance(note, str) or not note:
            raise ValueError(f'LogNoteHook: note must be a non-empty string, got {note!r}')
        self.note, self.level = note, getattr(logging, level.upper())

    def before_run(self, runner) -> None:
        runner.logger.log(self.level, self.note)
