"""Forward-hook recorders: capture tensors inside a network without editing its classes."""
from typing import Any, List, Optional, Sequence, Union

import torch.nn as nn
from mmseg.registry import TASK_UTILS


class _HookRecorder:
    """Base recorder: finds the source modules once at ``attach`` and keeps one slot per module.

    Args:
        source (str | Sequence[str]): Dotted module path(s) inside the network, e.g. ``'backbone'`` or
            ``'backbone.layers.3.0'``. ``''`` is the network itself.
        module_type (str, optional): If given, record every descendant of ``source`` whose class name equals
            it, in registration (forward) order — e.g. all ``PatchEmbed`` modules of a MiT, one per stage, so the
            stage count comes from the network instead of the config. Defaults to None.
        index (int, optional): Keep only ``value[index]`` of each recorded value (modules that return tuples such as
            ``PatchEmbed -> (tokens, hw_shape)``). Defaults to None.

    The recorded value is a list with one entry per module. When exactly one module is recorded and that module
    returns a list or tuple (a backbone's multi-stage output), the value is that sequence as a list.
    """

    def __init__(self, source: Union[str, Sequence[str]], module_type: Optional[str] = None,
                 index: Optional[int] = None) -> None:
        self.sources = [source] if isinstance(source, str) else list(source)
        self.module_type = module_type
        self.index = index
        self.enabled = False
        self._slots: List[Any] = []
        self._handles: list = []

    def _find(self, model: nn.Module) -> List[nn.Module]:
        modules = []
        for src in self.sources:
            try:
                root = model.get_submodule(src)
            except AttributeError as err:
                raise ValueError(f'recorder source "{src}" is not a module of {type(model).__name__}: {err}') from None
            if self.module_type is None:
                modules.append(root)
            else:
                found = [m for m in root.modules() if type(m).__name__ == self.module_type]
                if not found:
                    raise ValueError(f'recorder source "{src}" has no {self.module_type} module inside.')
                modules.extend(found)
        return modules

    def attach(self, model: nn.Module) -> None:
        """Registers the hooks on ``model`` (once; the hooks write only while ``enabled``)."""
        modules = self._find(model)
        self._slots = [None] * len(modules)
        for i, module in enumerate(modules):
            self._handles.append(self._register(module, i))

    def detach(self) -> None:
        """Removes the hooks (the recorder records nothing afterwards)."""
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def _store(self, slot: int, value: Any) -> None:
        if self.enabled:
            self._slots[slot] = value if self.index is None else value[self.index]

    def reset(self) -> None:
        """Drops the recorded tensors so they are not kept alive between steps."""
        self._slots = [None] * len(self._slots)

    @property
    def value(self) -> Any:
        if any(v is None for v in self._slots):
            raise RuntimeError(f'recorder on {self.sources} (module_type={self.module_type}) recorded nothing: '
                               'the module did not run in this forward pass.')
        if len(self._slots) == 1 and isinstance(self._slots[0], (list, tuple)):
            return list(self._slots[0])
        return list(self._slots)

    def _register(self, module: nn.Module, slot: int):
        raise NotImplementedError


@TASK_UTILS.register_module()
class ModuleOutputsRecorder(_HookRecorder):
    """Records the outputs of modules (``register_forward_hook``). See :class:`_HookRecorder` for arguments."""

    def _register(self, module: nn.Module, slot: int):
        return module.register_forward_hook(lambda m, args, out: self._store(slot, out))


@TASK_UTILS.register_module()
class ModuleInputsRecorder(_HookRecorder):
    """Records the first positional input of modules (``register_forward_pre_hook``).

    Used e.g. by the Embedding Assistant, which needs the tensor entering each student patch embedding: the image for
    stage 1 and the previous stage's NCHW output for the others. See :class:`_HookRecorder` for arguments.
    """

    def _register(self, module: nn.Module, slot: int):
        return module.register_forward_pre_hook(lambda m, args: self._store(slot, args[0]))


@TASK_UTILS.register_module()
class HeadFeatureRecorder(ModuleInputsRecorder):
    """Records a decode head's fused feature: the map its classifier receives, before the classifier's dropout.

    mmseg's decode heads end in ``cls_seg(feat) = conv_seg(dropout(feat))`` (``dropout`` only when
    ``dropout_ratio > 0``), so the input of ``dropout`` (or of ``conv_seg`` in a head without one) is the head's last
    feature map, whatever the head type: the output of ``bottleneck`` in ``ASPPHead`` (DeepLabV3, after ASPP) and
    ``PSPHead`` (PSPNet, after the PSP module), of ``sep_bottleneck`` in ``DepthwiseSeparableASPPHead`` (DeepLabV3+)
    and of ``fusion_conv`` in ``SegformerHead`` (the fused ``_c`` of the official SegFormer, before
    ``linear_pred``). This is the feature CIRKD's and IFVD's releases distil (issue 25, item 1). In the teacher
    (always in eval mode) dropout is the identity, so both readings agree there; in the training student they differ
    by the dropout mask.

    Args:
        head (str): Dotted path of the head in the segmentor. Defaults to ``'decode_head'``.
        before_dropout (bool): Record the feature before the classifier's dropout (True) or the tensor entering
            ``conv_seg``, after the dropout (False). Defaults to True.
    """

    def __init__(self, head: str = 'decode_head', before_dropout: bool = True) -> None:
        super().__init__(source=head)  # ``sources`` names the head: the distiller runs the teacher's head for it
        self.before_dropout = before_dropout

    def _find(self, model: nn.Module) -> List[nn.Module]:
        head = super()._find(model)[0]
        dropout = getattr(head, 'dropout', None)
        if self.before_dropout and isinstance(dropout, nn.Module):
            return [dropout]
        conv_seg = getattr(head, 'conv_seg', None)
        if not isinstance(conv_seg, nn.Module):
            raise ValueError(f'"{self.sources[0]}" ({type(head).__name__}) has no conv_seg classifier, so its fused '
                             'feature is unknown; record it with a ModuleOutputsRecorder on the module that outputs '
                             'it.')
        return [conv_seg]
