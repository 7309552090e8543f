from .checks import (check_checkpoint_file, check_checkpoint_fits, check_data_roots, check_distiller_inputs,
                     check_num_classes, checkpoint_problem)
from .config import load_config, resolve_config_path, teacher_specs
from .export import export_student, load_deployable, student_config
from .runtime import build_runner, enable_exact_resume, load_run_config, setup_distributed, teardown_distributed
from .safe_load import register_safe_globals

__all__ = ['check_checkpoint_file', 'check_checkpoint_fits', 'check_num_classes', 'checkpoint_problem',
           'enable_exact_resume', 'check_data_roots', 'check_distiller_inputs', 'export_student', 'load_deployable', 'student_config', 'load_config', 'resolve_config_path', 'teacher_specs', 'build_runner', 'load_run_config', 'teardown_distributed',
           'setup_distributed', 'register_safe_globals']
