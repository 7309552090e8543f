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
