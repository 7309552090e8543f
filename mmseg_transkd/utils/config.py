"""Loading configs given as files or as ``package::relative/path.py`` (the form ``_base_`` accepts)."""
import os.path as osp
from typing import List, Optional, Tuple

from mmengine.config import Config


def resolve_config_path(path: str, key: str = 'config') -> str:
    """Absolute path of a config file; ``mmseg::segformer/x.py`` resolves into the installed package's configs.

    Raises:
        FileNotFoundError: naming ``key`` when the file does not exist.
    """
    full = path
    if '::' in path:
        from mmengine.config.utils import _get_package_and_cfg_path
        from mmengine.utils import get_installed_path
        try:
            package, rel = _get_package_and_cfg_path(path)
            full = osp.join(get_installed_path(package), '.mim', 'configs', rel)
        except (ValueError, AssertionError, ImportError) as err:
            raise FileNotFoundError(f'{key}: cannot resolve "{path}" ({err}).') from None
    if not osp.isfile(full):
        raise FileNotFoundError(f'{key}: config file "{path}" not found.')
    return full


def type_name(value) -> Optional[str]:
    """The registered name a config ``type`` stands for: a string without its scope (``'mmseg.X'`` -> ``'X'``), or
    a class's ``__name__``; None for anything else."""
    if isinstance(value, str):
        return value.split('.')[-1]
    return getattr(value, '__name__', None)


def load_config(path: str, key: str = 'config') -> Config:
    """``Config.fromfile`` that also accepts ``package::relative/path.py``."""
    return Config.fromfile(resolve_config_path(path, key))


def teacher_specs(model_cfg, key: str = 'model') -> List[Tuple[str, dict]]:
    """``[(config key, spec)]`` of every teacher of a ``DistillSegmentor`` config: ``[('model.teacher', spec)]`` for
    the single ``teacher=``, ``[('model.teachers.<name>', spec), ...]`` for ``teachers=`` (in config order), and
    ``[]`` for any other model (plain segmentors, ``student_only`` distillers, values that are not dicts)."""
    if not isinstance(model_cfg, dict) or model_cfg.get('student_only', False):
        return []
    specs = []
    if isinstance(model_cfg.get('teacher'), dict):
        specs.append((f'{key}.teacher', model_cfg['teacher']))
    teachers = model_cfg.get('teachers')
    if isinstance(teachers, dict):
        specs += [(f'{key}.teachers.{name}', spec) for name, spec in teachers.items() if isinstance(spec, dict)]
    return specs
