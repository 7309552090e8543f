"""An OptimWrapper that zeroes gradients in place, as PyTorch < 2.0 did by default."""
from mmengine.optim import OptimWrapper
from mmseg.registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class ZeroGradInPlaceOptimWrapper(OptimWrapper):
    """``OptimWrapper`` whose ``zero_grad`` keeps every gradient as a zero tensor (``set_to_none=False``).

    The TransKD release trained on PyTorch 1.7, whose ``zero_grad`` zeroed gradients in place; PyTorch ≥ 2.0 sets them
    to None. The difference shows wherever a parameter gets no gradient in a step after it has had one: AdamW skips a
    parameter whose gradient is None, but updates one whose gradient is zero (momentum step and weight decay). In the
    release that is the CSF's two bottlenecks (spec §1.1, §5.4): ``fc`` in the B == 1 step that ends each epoch, and
    ``fc1`` in every other step once it has been used. The release-exact TransKD configs
    (``configs/transkd_paper/*_release.py``) use this wrapper; on any other model it changes nothing but speed.

    Args:
        **kwargs: ``OptimWrapper`` arguments.
    """

    def zero_grad(self, **kwargs) -> None:
        kwargs.setdefault('set_to_none', False)
        super().zero_grad(**kwargs)
