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

Several teachers (``model.teachers=dict(<name>=dict(config=..., checkpoint=...), ...)``): ``recipe`` is then a list
of entries ``dict(recipe=<name>, teacher=<teacher>, weight=1.0)``. A one-teacher recipe is applied to the teacher it
names (:func:`for_teacher`: its references move to ``T.<teacher>.*`` and its connectors and losses get the suffix
``_<teacher>``) with every ``loss_weight`` multiplied by ``weight``. A recipe whose function takes ``teachers``
instead of ``teacher`` (e.g. ``ensemble_kd``) reads every teacher and is listed without ``teacher=``::

    teachers=dict(cnn=dict(config=..., checkpoint=...), vit=dict(config=..., checkpoint=...)),
    recipe=[dict(recipe='transkd_base', teacher='vit'),
            dict(recipe='cwd', teacher='cnn', weight=0.5),     # loss_cwd_cnn, loss_weight 3.0 * 0.5
            dict(recipe='ensemble_kd')]                        # loss_ensemble_kd on the averaged probabilities
"""
import ast
import copy
import functools
import glob
import inspect
import os.path as osp
from typing import Dict, List, Optional, Tuple

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


@RECIPES.register_module(name='ensemble_kd')
def ensemble_kd(student: Optional[dict] = None, teachers: Optional[dict] = None) -> dict:
    """Logit KD from the teachers' averaged class probabilities (``EnsembleKLDivergence``): the final logits of
    every teacher (``T.<teacher>.logits``, in ``model.teachers`` order) and of the student."""
    frag = fragment('multi_teacher')
    names = list(teachers or {})
    loss = frag.ensemble_kd_loss.to_dict()
    loss['inputs']['preds_T'] = [f'T.{name}.logits' for name in names]
    return dict(student_recorders=dict(logits=frag.head_logits.to_dict()),
                teacher_recorders={name: dict(logits=frag.head_logits.to_dict()) for name in names},
                distill_losses=dict(loss_ensemble_kd=loss))


def recipe_names() -> List[str]:
    """Every registered recipe, sorted."""
    return sorted(RECIPES.module_dict)


def spans_teachers(recipe: str) -> bool:
    """Whether ``recipe`` is registered and reads every teacher of a several-teacher distiller at once (its function
    takes ``teachers``, e.g. ``ensemble_kd``) instead of one teacher (``teacher``)."""
    fn = RECIPES.get(recipe) if isinstance(recipe, str) else None
    return fn is not None and 'teachers' in inspect.signature(fn).parameters


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


def _call_recipe(recipe, where: str, **pair) -> Dict[str, dict]:
    """The parts the registered ``recipe`` returns for ``pair`` (student and teacher(s)), checked."""
    if not isinstance(recipe, str) or RECIPES.get(recipe) is None:
        raise ValueError(f'{where}: unknown distillation recipe {recipe!r}; registered: {recipe_names()}.')
    got = RECIPES.get(recipe)(**copy.deepcopy(pair))
    extra = sorted(set(got) - set(PARTS))
    if extra:
        raise ValueError(f'{where}: recipe {recipe!r} returned unknown keys {extra}; a recipe sets only '
                         f'{list(PARTS)}.')
    return {p: dict(v) for p, v in got.items() if v}


def for_teacher(parts: Dict[str, dict], teacher: str) -> Dict[str, dict]:
    """A one-teacher recipe's parts moved onto the teacher named ``teacher`` of a several-teacher distiller.

    Its teacher recorders go under ``teacher_recorders.<teacher>`` and its references ``T.x`` become
    ``T.<teacher>.x``; its connectors and losses get the suffix ``_<teacher>`` (``C.x`` becomes ``C.x_<teacher>``),
    so the same recipe on two teachers never shares a name. Student recorders keep their names: there is one student.
    References are read where the distiller reads them, in ``inputs`` and ``channels_from``.
    """
    def ref(r):
        if isinstance(r, (list, tuple)):
            return [ref(x) for x in r]
        if isinstance(r, str) and r.startswith('T.'):
            return f'T.{teacher}.{r[2:]}'
        if isinstance(r, str) and r.startswith('C.'):
            return f'C.{r[2:]}_{teacher}'
        return r

    def moved(cfg: dict) -> dict:
        cfg = copy.deepcopy(dict(cfg))
        inputs = cfg.get('inputs')
        if isinstance(inputs, dict):
            cfg['inputs'] = {arg: ref(r) for arg, r in inputs.items()}
        elif inputs is not None:
            cfg['inputs'] = ref(inputs)
        if cfg.get('channels_from'):
            cfg['channels_from'] = {arg: ref(r) for arg, r in dict(cfg['channels_from']).items()}
        return cfg

    return dict(student_recorders=copy.deepcopy(dict(parts.get('student_recorders') or {})),
                teacher_recorders={teacher: copy.deepcopy(dict(parts.get('teacher_recorders') or {}))},
                connectors={f'{n}_{teacher}': moved(c) for n, c in (parts.get('connectors') or {}).items()},
                distill_losses={f'{n}_{teacher}': moved(c) for n, c in (parts.get('distill_losses') or {}).items()})


def _weighted(parts: Dict[str, dict], weight, where: str) -> Dict[str, dict]:
    """``parts`` with every loss's ``loss_weight`` (its class default where the recipe sets none) times ``weight``."""
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight < 0:
        raise ValueError(f'{where}.weight must be a number >= 0, got {weight!r}.')
    if weight == 1:
        return parts
    from mmseg.registry import MODELS
    for name, cfg in (parts.get('distill_losses') or {}).items():
        if 'loss_weight' not in cfg:
            cls = MODELS.get(cfg.get('type')) if isinstance(cfg.get('type'), str) else cfg.get('type')
            param = inspect.signature(cls).parameters.get('loss_weight') if cls is not None else None
            if param is None or param.default is inspect.Parameter.empty:
                raise ValueError(f'{where}.weight: loss {name} ({cfg.get("type")}) has no default loss_weight to '
                                 'scale; set its loss_weight in the recipe or through model.distill_losses.')
            cfg['loss_weight'] = param.default
        cfg['loss_weight'] = cfg['loss_weight'] * weight
    return parts


def _add_parts(parts: Dict[str, dict], got: Dict[str, dict], where: str) -> None:
    """Adds one recipe entry's parts to ``parts``: a recorder defined twice must be defined alike (the student's
    ``logits`` of two recipes is one recorder); a connector or loss name may appear once."""
    def add_recorders(into: dict, new: dict, what: str) -> None:
        for name, cfg in new.items():
            if name in into and into[name] != cfg:
                raise ValueError(f'{where}: {what} recorder "{name}" is {cfg} here but {into[name]} in an earlier '
                                 f'recipe entry; rename one through model.{what}_recorders overrides.')
            into[name] = cfg

    add_recorders(parts['student_recorders'], got.get('student_recorders') or {}, 'student')
    for teacher, recorders in (got.get('teacher_recorders') or {}).items():
        add_recorders(parts['teacher_recorders'].setdefault(teacher, {}), recorders, 'teacher')
    for part in ('connectors', 'distill_losses'):
        for name, cfg in (got.get(part) or {}).items():
            if name in parts[part]:
                raise ValueError(f'{where}: {part} entry "{name}" is defined by an earlier recipe entry too (the same '
                                 'recipe twice on one teacher?).')
            parts[part][name] = cfg


def _entries(recipe, key: str) -> List[Tuple[str, dict]]:
    """``[(config key, dict(recipe=..., teacher=..., weight=...))]`` of a several-teacher ``recipe`` (an entry, a
    recipe name or a list of them)."""
    many = isinstance(recipe, (list, tuple))
    out = []
    for i, entry in enumerate(recipe if many else [recipe]):
        where = f'{key}.recipe[{i}]' if many else f'{key}.recipe'
        entry = dict(recipe=entry) if isinstance(entry, str) else entry
        if not isinstance(entry, dict) or 'recipe' not in entry or set(entry) - {'recipe', 'teacher', 'weight'}:
            raise ValueError(f'{where}: with several teachers ({key}.teachers) a recipe entry is dict(recipe=<name>, '
                             'teacher=<teacher>, weight=1.0), without teacher= for a recipe that reads every '
                             f'teacher (e.g. ensemble_kd); got {entry!r}.')
        out.append((where, dict(entry)))
    return out


def _several_teachers(recipe, student: Optional[dict], teachers: dict, key: str) -> Dict[str, dict]:
    """The parts of a several-teacher ``recipe`` (see the module docstring)."""
    parts = {p: {} for p in PARTS}
    for where, entry in _entries(recipe, key):
        name, teacher = entry['recipe'], entry.get('teacher')
        if spans_teachers(name):
            if teacher is not None:
                raise ValueError(f'{where}.teacher: recipe {name!r} reads every teacher; remove teacher={teacher!r}.')
            got = _call_recipe(name, f'{where}.recipe', student=student, teachers=teachers)
        else:
            if teacher not in teachers:
                raise ValueError(f'{where}.teacher: {teacher!r} is not a teacher of {key}.teachers '
                                 f'({", ".join(map(str, teachers))}); name the teacher this recipe distils.')
            got = for_teacher(_call_recipe(name, f'{where}.recipe', student=student, teacher=teachers[teacher]),
                              teacher)
        _add_parts(parts, _weighted(got, entry.get('weight', 1.0), where), where)
    return parts


def resolve_recipe(recipe, student: Optional[dict] = None, teacher: Optional[dict] = None,
                   overrides: Optional[dict] = None, key: str = 'model',
                   teachers: Optional[dict] = None) -> Dict[str, dict]:
    """The four distiller parts of ``recipe`` with ``overrides`` merged in.

    Args:
        recipe: A name in :data:`RECIPES`, or None (the overrides are then the whole method, as in a config that
            spells everything out). With ``teachers``: a list of ``dict(recipe=<name>, teacher=<teacher>,
            weight=1.0)`` entries (see the module docstring).
        student, teacher: The distiller's ``student`` / ``teacher`` configs (pair-dependent recipes read them).
        overrides: ``part -> dict`` for the parts in :data:`PARTS`, merged into the recipe's with MMEngine's config
            rules (nested dicts merge, ``_delete_=True`` replaces); an entry, or an input of one, set to None is
            removed.
        key: Config key named in errors.
        teachers: The distiller's ``teachers`` (``name -> teacher config``) when it has several.

    Returns:
        ``{part: {name: cfg}}`` for every part in :data:`PARTS` (plain dicts).
    """
    overrides = {p: v for p, v in (overrides or {}).items() if v}
    parts = {p: {} for p in PARTS}
    if recipe is not None and teachers is not None:
        parts = _several_teachers(recipe, student, dict(teachers), key)
    elif recipe is not None:
        if isinstance(recipe, (list, tuple, dict)):
            raise ValueError(f'{key}.recipe: a list of recipe entries needs several teachers ({key}.teachers); '
                             f'with {key}.teacher, recipe is one name from {recipe_names()}.')
        if spans_teachers(recipe):
            raise ValueError(f'{key}.recipe: recipe {recipe!r} distils several teachers: set {key}.teachers='
                             'dict(<name>=dict(config=..., checkpoint=...), ...) instead of teacher=.')
        parts.update(_call_recipe(recipe, f'{key}.recipe', student=student, teacher=teacher))
    merged = Config({p: parts[p] for p in PARTS})
    merged.merge_from_dict({p: copy.deepcopy(dict(v)) for p, v in overrides.items()})
    resolved = {p: _drop_none(merged[p].to_dict() if merged.get(p) else {}) for p in PARTS}
    if teachers is not None:  # teacher_recorders.<teacher>.<name>=None drops that teacher's recorder
        resolved['teacher_recorders'] = {t: _drop_none(r) if isinstance(r, dict) else r
                                         for t, r in resolved['teacher_recorders'].items()}
    return resolved


def expand_recipe(model: dict, key: str = 'model') -> ConfigDict:
    """A ``DistillSegmentor`` config with its recipe spelled out: no ``recipe`` key, the four parts in full (what
    the distiller builds). A new ConfigDict (mmseg's segmentors need ConfigDicts); ``model`` is not changed."""
    model = copy.deepcopy(model.to_dict() if hasattr(model, 'to_dict') else dict(model))
    kd = resolve_recipe(model.pop('recipe', None), model.get('student'), model.get('teacher'),
                        {p: model.get(p) for p in PARTS}, key, model.get('teachers'))
    model.update(kd)
    return ConfigDict(model)
