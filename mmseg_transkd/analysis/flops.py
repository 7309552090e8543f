"""FLOP counting under the official TransKD convention (spec §4), next to MMEngine's own counter.

The TransKD README's GFLOPs were measured with mmcv-1.x's counter conventions, which count multiply-accumulates of
modules only (so "GFLOPs" there are GMACs):

* Conv1d/2d: MACs (output elements × in_channels/groups × kernel area) plus one per output element for the bias;
* Linear: input elements × out_features, bias not counted;
* BatchNorm / GroupNorm / LayerNorm / InstanceNorm: 2 × elements (1 × without affine);
* ReLU-family activations: elements; pooling: input elements;
* not counted: functional ops (attention matmuls, softmax, GELU, interpolation, element-wise arithmetic).

mmseg's MiT computes attention with ``nn.MultiheadAttention``, whose projections are not ``nn.Linear`` calls; the
official MiT uses Linear q / kv / proj layers. So that the same architecture counts the same, the projections of an
``nn.MultiheadAttention`` are counted as Linear layers (q and out on the queries, k and v on the keys/values) and its
matmuls are not.
"""
from typing import Callable, Sequence

import torch
import torch.nn as nn
from torch import Tensor

_NORMS = (nn.modules.batchnorm._BatchNorm, nn.GroupNorm, nn.LayerNorm, nn.modules.instancenorm._InstanceNorm)
_ACTS = (nn.ReLU, nn.ReLU6, nn.PReLU, nn.ELU, nn.LeakyReLU)
_POOLS = (nn.modules.pooling._AvgPoolNd, nn.modules.pooling._MaxPoolNd, nn.modules.pooling._AdaptiveAvgPoolNd,
          nn.modules.pooling._AdaptiveMaxPoolNd)


def _conv(m: nn.Module, args: tuple, kwargs: dict, out: Tensor) -> int:
    per_out = m.in_channels // m.groups * int(torch.tensor(m.kernel_size).prod())
    return out.numel() * per_out + (out.numel() if m.bias is not None else 0)


def _linear(m: nn.Linear, args: tuple, kwargs: dict, out: Tensor) -> int:
    return args[0].numel() * m.out_features


def _norm(m: nn.Module, args: tuple, kwargs: dict, out: Tensor) -> int:
    affine = m.elementwise_affine if isinstance(m, nn.LayerNorm) else m.affine
    return args[0].numel() * (2 if affine else 1)


def _mha(m: nn.MultiheadAttention, args: tuple, kwargs: dict, out) -> int:
    """q and out projections on the queries, k and v projections on the keys and values (Linear rule)."""
    names = ('query', 'key', 'value')
    q, k, v = [args[i] if len(args) > i else kwargs.get(name) for i, name in enumerate(names)]
    k = q if k is None else k
    v = k if v is None else v
    return (2 * q.numel() + k.numel() * m.embed_dim // m.kdim + v.numel() * m.embed_dim // m.vdim) * m.embed_dim


def _elements_out(m: nn.Module, args: tuple, kwargs: dict, out: Tensor) -> int:
    return out.numel()


def _elements_in(m: nn.Module, args: tuple, kwargs: dict, out: Tensor) -> int:
    return args[0].numel()


def _handler(m: nn.Module):
    if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.Conv3d)):
        return _conv
    if isinstance(m, nn.Linear):
        return _linear
    if isinstance(m, nn.MultiheadAttention):
        return _mha
    if isinstance(m, _NORMS):
        return _norm
    if isinstance(m, _ACTS):
        return _elements_out
    if isinstance(m, _POOLS):
        return _elements_in
    return None


@torch.no_grad()
def count_official_macs(module: nn.Module, run: Callable[[], object]) -> int:
    """MACs of every counted module called while ``run()`` executes (official TransKD / mmcv-1.x convention).

    Modules inside an ``nn.MultiheadAttention`` are not counted twice (its projections are counted by the MHA rule).
    """
    total = [0]
    handles = []
    skip = {id(sub) for m in module.modules() if isinstance(m, nn.MultiheadAttention) for sub in m.modules()
            if sub is not m}
    for m in module.modules():
        fn = _handler(m)
        if fn is not None and id(m) not in skip:
            handles.append(m.register_forward_hook(
                lambda mod, args, kwargs, out, fn=fn: total.__setitem__(0, total[0] + int(fn(mod, args, kwargs, out))),
                with_kwargs=True))
    try:
        run()
    finally:
        for h in handles:
            h.remove()
    return total[0]


def count_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def mmengine_flops(module: nn.Module, inputs: Sequence) -> int:
    """FLOPs of ``module(*inputs)`` by MMEngine's analysis counter (fvcore-style tracing; counts matmuls too)."""
    from mmengine.analysis import FlopAnalyzer
    analyzer = FlopAnalyzer(module, tuple(inputs))
    analyzer.unsupported_ops_warnings(False)
    analyzer.uncalled_modules_warnings(False)
    return int(analyzer.total())
