"""Which distillation methods fit my student/teacher pair? Builds every recipe at probe size and prints a table.

    python tools/check_pair.py STUDENT_CONFIG TEACHER_CONFIG [--recipes cwd transkd_base ...] [--probe-size H W]
    python tools/check_pair.py DISTILLER_CONFIG          # its student and teacher

STUDENT_CONFIG / TEACHER_CONFIG are mmseg configs (files or ``mmseg::path.py``) whose ``model`` is a segmentor; a
distiller config given as STUDENT_CONFIG contributes its student. No weights are loaded or downloaded: the teacher
keeps random weights, which is all a shape check needs. One row per recipe: fits or not, the trainable parameters
KD adds, and the one-line reason when it does not fit.
"""
import argparse
import copy

from mmengine.registry import init_default_scope

import mmseg_transkd  # noqa: F401  (registers the plugin and its recipes)
from mmseg_transkd.models.distillers.recipes import recipe_names
from mmseg_transkd.utils import load_config
from mmseg_transkd.analysis.pair_check import check_pair, format_table


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Build every distillation recipe on a student/teacher pair.')
    parser.add_argument('student', help='student config (or a distiller config: its student and teacher)')
    parser.add_argument('teacher', nargs='?', help='teacher config (default: the distiller config\'s teacher)')
    parser.add_argument('--recipes', nargs='+', metavar='NAME', help=f'recipes to try (default: all: '
                        f'{", ".join(recipe_names())})')
    parser.add_argument('--probe-size', nargs=2, type=int, metavar=('H', 'W'),
                        help='input size of the build-time probe (default: the distiller\'s, 64 x 64)')
    return parser.parse_args(argv)


def _segmentor(path: str, role: str):
    """``(model cfg, teacher spec or None)`` of a config file: a distiller config gives its student (and teacher).
    ConfigDicts are kept: mmseg's segmentors set attributes on them (e.g. ``backbone.pretrained``)."""
    model = load_config(path, role).model
    if model.get('type') == 'DistillSegmentor':
        return model.student, model.teacher
    return model, None


def _check_builds(model_cfg, what: str) -> None:
    """The pair itself must build, or every recipe would fail for the same reason: one message instead."""
    from mmseg.registry import MODELS
    try:
        MODELS.build(copy.deepcopy(model_cfg))
    except Exception as err:
        raise SystemExit(f'{what}: the model does not build on its own ({err}); fix it before checking recipes.')


def main(argv=None) -> None:
    args = parse_args(argv)
    student, distiller_teacher = _segmentor(args.student, 'student config')
    if args.teacher is not None:
        teacher, teacher_name = _segmentor(args.teacher, 'teacher config')[0], args.teacher
    elif distiller_teacher is not None:
        teacher, teacher_name = distiller_teacher['config'], f'model.teacher of {args.student}'
        if isinstance(teacher, str):
            teacher = load_config(teacher, 'model.teacher.config').model
    else:
        raise SystemExit(f'{args.student} is not a distiller config: give a TEACHER_CONFIG too.')
    unknown = sorted(set(args.recipes or []) - set(recipe_names()))
    if unknown:
        raise SystemExit(f'--recipes: unknown {unknown}; registered: {recipe_names()}')
    init_default_scope('mmseg')
    _check_builds(student, f'student ({args.student})')
    _check_builds(teacher, f'teacher ({teacher_name})')
    rows = check_pair(student, teacher, args.recipes, args.probe_size)
    print(f'student: {args.student} ({student.get("backbone", {}).get("type")})\n'
          f'teacher: {teacher_name} ({teacher.get("backbone", {}).get("type")})\n')
    print(format_table(rows))
    print(f'\n{sum(r["fits"] for r in rows)} of {len(rows)} recipes fit this pair.')


if __name__ == '__main__':
    main()
