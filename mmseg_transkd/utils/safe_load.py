"""Lets ``torch.load(weights_only=True)`` read MMEngine checkpoints.

Since torch 2.6 ``torch.load`` defaults to ``weights_only=True``. MMEngine 0.10.7 calls ``torch.load`` without the
argument, and its training checkpoints pickle a few non-tensor objects (the message hub's ``HistoryBuffer`` with
NumPy arrays inside, NumPy scalars in the runtime info), so ``--resume`` fails on the first unknown global. Rather than
switching safe loading off for the whole process, we allowlist exactly the globals MMEngine's own checkpoints need;
everything else stays refused by torch.

MMEngine's ``HistoryBuffer`` also pickles its statistics methods by qualified name, which pickle writes as
``getattr(HistoryBuffer, 'min')``. Allowlisting ``builtins.getattr`` itself would let a checkpoint walk from any allowed
object to arbitrary attributes, so a restricted stand-in is registered under that name instead: it resolves only
public functions defined on ``HistoryBuffer`` and refuses everything else.
"""
import inspect
import pickle
from typing import Any

import numpy as np
import torch


def _numpy_globals() -> list:
    """NumPy globals that pickled arrays, dtypes and scalars refer to (NumPy 1.x and 2.x module paths)."""
    try:  # NumPy >= 2 moved the pickling helpers to numpy._core
        from numpy._core import multiarray
    except ImportError:  # pragma: no cover - NumPy 1.x
        from numpy.core import multiarray
    dtype_classes = {type(np.dtype(t)) for t in (
        np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64,
        np.float16, np.float32, np.float64, np.complex64, np.complex128)}
    return [multiarray._reconstruct, multiarray.scalar, np.ndarray, np.dtype, *sorted(dtype_classes, key=str)]


def _history_buffer_getattr(obj: Any, name: str) -> Any:
    """``getattr`` restricted to the public functions of ``HistoryBuffer`` (its pickled statistics methods)."""
    from mmengine.logging import HistoryBuffer
    if obj is HistoryBuffer and not name.startswith('_') and inspect.isfunction(vars(HistoryBuffer).get(name)):
        return getattr(obj, name)
    raise pickle.UnpicklingError(f'weights_only load: getattr({obj!r}, {name!r}) is not allowed; only the '
                                 'statistics methods of mmengine.logging.HistoryBuffer are.')


def register_safe_globals() -> None:
    """Adds MMEngine's checkpoint globals to torch's ``weights_only`` allowlist (idempotent)."""
    from mmengine.logging import HistoryBuffer

    add = getattr(torch.serialization, 'add_safe_globals', None)
    if add is None:  # torch < 2.4 has no allowlist and loads these anyway
        return
    add([HistoryBuffer, *_numpy_globals(), (_history_buffer_getattr, 'builtins.getattr')])
