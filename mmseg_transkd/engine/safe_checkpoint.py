"""Checkpoints that survive a crash: all-or-nothing writes, ``last_checkpoint`` after, old files removed last."""
import glob
import os
import os.path as osp

from mmengine.dist import is_main_process
from mmengine.fileio import LocalBackend, get_file_backend, register_backend
from mmengine.hooks import CheckpointHook
from mmseg.registry import HOOKS

from mmseg_transkd.utils.export import atomic_write_bytes


class AtomicLocalBackend(LocalBackend):
    """MMEngine's local file backend whose writes go through a temporary file and a rename
    (:func:`~mmseg_transkd.utils.export.atomic_write_bytes`): a killed writer never leaves a truncated file."""

    def put(self, obj: bytes, filepath) -> None:
        atomic_write_bytes(obj, str(filepath))

    def put_text(self, obj: str, filepath, encoding: str = 'utf-8') -> None:
        atomic_write_bytes(obj.encode(encoding), str(filepath))


register_backend('local_atomic', AtomicLocalBackend, force=True)


@HOOKS.register_module()
class SafeCheckpointHook(CheckpointHook):
    """MMEngine's ``CheckpointHook`` (same arguments and files) made crash-safe for local folders.

    MMEngine 0.10.7 writes ``iter_N.pth`` in place, writes ``last_checkpoint`` in place, and with
    ``max_keep_ckpts`` deletes the oldest kept checkpoint *before* writing the new one, so a kill during the write can
    leave a truncated newest file and no older one. Here, for a local ``out_dir`` without custom ``backend_args``:

    1. every checkpoint (also ``best_*.pth``) is written to a temporary file, synced and renamed into place;
    2. ``last_checkpoint`` is replaced the same way, only after the checkpoint is complete;
    3. checkpoints beyond ``max_keep_ckpts`` are deleted only after both.

    ``tools/train.py`` uses it instead of ``CheckpointHook``; in a config:
    ``default_hooks = dict(checkpoint=dict(type='SafeCheckpointHook', ...))``.
    """

    def before_train(self, runner) -> None:
        super().before_train(runner)
        if self.backend_args is None and self.file_client_args is None and \
                type(self.file_backend) is LocalBackend:
            self.backend_args = dict(backend='local_atomic')
            self.file_backend = get_file_backend(self.out_dir, backend_args=self.backend_args)
            if is_main_process():  # temporary files of writers that were killed are garbage by construction
                for path in {*glob.glob(osp.join(glob.escape(self.out_dir), '.*.pth.*.tmp')),
                             *glob.glob(osp.join(glob.escape(runner.work_dir), '.last_checkpoint.*.tmp'))}:
                    os.remove(path)

    def _save_checkpoint_with_step(self, runner, step, meta) -> None:
        if not isinstance(self.file_backend, AtomicLocalBackend):  # remote storage: MMEngine's own behaviour
            return super()._save_checkpoint_with_step(runner, step, meta)
        outdated = []
        if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids and self.keep_ckpt_ids[-1] == step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                outdated.append(self.keep_ckpt_ids.popleft())
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids', list(self.keep_ckpt_ids))

        ckpt_filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir, ckpt_filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        runner.save_checkpoint(self.out_dir, ckpt_filename, self.file_client_args, save_optimizer=self.save_optimizer,
                               save_param_scheduler=self.save_param_scheduler, meta=meta, by_epoch=self.by_epoch,
                               backend_args=self.backend_args, **self.args)
        if not is_main_process():
            return
        atomic_write_bytes(self.last_ckpt.encode('utf-8'), osp.join(runner.work_dir, 'last_checkpoint'))
        for old in outdated:
            path = self.file_backend.join_path(self.out_dir, self.filename_tmpl.format(old))
            if self.file_backend.isfile(path):
                self.file_backend.remove(path)
            elif self.file_backend.isdir(path):
                self.file_backend.rmtree(path)
