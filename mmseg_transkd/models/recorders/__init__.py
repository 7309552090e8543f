from .module_recorder import ModuleInputsRecorder, ModuleOutputsRecorder

__all__ = ['ModuleInputsRecorder', 'ModuleOutputsRecorder']
