"""Mixed-precision training without a GPU: bf16 autocast on the CPU."""
from contextlib import contextmanager

import torch
import torch.nn as nn
from mmengine.optim import OptimWrapper
from mmseg.registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class AutocastOptimWrapper(OptimWrapper):
    """An ``OptimWrapper`` whose forward runs under ``torch.autocast`` (bf16 by default) on the model's device.

    MMEngine 0.10.7's ``AmpOptimWrapper`` refuses to start without a GPU. bf16 has fp32's exponent range, so no loss
    scaling is needed; ``tools/train.py --amp`` uses this wrapper when CUDA is not available. The distillation losses
    cast their inputs to fp32 themselves.

    Args:
        dtype (str): ``'bfloat16'`` (CPU and CUDA) or ``'float16'`` (CUDA only; prefer ``AmpOptimWrapper`` there,
            which scales the loss). Defaults to ``'bfloat16'``.
        **kwargs: ``OptimWrapper`` arguments.
    """

    def __init__(self, dtype: str = 'bfloat16', **kwargs) -> None:
        super().__init__(**kwargs)
        self.cast_dtype = getattr(torch, dtype)

    @contextmanager
    def optim_context(self, model: nn.Module):
        device = next(model.parameters()).device.type
        with super().optim_context(model), torch.autocast(device_type=device, dtype=self.cast_dtype):
            yield
