"""Which distillation recipes fit a student/teacher pair: each recipe is built at probe size, failures give one line.

Used by ``tools/check_pair.py``. Nothing is downloaded: the teacher keeps random weights and connectors that read
their weights from a file (KA's stage-1 encoder) are built without it; the table says so.
"""
import copy
import inspect
import logging
import warnings
from typing import List, Optional, Sequence, Tuple

from mmengine.logging import MMLogger
from mmseg.registry import MODELS

from mmseg_transkd.models.distillers.recipes import recipe_names, resolve_recipe


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


def check_recipe(student: dict, teacher: dict, recipe: str, probe_size: Optional[Tuple[int, int]] = None) -> dict:
    """Builds ``DistillSegmentor(student, teacher, recipe)`` (random teacher) and reports whether it fits.

    Returns:
        ``dict(recipe, fits, kd_params, note)``: ``kd_params`` counts the trainable parameters KD adds (connectors and
        losses that own a network); ``note`` is the one-line reason a recipe does not fit, or what it still needs.
    """
    teacher_spec = dict(config=copy.deepcopy(teacher), checkpoint='(not loaded)', load_checkpoint=False)
    row = dict(recipe=recipe, fits=False, kd_params=None, note='')
    try:
        kd = resolve_recipe(recipe, student, teacher_spec)
        overrides, notes = {}, []
        for name, cfg in kd['connectors'].items():
            if _loads_a_file(cfg):
                overrides[name] = dict(load_checkpoint=False)
                notes.append(f'connectors.{name} ({cfg.get("type")}) loads its weights from a file at train time')
        model_cfg = dict(type='DistillSegmentor', student=copy.deepcopy(student), teacher=teacher_spec,
                         recipe=recipe, connectors=overrides)
        if probe_size is not None:
            model_cfg['probe_size'] = tuple(probe_size)
        model = MODELS.build(model_cfg)
        trainable = [p for m in (model.connectors, model.distill_losses) for p in m.parameters() if p.requires_grad]
        row.update(fits=True, kd_params=sum(p.numel() for p in trainable), note='; '.join(notes))
    except Exception as err:  # every failure becomes the row's reason
        row['note'] = _one_line(err)
    return row


def check_pair(student: dict, teacher: dict, recipes: Optional[Sequence[str]] = None,
               probe_size: Optional[Tuple[int, int]] = None) -> List[dict]:
    """:func:`check_recipe` for every recipe (default: all registered), with the build logs silenced."""
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            return [check_recipe(student, teacher, name, probe_size) for name in (recipes or recipe_names())]
    finally:
        logger.setLevel(level)


def format_table(rows: List[dict]) -> str:
    """The rows as a text table: recipe, fits (yes / no), KD parameters, reason or note."""
    head = ('recipe', 'fits', 'KD params', 'why not / note')
    body = [(r['recipe'], 'yes' if r['fits'] else 'no', '' if r['kd_params'] is None else f'{r["kd_params"]:,}',
             r['note']) for r in rows]
    widths = [max(len(x[i]) for x in [head, *body]) for i in range(3)]
    lines = [f'{head[0]:<{widths[0]}}  {head[1]:<{widths[1]}}  {head[2]:>{widths[2]}}  {head[3]}',
             '  '.join('-' * w for w in widths) + '  ' + '-' * len(head[3])]
    lines += [f'{a:<{widths[0]}}  {b:<{widths[1]}}  {c:>{widths[2]}}  {d}'.rstrip() for a, b, c, d in body]
    return '\n'.join(lines)
