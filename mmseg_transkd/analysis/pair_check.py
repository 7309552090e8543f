"""Which distillation recipes fit a student/teacher pair: each recipe is built at probe size, failures give one line.

Used by ``tools/check_pair.py``. Nothing is downloaded: the teacher keeps random weights and connectors that read
their weights from a file (KA's stage-1 encoder) are built without it; the table says so. With several teachers, every
one-teacher recipe is checked on each teacher (it fits a teacher of several exactly when it fits that pair), and the
recipes that read every teacher at once (e.g. ``ensemble_kd``) on all of them together.
"""
import copy
import inspect
import logging
import warnings
from typing import Dict, List, Optional, Sequence, Tuple

from mmengine.logging import MMLogger
from mmseg.registry import MODELS

from mmseg_transkd.models.distillers.recipes import recipe_names, resolve_recipe, spans_teachers


def _one_line(err: BaseException) -> str:
    lines = str(err).strip().splitlines()
    return lines[0] if lines else type(err).__name__


def _loads_a_file(cfg: dict) -> bool:
    """A connector whose class takes ``load_checkpoint`` (its weights come from a file at train time)."""
    cls = MODELS.get(cfg.get('type')) if isinstance(cfg.get('type'), str) else cfg.get('type')
    try:
        return cls is not None and 'load_checkpoint' in inspect.signature(cls).parameters
    except (TypeError, ValueError):
        return False


def _random_teacher(model_cfg: dict) -> dict:
    return dict(config=copy.deepcopy(model_cfg), checkpoint='(not loaded)', load_checkpoint=False)


def check_recipe(student: dict, teacher: Optional[dict], recipe: str, probe_size: Optional[Tuple[int, int]] = None,
                 teachers: Optional[Dict[str, dict]] = None) -> dict:
    """Builds ``DistillSegmentor(student, teacher, recipe)`` (random teacher) and reports whether it fits.

    ``teachers`` (``name -> model cfg``, with ``teacher=None``) builds ``recipe``, one that reads every teacher, on all
    of them. A recipe that reads every teacher given one ``teacher`` is checked with that teacher alone.

    Returns:
        ``dict(recipe, fits, kd_params, note)``: ``kd_params`` counts the trainable parameters KD adds (connectors and
        losses that own a network); ``note`` is the one-line reason a recipe does not fit, or what it still needs.
    """
    row = dict(recipe=recipe, fits=False, kd_params=None, note='')
    notes = []
    if teachers is None and spans_teachers(recipe):
        teachers, teacher = {'teacher': teacher}, None
        notes.append('reads every teacher: checked with this one alone')
    pair = dict(teacher=_random_teacher(teacher)) if teachers is None else \
        dict(teachers={name: _random_teacher(t) for name, t in teachers.items()})
    try:
        kd = resolve_recipe(recipe if teachers is None else [recipe], student, pair.get('teacher'),
                            teachers=pair.get('teachers'))
        overrides = {}
        for name, cfg in kd['connectors'].items():
            if _loads_a_file(cfg):
                overrides[name] = dict(load_checkpoint=False)
                notes.append(f'connectors.{name} ({cfg.get("type")}) loads its weights from a file at train time')
        model_cfg = dict(type='DistillSegmentor', student=copy.deepcopy(student), **pair,
                         recipe=recipe if teachers is None else [recipe], connectors=overrides)
        if probe_size is not None:
            model_cfg['probe_size'] = tuple(probe_size)
        model = MODELS.build(model_cfg)
        trainable = [p for m in (model.connectors, model.distill_losses) for p in m.parameters() if p.requires_grad]
        row.update(fits=True, kd_params=sum(p.numel() for p in trainable), note='; '.join(notes))
    except Exception as err:  # every failure becomes the row's reason
        row['note'] = _one_line(err)
    return row


def check_pair(student: dict, teacher: Optional[dict], recipes: Optional[Sequence[str]] = None,
               probe_size: Optional[Tuple[int, int]] = None, teachers: Optional[Dict[str, dict]] = None) -> List[dict]:
    """:func:`check_recipe` for every recipe (default: all registered), with the build logs silenced.

    With ``teachers`` (``name -> model cfg``, ``teacher=None``): each one-teacher recipe once per teacher, the recipes
    that read every teacher once on all of them; every row then names its ``teacher`` (``'all'`` for the latter).
    """
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            if teachers is None:
                return [check_recipe(student, teacher, name, probe_size) for name in (recipes or recipe_names())]
            rows = []
            for name in recipes or recipe_names():
                if spans_teachers(name):
                    rows.append(dict(check_recipe(student, None, name, probe_size, teachers), teacher='all'))
                else:
                    rows += [dict(check_recipe(student, t, name, probe_size), teacher=t_name)
                             for t_name, t in teachers.items()]
            return rows
    finally:
        logger.setLevel(level)


def format_table(rows: List[dict]) -> str:
    """The rows as a text table: recipe, the teacher (rows of several teachers), fits (yes / no), KD parameters,
    reason or note."""
    several = any('teacher' in r for r in rows)
    head = ('recipe', *(('teacher', ) if several else ()), 'fits', 'KD params', 'why not / note')
    body = [(r['recipe'], *((r['teacher'], ) if several else ()), 'yes' if r['fits'] else 'no',
             '' if r['kd_params'] is None else f'{r["kd_params"]:,}', r['note']) for r in rows]
    widths = [max(len(x[i]) for x in [head, *body]) for i in range(len(head) - 1)]
    aligns = ['<'] * (len(head) - 2) + ['>']  # KD params right-aligned

    def line(cells) -> str:
        return ('  '.join(f'{c:{a}{w}}' for c, a, w in zip(cells, aligns, widths)) + f'  {cells[-1]}').rstrip()

    lines = [line(head), '  '.join('-' * w for w in widths) + '  ' + '-' * len(head[-1])]
    lines += [line(cells) for cells in body]
    return '\n'.join(lines)
