"""Which distillation methods fit my student/teacher pair? Builds every recipe at probe size and prints a table.

    python tools/check_pair.py STUDENT_CONFIG TEACHER_CONFIG [--recipes cwd transkd_base ...] [--probe-size H W]
    python tools/check_pair.py STUDENT_CONFIG TEACHER_CONFIG TEACHER_CONFIG ...   # several teachers
    python tools/check_pair.py DISTILLER_CONFIG          # its student and teacher (or teachers)

STUDENT_CONFIG / TEACHER_CONFIG are mmseg configs (files or ``mmseg::path.py``) whose ``model`` is a segmentor; a
distiller config given as STUDENT_CONFIG contributes its student. No weights are loaded or downloaded: the teacher
keeps random weights, which is all a shape check needs. One row per recipe: fits or not, the trainable parameters
KD adds, and the one-line reason when it does not fit. With several teachers (named ``teacher1``, ``teacher2``, ...
on the command line, or the distiller config's ``model.teachers`` names) every one-teacher recipe gets one row per
teacher, and the recipes that read every teacher (e.g. ``ensemble_kd``) one row for all of them.
"""
import argparse
import copy

from mmengine.registry import init_default_scope

import mmseg_transkd  # noqa: F401  (registers the plugin and its recipes)
from mmseg_transkd.models.distillers.recipes import recipe_names
from mmseg_transkd.models.teacher import teacher_model_cfg
from mmseg_transkd.utils import load_config, teacher_specs
from mmseg_transkd.analysis.pair_check import check_pair, format_table


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Build every distillation recipe on a student/teacher pair.')
    parser.add_argument('student', help='student config (or a distiller config: its student and teacher)')
    parser.add_argument('teacher', nargs='*', help='teacher config(s) (default: the distiller config\'s teacher or '
                        'teachers)')
    parser.add_argument('--recipes', nargs='+', metavar='NAME', help=f'recipes to try (default: all: '
                        f'{", ".join(recipe_names())})')
    parser.add_argument('--probe-size', nargs=2, type=int, metavar=('H', 'W'),
                        help='input size of the build-time probe (default: the distiller\'s, 64 x 64)')
    return parser.parse_args(argv)


def _segmentor(path: str, role: str):
    """``(model cfg, {config key: teacher spec})`` of a config file: a distiller config gives its student and its
    teacher(s), any other config itself and no teacher. ConfigDicts are kept: mmseg's segmentors set attributes on
    them (e.g. ``backbone.pretrained``)."""
    model = load_config(path, role).model
    if model.get('type') == 'DistillSegmentor':
        return model.student, dict(teacher_specs(model))
    return model, {}


def _check_builds(model_cfg, what: str) -> None:
    """The pair itself must build, or every recipe would fail for the same reason: one message instead."""
    from mmseg.registry import MODELS
    try:
        MODELS.build(copy.deepcopy(model_cfg))
    except Exception as err:
        raise SystemExit(f'{what}: the model does not build on its own ({err}); fix it before checking recipes.')


def main(argv=None) -> None:
    args = parse_args(argv)
    student, distiller_teachers = _segmentor(args.student, 'student config')
    if args.teacher:
        # name: (model cfg, where it comes from); one teacher on the command line keeps the single-teacher table
        teachers = {f'teacher{i + 1}': (_segmentor(path, 'teacher config')[0], path)
                    for i, path in enumerate(args.teacher)}
    elif distiller_teachers:
        teachers = {key.split('.')[-1]: (teacher_model_cfg(spec, key), f'{key} of {args.student}')
                    for key, spec in distiller_teachers.items()}
    else:
        raise SystemExit(f'{args.student} is not a distiller config: give a TEACHER_CONFIG too.')
    unknown = sorted(set(args.recipes or []) - set(recipe_names()))
    if unknown:
        raise SystemExit(f'--recipes: unknown {unknown}; registered: {recipe_names()}')
    init_default_scope('mmseg')
    _check_builds(student, f'student ({args.student})')
    for teacher, where in teachers.values():
        _check_builds(teacher, f'teacher ({where})')
    if len(teachers) == 1:
        (teacher, _), = teachers.values()
        rows = check_pair(student, teacher, args.recipes, args.probe_size)
    else:
        rows = check_pair(student, None, args.recipes, args.probe_size,
                          teachers={name: teacher for name, (teacher, _) in teachers.items()})
    print(f'student: {args.student} ({student.get("backbone", {}).get("type")})')
    for name, (teacher, where) in teachers.items():
        print(f'teacher{"" if len(teachers) == 1 else " " + name}: {where} ({teacher.get("backbone", {}).get("type")})')
    print()
    print(format_table(rows))
    what = 'this pair' if len(teachers) == 1 else f'these {len(teachers)} teachers (recipe and teacher)'
    print(f'\n{sum(r["fits"] for r in rows)} of {len(rows)} recipes fit {what}.')


if __name__ == '__main__':
    main()
