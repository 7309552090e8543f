"""Writes the KA stage-1 encoder to the work_dir at the end of training."""
import os.path as osp
from typing import Optional

from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmseg.registry import HOOKS


@HOOKS.register_module()
class SaveEncoderHook(Hook):
    """Calls ``model.export_encoder(<work_dir>/<filename>)`` after training (main process only; atomic write).

    KA stage 2 loads the file by path (``FrozenEncoder(encoder=...)``), so the stage-1 checkpoint (autoencoder and
    optimizer state) is not needed afterwards.

    Args:
        filename (str): Defaults to ``'encoder.pth'``.
        out_dir (str, optional): Folder; defaults to the runner's work_dir.
    """

    priority = 'VERY_LOW'

    def __init__(self, filename: str = 'encoder.pth', out_dir: Optional[str] = None) -> None:
        self.filename, self.out_dir = filename, out_dir

    def after_train(self, runner) -> None:
        if not is_main_process():
            return
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        if not hasattr(model, 'export_encoder'):
            raise TypeError(f'SaveEncoderHook needs a model with export_encoder() (KnowledgeTranslator), got '
                            f'{type(model).__name__}; remove the hook from custom_hooks.')
        path = model.export_encoder(osp.join(self.out_dir or runner.work_dir, self.filename))
        print_log(f'KA stage 1: encoder written to {path}', logger='current')
