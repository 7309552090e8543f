"""Named distillation recipes: what a ``DistillSegmentor`` distils (recorders, connectors, losses), by name.

A config anywhere (ours, or one in another MMSeg project that only has ``custom_imports=dict(imports=
['mmseg_transkd'])``) asks for a method by name and may override any field of it::

    model = dict(type='DistillSegmentor', student=..., teacher=dict(config=..., checkpoint=...),
                 recipe='transkd_gl',                                   # a name in RECIPES
                 connectors=dict(csf=dict(mid_channels=32)),            # overrides, merged into the recipe
                 distill_losses=dict(loss_pea=None))                    # None drops an entry

The recipe is resolved when the model is built, not when the config file is parsed: MMEngine imports the
``custom_imports`` of a config only after parsing it, so nothing of this package can take part in the parse (and
MMEngine resolves ``package::path`` only for OpenMMLab's own packages).

The recipes' contents live in the packaged config fragments (``mmseg_transkd/configs/distill/*.py``, the one source
of truth): every top-level ``<name> = dict(..., distill_losses=..., ...)`` of a fragment is the recipe ``<name>``.
Recipes that depend on the pair (TransKD-GL and -EA read the student's heads and patch sizes) are functions below.
Register your own with ``@RECIPES.register_module(name=...)``: a function ``(student, teacher) -> dict`` with any of
the keys ``student_recorders``, ``teacher_recorders``, ``connectors``, ``distill_losses``.
"""
import ast
import copy
import functools
import glob
import os.path as osp
from typing import Dict, List, Optional

from mmengine.config import Config, ConfigDict
from mmengine.registry import Registry

FRAGMENTS = osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'configs', 'distill')
PARTS = ('student_recorders', 'teacher_recorders', 'connectors', 'distill_losses')

RECIPES = Registry('distillation recipe', scope='mmseg_transkd')


@functools.lru_cache(maxsize=None)
def _load_fragment(path: str) -> Config:
    return Config.fromfile(path)


def fragment(name: str) -> Config:
    """The packaged fragment ``mmseg_transkd/configs/distill/<name>.py`` (parsed once; treat it as read-only)."""
    path = osp.join(FRAGMENTS, f'{name}.py')
    if not osp.isfile(path):
        raise FileNotFoundError(f'no distillation fragment "{name}" in {FRAGMENTS}')
    return _load_fragment(path)


def fragment_recipe_names(path: str) -> List[str]:
    """Top-level ``<name> = dict(..., distill_losses=..., ...)`` assignments of a fragment, read without running it."""
    with open(path, encoding='utf-8') as f:
        tree = ast.parse(f.read(), filename=path)
    names = []
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Name)
                and node.value.func.id == 'dict'
                and any(k.arg == 'distill_losses' for k in node.value.keywords)):
            names.append(node.targets[0].id)
    return names


def _fragment_recipe(file: str, name: str):
    def recipe(student: Optional[dict] = None, teacher: Optional[dict] = None) -> dict:
        return copy.deepcopy(fragment(file)[name].to_dict())

    recipe.__name__ = name
    recipe.__qualname__ = name
    recipe.__doc__ = f'The ``{name}`` dict of mmseg_transkd/configs/distill/{file}.py.'
    return recipe


for _path in sorted(glob.glob(osp.join(FRAGMENTS, '*.py'))):
    _file = osp.splitext(osp.basename(_path))[0]
    for _name in fragment_recipe_names(_path):
        RECIPES.register_module(name=_name, module=_fragment_recipe(_file, _name))


def _student_backbone(student: Optional[dict], key: str):
    """``student.backbone.<key>``, or None when absent (an override may set it; otherwise the connector's build fails
    with its own message naming it)."""
    backbone = (student or {}).get('backbone') or {}
    return copy.deepcopy(backbone.get(key)) if isinstance(backbone, dict) else None


@RECIPES.register_module(name='transkd_gl')
def transkd_gl(student: Optional[dict] = None, teacher: Optional[dict] = None) -> dict:
    """TransKD-GL: TransKD-Base plus the Global-Local Context Mixer on the deepest student patch embedding, in front
    of PEA; its attention heads are the student backbone's ``num_heads`` (stage 4 used)."""
    frag = fragment('transkd_mit')
    recipe = frag.transkd_base.to_dict()
    recipe['connectors']['gl'] = dict(frag.gl_mixer.to_dict(),
                                      num_heads=_student_backbone(student, 'num_heads'))
    recipe['connectors']['pea']['inputs'] = ['C.gl']
    return copy.deepcopy(recipe)


@RECIPES.register_module(name='transkd_ea')
def transkd_ea(student: Optional[dict] = None, teacher: Optional[dict] = None) -> dict:
    """TransKD-EA: TransKD-Base plus the Embedding Assistant, whose patch embeddings copy the student's patch sizes
    (``student.backbone.patch_sizes``); ``loss_pea`` then reads the fused ``C.ea``."""
    frag = fragment('transkd_mit')
    recipe = frag.transkd_base.to_dict()
    recipe['student_recorders']['stage_inputs'] = frag.mit_embed_inputs.to_dict()
    recipe['connectors']['ea'] = dict(frag.embedding_assistant.to_dict(),
                                      kernel_sizes=_student_backbone(student, 'patch_sizes'))
    recipe['distill_losses']['loss_pea']['inputs']['preds_S'] = 'C.ea'
    return copy.deepcopy(recipe)


def recipe_names() -> List[str]:
    """Every registered recipe, sorted."""
    return sorted(RECIPES.module_dict)


def _drop_none(part: dict) -> dict:
    """``part`` without its entries set to None, and each entry's ``inputs`` without those set to None (so an
    override can drop an optional input, e.g. ``distill_losses=dict(loss_kd=dict(inputs=dict(gt=None)))``)."""
    out = {}
    for name, entry in part.items():
        if entry is None:
            continue
        if isinstance(entry, dict) and isinstance(entry.get('inputs'), dict):
            entry = dict(entry, inputs={k: v for k, v in entry['inputs'].items() if v is not None})
        out[name] = entry
    return out


def resolve_recipe(recipe: Optional[str], student: Optional[dict] = None, teacher: Optional[dict] = None,
                   overrides: Optional[dict] = None, key: str = 'model') -> Dict[str, dict]:
    """The four distiller parts of ``recipe`` with ``overrides`` merged in.

    Args:
        recipe: A name in :data:`RECIPES`, or None (the overrides are then the whole method, as in a config that
            spells everything out).
        student, teacher: The distiller's ``student`` / ``teacher`` configs (pair-dependent recipes read them).
        overrides: ``part -> dict`` for the parts in :data:`PARTS`, merged into the recipe's with MMEngine's config
            rules (nested dicts merge, ``_delete_=True`` replaces); an entry, or an input of one, set to None is
            removed.
        key: Config key named in errors.

    Returns:
        ``{part: {name: cfg}}`` for every part in :data:`PARTS` (plain dicts).
    """
    overrides = {p: v for p, v in (overrides or {}).items() if v}
    parts = {p: {} for p in PARTS}
    if recipe is not None:
        if not isinstance(recipe, str) or RECIPES.get(recipe) is None:
            raise ValueError(f'{key}.recipe: unknown distillation recipe {recipe!r}; registered: {recipe_names()}.')
        got = RECIPES.get(recipe)(student=copy.deepcopy(student), teacher=copy.deepcopy(teacher))
        extra = sorted(set(got) - set(PARTS))
        if extra:
            raise ValueError(f'{key}.recipe: recipe {recipe!r} returned unknown keys {extra}; a recipe sets only '
                             f'{list(PARTS)}.')
        parts.update({p: dict(v) for p, v in got.items() if v})
    merged = Config({p: parts[p] for p in PARTS})
    merged.merge_from_dict({p: copy.deepcopy(dict(v)) for p, v in overrides.items()})
    return {p: _drop_none(merged[p].to_dict() if merged.get(p) else {}) for p in PARTS}


def expand_recipe(model: dict, key: str = 'model') -> ConfigDict:
    """A ``DistillSegmentor`` config with its recipe spelled out: no ``recipe`` key, the four parts in full (what
    the distiller builds). A new ConfigDict (mmseg's segmentors need ConfigDicts); ``model`` is not changed."""
    model = copy.deepcopy(model.to_dict() if hasattr(model, 'to_dict') else dict(model))
    kd = resolve_recipe(model.pop('recipe', None), model.get('student'), model.get('teacher'),
                        {p: model.get(p) for p in PARTS}, key)
    model.update(kd)
    return ConfigDict(model)
