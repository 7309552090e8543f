from .module_recorder import HeadFeatureRecorder, ModuleInputsRecorder, ModuleOutputsRecorder

__all__ = ['HeadFeatureRecorder', 'ModuleInputsRecorder', 'ModuleOutputsRecorder']
