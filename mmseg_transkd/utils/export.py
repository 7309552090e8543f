"""Export of a deployable student from a distillation checkpoint."""
import copy
import io
import os
import os.path as osp
import secrets
from typing import Optional

import torch
from mmengine.config import Config

STUDENT_PREFIX = 'student.'


def atomic_write_bytes(data: bytes, path: str) -> None:
    """Writes ``data`` to ``path`` all or nothing: a temporary file in the same folder, flushed to disk, then renamed
    over ``path`` (``os.replace`` is atomic), then the folder entry synced. A process killed at any point leaves
    either the old file or the new one, never a truncated one (at worst a stray ``.<name>.*.tmp``)."""
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    while True:  # like mkstemp, but with the permissions (umask) an ordinary open() would give
        tmp = osp.join(folder, f'.{osp.basename(path)}.{secrets.token_hex(4)}.tmp')
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            break
        except FileExistsError:
            continue
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise
    try:  # make the rename itself durable (not possible on every platform / file system)
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def atomic_save(obj, path: str) -> None:
    """Writes ``obj`` (a string, or anything ``torch.save`` takes) to ``path`` through :func:`atomic_write_bytes`,
    so a failure leaves no half file."""
    if isinstance(obj, str):
        data = obj.encode('utf-8')
    else:
        buffer = io.BytesIO()
        torch.save(obj, buffer)
        data = buffer.getvalue()
    atomic_write_bytes(data, path)


def student_state(state: dict) -> dict:
    """The student's weights of a distiller state dict, without the ``student.`` prefix."""
    return {k[len(STUDENT_PREFIX):]: v for k, v in state.items() if k.startswith(STUDENT_PREFIX)}


def is_distiller(cfg: Config) -> bool:
    return cfg.model.get('type') == 'DistillSegmentor'


def student_config(cfg: Config) -> Config:
    """A copy of a distillation config whose ``model`` is its student: a plain mmseg config."""
    cfg = copy.deepcopy(cfg)
    student = cfg.model.student
    if 'data_preprocessor' not in student and cfg.model.get('data_preprocessor'):
        student.data_preprocessor = cfg.model.data_preprocessor
    cfg.model = student
    return cfg


def load_deployable(config: str, checkpoint: str, device: str = 'cpu'):
    """The deployable model of ``config`` (the student, for a distillation config) with ``checkpoint``'s weights,
    ready for mmseg's ``inference_model``."""
    from mmseg.apis import init_model
    cfg = Config.fromfile(config)
    ckpt = torch.load(checkpoint, map_location='cpu')
    state = ckpt['state_dict']
    if is_distiller(cfg):
        cfg = student_config(cfg)
        state = student_state(state)
    model = init_model(cfg, None, device=device)
    model.load_state_dict(state, strict=True)
    model.dataset_meta = (ckpt.get('meta') or {}).get('dataset_meta') or getattr(model, 'dataset_meta', None)
    return model.eval()


def export_student(checkpoint: str, out: str, config: Optional[str] = None) -> dict:
    """Writes the student of a ``DistillSegmentor`` checkpoint as a plain mmseg checkpoint.

    The result holds ``state_dict`` (student keys without the ``student.`` prefix; no connector and no teacher keys)
    and ``meta`` (``dataset_meta`` and the source), so mmseg's ``init_model(student_config, out)`` loads it with no
    missing or unexpected keys. With ``config`` (the distillation config), the student's own config is written next to
    it as ``<out without .pth>.py``.

    Returns:
        dict: ``checkpoint`` and ``config`` paths written and the number of exported and dropped keys.

    Raises:
        FileNotFoundError: ``checkpoint`` or ``config`` does not exist.
        ValueError: ``checkpoint`` is not a distillation checkpoint (e.g. already a plain mmseg checkpoint).
    """
    for path, what in ((checkpoint, 'checkpoint'), (config, 'config')):
        if path is not None and not osp.isfile(path):
            raise FileNotFoundError(f'{what} file "{path}" not found.')
    ckpt = torch.load(checkpoint, map_location='cpu')
    state = ckpt.get('state_dict') if isinstance(ckpt, dict) else None
    if not isinstance(state, dict):
        raise ValueError(f'"{checkpoint}" is not an MMEngine checkpoint (no "state_dict"); give the .pth that '
                         'tools/train.py wrote for a distillation config.')
    student = student_state(state)
    if not student:
        raise ValueError(f'"{checkpoint}" has no "{STUDENT_PREFIX}*" weights, so it is not a distillation checkpoint '
                         f'(first keys: {list(state)[:3]}). A plain mmseg checkpoint is already deployable as it is.')
    meta = {'source': osp.abspath(checkpoint), 'exported_by': 'mmseg_transkd.export_student'}
    src_meta = ckpt.get('meta') or {}
    for key in ('dataset_meta', 'iter', 'epoch'):
        if key in src_meta:
            meta[key] = src_meta[key]
    cfg_path = None
    if config is not None:
        cfg = Config.fromfile(config)
        if not is_distiller(cfg):
            raise ValueError(f'config "{config}" has model.type={cfg.model.get("type")!r}, not a DistillSegmentor.')
        cfg_path = osp.splitext(out)[0] + '.py'
        atomic_save(student_config(cfg).pretty_text, cfg_path)
    atomic_save({'meta': meta, 'state_dict': student}, out)
    return dict(checkpoint=out, config=cfg_path, exported=len(student), dropped=len(state) - len(student))
