"""A segmentor that trains an mmseg student with knowledge distilled from a frozen mmseg teacher."""
import contextlib
import copy
import functools
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.logging import print_log
from mmengine.structures import BaseDataElement
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.models.segmentors import BaseSegmentor
from mmseg.registry import MODELS, TASK_UTILS
from mmseg.utils import OptSampleList, SampleList
from torch import Tensor

from ..teacher import build_frozen_teacher, drop_teacher_keys, ignore_missing_teacher_keys
from .recipes import resolve_recipe

SIDES = {'S': 'student', 'T': 'teacher', 'C': 'connector'}
TEACHER_DTYPES = {None: None, 'bf16': torch.bfloat16, 'fp16': torch.float16}


def _rng_states() -> dict:
    """torch's CPU generator state, and the CUDA ones once CUDA is in use."""
    states = dict(cpu=torch.get_rng_state())
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        states['cuda'] = torch.cuda.get_rng_state_all()
    return states


def _set_rng_states(states: dict) -> None:
    torch.set_rng_state(states['cpu'])
    if 'cuda' in states:
        torch.cuda.set_rng_state_all(states['cuda'])


def _channels(t: Tensor) -> int:
    """Channel count of an NCHW map (dim 1) or an NLC token tensor (last dim)."""
    return t.shape[-1] if t.dim() == 3 else t.shape[1]


def _take_rows(value, rows: Tensor, batch: int, where: Optional[str] = None):
    """``value`` restricted to the batch rows ``rows``: tensors whose first dim is the batch, lists of data samples
    of the batch, and lists / tuples of those (recursively). Anything else is returned as it is, or, with ``where``
    (a config key), refused: a value that is not batch-first cannot be restricted to some samples."""
    if isinstance(value, Tensor) and value.dim() > 0 and value.shape[0] == batch:
        return value.index_select(0, rows.to(value.device))
    if isinstance(value, (list, tuple)) and len(value) == batch and value \
            and all(isinstance(v, BaseDataElement) for v in value):
        return [value[i] for i in rows.tolist()]
    if isinstance(value, (list, tuple)):
        return type(value)(_take_rows(v, rows, batch, where) for v in value)
    if where is not None:
        raise ValueError(f'{where}: {_describe(value) if isinstance(value, Tensor) else type(value).__name__} is not '
                         f'a batch-first tensor of the {batch} samples, so this GT-reading loss cannot be restricted '
                         'to the labeled samples; train without unlabeled images.')
    return value


def _zero_like_graph(values: Sequence, params=()) -> Tensor:
    """0, connected to every tensor of ``values`` (nested lists too) and to ``params`` that need gradients: a loss
    skipped for lack of labeled samples still gives every parameter behind it a (zero) gradient, so DDP without
    ``find_unused_parameters`` keeps its reducer in step across ranks."""
    tensors, stack = [], list(values) + list(params)
    while stack:
        v = stack.pop()
        if isinstance(v, (list, tuple)):
            stack.extend(v)
        elif isinstance(v, Tensor) and v.requires_grad:
            tensors.append(v)
    zero = None
    for t in tensors:
        term = t.float().sum() * 0.0
        zero = term if zero is None else zero + term
    return zero if zero is not None else torch.zeros(())


def _head_loss_on_rows(head: BaseDecodeHead, loss_by_feat: Callable, rows: Tensor, batch: int, *args, **kwargs):
    """``head.loss_by_feat`` on the batch rows ``rows`` only (predictions and data samples); with no row, a zero
    loss under each of the head's loss names (no NaN, still connected to the predictions)."""
    if rows.numel() == 0:
        losses = head.loss_decode if isinstance(head.loss_decode, nn.ModuleList) else [head.loss_decode]
        zero = _zero_like_graph([*args, *kwargs.values()])
        return {loss.loss_name: zero for loss in losses}
    return loss_by_feat(*_take_rows(args, rows, batch), **{k: _take_rows(v, rows, batch) for k, v in kwargs.items()})


def _describe(value) -> str:
    if isinstance(value, Tensor):
        return str(tuple(value.shape))
    return '[' + ', '.join(_describe(v) for v in value) + ']'


def _refs(value) -> List[str]:
    """The references in an ``inputs`` / ``channels_from`` value: one reference, or a list of them (nested lists
    flattened)."""
    if isinstance(value, (list, tuple)):
        return [r for v in value for r in _refs(v)]
    return [value]


def _lookup(tensors: dict, ref):
    """The value of a reference, or the list of values of a list of references."""
    return [_lookup(tensors, r) for r in ref] if isinstance(ref, (list, tuple)) else tensors[ref]


@dataclass
class TeacherRun:
    """How the distiller runs one frozen teacher (the module itself is ``teacher`` or ``teachers[name]``).

    Attributes:
        key: Its config key, named in errors: ``'model.teacher'`` or ``'model.teachers.<name>'``.
        prefix: The reference prefix of its recorders: ``'T.'`` or ``'T.<name>.'``.
        dtype: Autocast dtype of its forward (``teacher_precision``); None runs it in the surrounding precision.
        precision_key: The config key that set ``dtype``.
        input_map: The student's network input -> this teacher's (``_teacher_normalisation``); None when equal.
        heads: Its heads (e.g. ``decode_head``) that hold one of its recorders: run after ``extract_feat``.
    """
    key: str
    prefix: str
    dtype: Optional[torch.dtype]
    precision_key: str
    input_map: Optional[Tuple[Tensor, Tensor, bool]]
    heads: List[str] = field(default_factory=list)


@MODELS.register_module()
class DistillSegmentor(BaseSegmentor):
    """Knowledge distillation wrapper around any mmseg segmentor (the student) and one or several frozen teachers.

    The teacher is built from its own config, loaded from its checkpoint, frozen (``requires_grad=False``), kept in
    eval mode whatever the runner does (drop-path, dropout off, BN statistics fixed) and run under ``no_grad`` only
    as far as the recorded tensors need: its backbone (and neck), plus a head only if a teacher recorder that a
    connector or loss reads sits in it (e.g. ``T.logits`` on ``decode_head.conv_seg``; unread recorders are dropped
    after the build).
    Tensors are captured by forward hooks (recorders), fed through trainable connectors and compared by
    distillation losses, all declared in the config. Validation, test and predict use the student alone, and
    checkpoints hold the student and the connectors but never the teacher.

    Under one seed, the student starts from the same weights as the student trained alone with that seed, and the
    random draws of training (drop path, dropout) continue from the same generator state: building the teacher, the
    connectors and the losses leaves torch's generator where the student's build left it, and ``init_weights``
    initialises the student first, then the rest, and restores the generator to where the student's init left it.
    Together with the seeded sampler and data pipeline, and the per-step reseeding from (seed, iteration) that
    ``engine/exact_resume.py`` installs, this makes a distilled run and a student-alone run with the same seed a
    paired comparison (``tools/compare.py``): same initial student, same data order and augmentation.

    Tensor references: ``'S.<name>'`` / ``'T.<name>'`` are student / teacher recorders, ``'C.<name>'`` is the output
    of a connector, and ``'GT'`` is the batch's ground truth (B×H×W train ids, 255 = ignore) for losses that need
    labels. Connectors run in dependency order. A list of references (e.g. ``preds_T=['T.cnn.logits',
    'T.vit.logits']``) passes the list of their values.

    Several teachers (``teachers=dict(<name>=dict(config=..., checkpoint=...), ...)`` instead of ``teacher=``): each
    is built, frozen, kept in eval mode, run under ``no_grad`` as far as its own recorders need, with its own input
    normalisation and its own ``teacher_precision``. Teacher references then name the teacher, ``'T.<name>.<rec>'``
    (e.g. ``'T.cnn.logits'``), and ``teacher_recorders`` is ``dict(<name>=dict(<rec>=cfg, ...), ...)``. The teachers
    live in ``self.teachers`` (a ModuleDict); checkpoints hold none of them.

    Unlabeled images (``datasets/unlabeled.py``, docs/unlabeled.md): a data sample without ``gt_sem_seg`` is
    unlabeled. Teacher, student and connectors run once on the whole batch; the student's decode and auxiliary
    losses are its heads' own ``loss_by_feat`` on the labeled rows (a batch without any gives 0 connected to the
    logits, not NaN); a distillation loss that reads ``GT`` gets every input restricted to the labeled rows (it
    equals its value on the labeled samples alone), every other distillation loss sees all samples. A batch whose
    samples are all labeled takes exactly the path without unlabeled images.

    Args:
        student (dict): Config of the student segmentor (e.g. mmseg's SegFormer MiT-B0 model).
        teacher (dict): ``dict(config=<model cfg dict or config file>, checkpoint=<path or URL>, strict=True)``.
            ``load_checkpoint=False`` keeps random teacher weights; only for counting FLOPs or checking shapes.
            Exactly one of ``teacher`` and ``teachers`` is set.
        recipe (str | list, optional): A named method in ``RECIPES`` (``recipes.py``, e.g. ``'transkd_base'``,
            ``'cwd'``); with ``teachers``, a list of ``dict(recipe=<name>, teacher=<name>, weight=1.0)`` (see
            ``recipes.py``). The four dicts below are then overrides merged into the recipe's (MMEngine's merge
            rules; an entry set to None is removed). Defaults to None: the four dicts are the whole method.
        student_recorders (dict): ``name -> recorder cfg`` for the student (see ``ModuleOutputsRecorder``).
        teacher_recorders (dict): ``name -> recorder cfg`` for the teacher; with ``teachers``,
            ``teacher name -> (name -> recorder cfg)``.
        connectors (dict): ``name -> connector cfg``; each cfg has ``inputs`` (list of references, passed
            positionally) and may have ``channels_from`` (``arg -> reference``): the constructor argument is filled
            with the per-stage channel counts of the referenced tensors, measured by a probe forward at build time,
            unless the config sets it. So channels and stage counts come from the networks, never from literals.
        distill_losses (dict): ``name -> loss cfg``; each cfg has ``inputs`` (``forward argument -> reference``) and
            may have ``channels_from`` (as for connectors, e.g. a loss that owns a network). The name is the log key
            and must contain ``'loss'``. A loss returns a scalar, or a dict of named scalar terms logged (and added
            to the total) as ``'<name>.<term>'``.
        probe_size (tuple[int, int]): Input size of the build-time probe forward. Defaults to (64, 64).
        teacher_precision (str, optional): Run the teacher under autocast: ``'bf16'`` (CPU and CUDA) or ``'fp16'``
            (CUDA). The recorded teacher tensors are then half precision and the losses compare them in fp32.
            None runs it in the surrounding precision. With ``teachers``, the default of every teacher whose dict
            sets no ``teacher_precision`` of its own. Defaults to None.
        student_only (bool): Build the student alone (for testing or inference from a distillation checkpoint:
            the teacher is not built or loaded and connector weights in a checkpoint are skipped). Defaults to False.
        data_preprocessor (dict, optional): Used only when the student config has no ``data_preprocessor``. The
            student's own preprocessing always wins: MMEngine's runner injects the config's top-level
            ``data_preprocessor`` here as a default, which may lack the student's crop ``size``.
        teachers (dict, optional): Several teachers, ``name -> dict(config=..., checkpoint=..., strict=True,
            teacher_precision=None)`` (names are identifiers; a teacher's ``teacher_precision`` overrides the
            top-level one). Defaults to None.
    """

    def __init__(self, student: dict, teacher: Optional[dict] = None, student_recorders: Optional[dict] = None,
                 teacher_recorders: Optional[dict] = None, connectors: Optional[dict] = None,
                 distill_losses: Optional[dict] = None, recipe=None,
                 probe_size: Tuple[int, int] = (64, 64),
                 teacher_precision: Optional[str] = None, student_only: bool = False, data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None, teachers: Optional[dict] = None) -> None:
        if student.get('data_preprocessor') is not None:
            data_preprocessor = copy.deepcopy(student['data_preprocessor'])
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.student = MODELS.build(student)
        after_student = _rng_states()  # restored at the end: only the student's build draws (see the docstring)
        self.student_only = student_only
        self._teacher_runs: Dict[Optional[str], TeacherRun] = {}  # by teacher name; None: the single teacher=
        if student_only:
            self._register_load_state_dict_pre_hook(self._drop_non_student_keys)
            return

        self._check_teacher_args(teacher, teachers)
        kd = resolve_recipe(recipe, student, teacher, dict(
            student_recorders=student_recorders, teacher_recorders=teacher_recorders, connectors=connectors,
            distill_losses=distill_losses), teachers=teachers)
        student_recorders, teacher_recorders = kd['student_recorders'], kd['teacher_recorders']
        connectors, distill_losses = kd['connectors'], kd['distill_losses']
        if recipe is not None:
            print_log(f'DistillSegmentor: recipe {recipe!r} -> connectors {list(connectors)}, distill_losses '
                      f'{list(distill_losses)}', logger='current')
        self._build_teachers(teacher, teachers, teacher_precision)
        self._register_state_dict_hook(self._drop_teacher_keys)
        self.register_load_state_dict_post_hook(self._ignore_missing_teacher_keys)

        self.recorders: Dict[str, object] = {}
        for prefix, key, model, cfgs in self._recorder_sides(student_recorders, teacher_recorders):
            for name, cfg in (cfgs or {}).items():
                recorder = TASK_UTILS.build(cfg)
                try:
                    recorder.attach(model)
                except ValueError as err:
                    raise ValueError(f'{key}.{name}: {err}') from None
                self.recorders[f'{prefix}{name}'] = recorder
        self._set_teacher_heads()

        self.connectors = nn.ModuleDict()  # filled below, after the probe has measured the recorded tensors
        self._connector_inputs: Dict[str, List[str]] = {}
        probe = self._probe(probe_size)
        for name, cfg in self._ordered_connectors(connectors or {}):
            self._build_connector(name, cfg, probe)
        self.distill_losses = nn.ModuleDict()
        self._loss_inputs: Dict[str, Dict[str, str]] = {}
        for name, cfg in (distill_losses or {}).items():
            self._build_loss(name, cfg, probe)
        self._needs_gt = 'GT' in _refs([list(inputs.values()) for inputs in self._loss_inputs.values()])
        self._drop_unused_recorders()
        _set_rng_states(after_student)

    def _set_teacher_heads(self) -> None:
        """Each teacher's heads (e.g. ``decode_head``) that hold one of its recorders: ``_teacher_forward`` runs just
        these after its backbone (and neck)."""
        for run in self._teacher_runs.values():
            run.heads = sorted({src.split('.')[0] for ref, r in self.recorders.items() if ref.startswith(run.prefix)
                                for src in r.sources if src.split('.')[0].endswith('head')})

    def _drop_unused_recorders(self) -> None:
        """Detaches recorders that no connector or loss reads, so e.g. the teacher's decode head runs only when a
        configured connector or loss consumes teacher logits (recorders read only by ``channels_from`` served the
        build-time probe and are dropped too)."""
        used = {ref for refs in self._connector_inputs.values() for ref in _refs(refs)}
        used |= {ref for inputs in self._loss_inputs.values() for ref in _refs(list(inputs.values()))}
        for ref in [ref for ref in self.recorders if ref not in used]:
            self.recorders.pop(ref).detach()
        self._set_teacher_heads()

    # ------------------------------------------------------------------ building
    @staticmethod
    def _check_teacher_args(teacher: Optional[dict], teachers: Optional[dict]) -> None:
        if (teacher is None) == (teachers is None):
            raise ValueError('model: set teacher=dict(config=..., checkpoint=...) for one teacher or teachers=dict('
                             '<name>=dict(config=..., checkpoint=...), ...) for several, '
                             + ('not both.' if teacher is not None else 'got neither.'))
        if teachers is not None:
            if not isinstance(teachers, dict) or not teachers:
                raise ValueError('model.teachers must be a non-empty dict(<name>=dict(config=..., checkpoint=...), '
                                 f'...), got {teachers!r}.')
            for name in teachers:
                if not isinstance(name, str) or not name.isidentifier():
                    raise ValueError(f'model.teachers: the teacher name {name!r} must be an identifier (letters, '
                                     'digits, _): references name it as T.<teacher>.<recorder>.')

    def _build_teachers(self, teacher: Optional[dict], teachers: Optional[dict],
                        teacher_precision: Optional[str]) -> None:
        """Builds every frozen teacher (``self.teacher``, or ``self.teachers[name]`` for several) and records how
        each is run (``self._teacher_runs``: precision, input normalisation)."""
        if teachers is None:
            self.teacher = build_frozen_teacher(teacher, 'model.teacher')
            specs = {None: ('model.teacher', 'T.', {})}
        else:
            self.teachers = nn.ModuleDict({name: build_frozen_teacher(spec, f'model.teachers.{name}')
                                           for name, spec in teachers.items()})
            specs = {name: (f'model.teachers.{name}', f'T.{name}.', spec) for name, spec in teachers.items()}
        for name, (key, prefix, spec) in specs.items():
            precision, precision_key = teacher_precision, 'model.teacher_precision'
            if 'teacher_precision' in spec:
                precision, precision_key = spec['teacher_precision'], f'{key}.teacher_precision'
            if precision not in TEACHER_DTYPES:
                raise ValueError(f'{precision_key} must be one of {sorted(TEACHER_DTYPES, key=str)}, '
                                 f'got {precision!r}')
            input_map = self._teacher_normalisation(self.data_preprocessor,
                                                    getattr(self._teacher(name), 'data_preprocessor', None))
            self._teacher_runs[name] = TeacherRun(key, prefix, TEACHER_DTYPES[precision], precision_key, input_map)

    def _teacher(self, name: Optional[str]) -> nn.Module:
        return self.teacher if name is None else self.teachers[name]

    def teacher_modules(self) -> Dict[Optional[str], nn.Module]:
        """Every frozen teacher by name (``{None: self.teacher}`` for the single ``teacher=``; empty when
        ``student_only``)."""
        return {name: self._teacher(name) for name in self._teacher_runs}

    def _recorder_sides(self, student_recorders: Optional[dict], teacher_recorders: Optional[dict]) -> list:
        """``(reference prefix, config key, network, recorder cfgs)`` of the student and of every teacher."""
        sides = [('S.', 'model.student_recorders', self.student, student_recorders)]
        if None in self._teacher_runs:
            return sides + [('T.', 'model.teacher_recorders', self.teacher, teacher_recorders)]
        teacher_recorders = dict(teacher_recorders or {})
        unknown = sorted(set(teacher_recorders) - set(self._teacher_runs))
        if unknown:
            raise ValueError(f'model.teacher_recorders: {unknown} name no teacher of model.teachers '
                             f'({", ".join(self._teacher_runs)}); with several teachers it is '
                             'dict(<teacher>=dict(<recorder>=cfg, ...), ...).')
        return sides + [(run.prefix, f'model.teacher_recorders.{name}', self.teachers[name],
                         teacher_recorders.get(name)) for name, run in self._teacher_runs.items()]

    @staticmethod
    def _teacher_normalisation(s_pre, t_pre) -> Optional[Tuple[Tensor, Tensor, bool]]:
        """``(scale, shift, flip)`` mapping the student's network input to the teacher's, or None if they are equal.

        Each preprocessor computes ``x = (P(raw) - mean) / std`` with P its channel order (reversed when it converts
        BGR to RGB) and mean/std in that order. The student's input therefore gives back
        ``P_s(raw) = x_s * std_s + mean_s``; when the two disagree on the conversion, the teacher's order is the
        flip of the student's, so ``x_t = (flip(x_s) * flip(std_s) + flip(mean_s) - mean_t) / std_t``: the
        channels are flipped first and the student's statistics move with them. ``_to_teacher_input`` applies it.
        """
        if t_pre is None:
            return None
        flip = getattr(s_pre, 'channel_conversion', False) != getattr(t_pre, 'channel_conversion', False)
        ones, zeros = torch.ones(3, 1, 1), torch.zeros(3, 1, 1)
        s_mean, s_std = (s_pre.mean, s_pre.std) if getattr(s_pre, '_enable_normalize', False) else (zeros, ones)
        t_mean, t_std = (t_pre.mean, t_pre.std) if getattr(t_pre, '_enable_normalize', False) else (zeros, ones)
        if flip:  # the student's statistics, listed in the student's channel order, follow the flipped channels
            s_mean, s_std = s_mean.flip(0), s_std.flip(0)
        if not flip and torch.equal(s_mean, t_mean) and torch.equal(s_std, t_std):
            return None
        return s_std / t_std, (s_mean - t_mean) / t_std, flip

    @staticmethod
    def _to_teacher_input(inputs: Tensor, input_map: Optional[Tuple[Tensor, Tensor, bool]]) -> Tensor:
        """The teacher's input from the student's (B×3×H×W), by ``_teacher_normalisation``'s map: flip, then scale
        and shift."""
        if input_map is None:
            return inputs
        scale, shift, flip = input_map
        if flip:
            inputs = inputs.flip(1)
        return inputs * scale.to(inputs) + shift.to(inputs)

    @staticmethod
    def _ordered_connectors(cfgs: dict) -> List[Tuple[str, dict]]:
        """Connectors in dependency order: one that reads ``C.x`` (in ``inputs`` or ``channels_from``) comes after x."""
        def refs(c: dict) -> List[str]:
            return [r for r in _refs([c.get('inputs', []), list(dict(c.get('channels_from') or {}).values())])
                    if isinstance(r, str) and r.startswith('C.')]

        pending, done, order = dict(cfgs), set(), []
        while pending:
            ready = [n for n, c in pending.items() if all(r[2:] in done for r in refs(c))]
            if not ready:
                raise ValueError(f'model.connectors: unresolvable or cyclic C.* references among {sorted(pending)} '
                                 f'(inputs / channels_from: { {n: refs(c) for n, c in pending.items()} })')
            for n in ready:
                order.append((n, pending.pop(n)))
                done.add(n)
        return order

    @torch.no_grad()
    def _probe(self, size: Tuple[int, int]) -> Dict[str, object]:
        """Runs student and teacher once on a small input and returns every recorded tensor by reference."""
        modes = [(m, m.training) for m in self.modules()]
        self.eval()
        # Models are built on the CPU and moved to the GPU by the runner afterwards, so the probe runs the teachers
        # in full precision: shapes do not depend on it, and an fp16 teacher (CUDA only) must still build.
        dtypes = {name: run.dtype for name, run in self._teacher_runs.items()}
        for run in self._teacher_runs.values():
            run.dtype = None
        x = torch.randn(1, 3, *size, generator=torch.Generator().manual_seed(0))
        try:
            tensors = self.distill_tensors(x)[0]
            tensors['GT'] = torch.randint(0, 2, (1, *size), generator=torch.Generator().manual_seed(0))
            return tensors
        except Exception as err:
            raise RuntimeError(f'model: the build-time probe forward at input size {size} failed ({err}). Set '
                               'model.probe_size to an input size both networks accept.') from err
        finally:
            for name, run in self._teacher_runs.items():
                run.dtype = dtypes[name]
            for m, mode in modes:
                m.training = mode

    def _resolve(self, where: str, ref, probe: Dict[str, object]):
        if isinstance(ref, (list, tuple)):
            return [self._resolve(f'{where}[{i}]', r, probe) for i, r in enumerate(ref)]
        several = None not in self._teacher_runs
        if not isinstance(ref, str) or (ref[:2] not in ('S.', 'T.', 'C.') and ref != 'GT'):
            raise ValueError(f'{where}: "{ref}" is not a tensor reference; use S.<recorder>, '
                             f'{"T.<teacher>.<recorder>" if several else "T.<recorder>"}, C.<connector> or GT.')
        if several and ref.startswith('T.') and ref.split('.')[1] not in self._teacher_runs:
            raise ValueError(f'{where}: "{ref}" names no teacher "{ref.split(".")[1]}"; with several teachers '
                             f'(model.teachers: {", ".join(self._teacher_runs)}) a teacher reference is '
                             'T.<teacher>.<recorder>.')
        if ref not in probe:
            known = sorted(probe)
            raise ValueError(f'{where}: unknown tensor reference "{ref}"; known: {known}.')
        return probe[ref]

    def _fill_channels(self, where: str, cfg: dict, probe: Dict[str, object]) -> None:
        """Fills ``cfg``'s ``channels_from`` arguments (unless set) with the probed channel counts (per stage for
        a list of tensors)."""
        for arg, ref in cfg.pop('channels_from', {}).items():
            if cfg.get(arg) is None:
                value = self._resolve(f'{where}.channels_from.{arg}', ref, probe)
                cfg[arg] = [_channels(t) for t in value] if isinstance(value, list) else _channels(value)

    def _build_connector(self, name: str, cfg: dict, probe: Dict[str, object]) -> None:
        where = f'model.connectors.{name}'
        cfg = copy.deepcopy(dict(cfg))
        inputs = list(cfg.pop('inputs', []))
        if not inputs:
            raise ValueError(f'{where}: set inputs=[...] (tensor references passed to the connector).')
        self._fill_channels(where, cfg, probe)
        args = [self._resolve(f'{where}.inputs', ref, probe) for ref in inputs]
        try:
            connector = MODELS.build(cfg)
            training = connector.training
            connector.eval()
            with torch.no_grad():
                probe[f'C.{name}'] = connector(*args)
            connector.train(training)
        except (ValueError, RuntimeError, TypeError) as err:
            shapes = '; '.join(f'{ref} {_describe(a)}' for ref, a in zip(inputs, args))
            raise ValueError(f'{where} ({cfg.get("type")}): cannot align student and teacher: {err} '
                             f'[inputs: {shapes}]') from None
        self.connectors[name] = connector
        self._connector_inputs[name] = inputs

    def _build_loss(self, name: str, cfg: dict, probe: Dict[str, object]) -> None:
        where = f'model.distill_losses.{name}'
        if 'loss' not in name:
            raise ValueError(f'{where}: the name is the log key and must contain "loss" (e.g. loss_{name}) so the '
                             'runner adds it to the total loss.')
        cfg = copy.deepcopy(dict(cfg))
        inputs = dict(cfg.pop('inputs', {}))
        if not inputs:
            raise ValueError(f'{where}: set inputs=dict(<forward arg>=<tensor reference>, ...).')
        self._fill_channels(where, cfg, probe)
        args = {arg: self._resolve(f'{where}.inputs.{arg}', ref, probe) for arg, ref in inputs.items()}
        loss = MODELS.build(cfg)
        try:
            with torch.no_grad():
                value = loss(**args)
            terms = value if isinstance(value, dict) and value else {'': value}
            if not all(isinstance(v, Tensor) and v.dim() == 0 for v in terms.values()):
                got = {k: _describe(v) if isinstance(v, Tensor) else type(v).__name__ for k, v in terms.items()}
                raise ValueError(f'the loss must return a scalar tensor or a dict of them, got {got}')
        except (ValueError, RuntimeError, TypeError) as err:
            sides = '; '.join(f'{arg}={ref} ({SIDES.get(_refs(ref)[0][0], "labels")}) {_describe(args[arg])}'
                              for arg, ref in inputs.items())
            raise ValueError(f'{where} ({cfg.get("type")}): student and teacher cannot be compared: {err} '
                             f'[{sides}]') from None
        self.distill_losses[name] = loss
        self._loss_inputs[name] = inputs

    def init_weights(self) -> None:
        """Initialises the student as the student alone would be (see the class docstring), then the rest."""
        if self.student.is_init:
            return super().init_weights()
        self.student.init_weights()
        after_student = _rng_states()
        super().init_weights()  # connectors and losses; the student and the loaded teacher are marked initialised
        _set_rng_states(after_student)

    # ------------------------------------------------------------- state / mode
    _drop_teacher_keys = staticmethod(drop_teacher_keys)
    _ignore_missing_teacher_keys = staticmethod(ignore_missing_teacher_keys)

    @staticmethod
    def _drop_non_student_keys(state_dict, prefix, *args) -> None:
        for key in [k for k in state_dict if k.startswith(prefix) and not k.startswith(prefix + 'student.')]:
            del state_dict[key]

    def train(self, mode: bool = True) -> 'DistillSegmentor':
        """Sets the train mode of the student and connectors; the teachers stay in eval mode."""
        super().train(mode)
        for teacher in [*self.teacher_modules().values(), *([self.teachers] if 'teachers' in self._modules else [])]:
            teacher.eval()
        return self

    # ------------------------------------------------------------------ forward
    def _set_recording(self, enabled: bool) -> None:
        for recorder in self.recorders.values():
            recorder.enabled = enabled
            if not enabled:
                recorder.reset()

    def teacher_inputs(self, inputs: Tensor, name: Optional[str] = None) -> Tensor:
        """The student's normalised batch renormalised for the teacher ``name`` (None: the single ``teacher=``; the
        same tensor if the two agree)."""
        return self._to_teacher_input(inputs, self._teacher_runs[name].input_map)

    @torch.no_grad()
    def _teacher_forward(self, inputs: Tensor) -> None:
        """Runs every teacher on its own normalisation of ``inputs``, in its own precision, as far as its recorders
        need (backbone and neck, then only the heads that hold one)."""
        for name, run in self._teacher_runs.items():
            teacher, x = self._teacher(name), self.teacher_inputs(inputs, name)
            device = x.device.type
            if run.dtype is torch.float16 and device != 'cuda':
                raise RuntimeError(f'{run.precision_key}="fp16" needs CUDA; use "bf16" on the CPU.')
            # no context at all for None: autocast(enabled=False) would switch off an outer --amp autocast
            precision = torch.autocast(device, run.dtype) if run.dtype else contextlib.nullcontext()
            with precision:
                feats = teacher.extract_feat(x)
                for head in run.heads:
                    getattr(teacher, head)(feats)

    def distill_tensors(self, inputs: Tensor, student_forward: Optional[Callable] = None) -> Tuple[dict, object]:
        """Runs the teachers (``no_grad``) and the student with the recorders on, then every connector.

        Args:
            inputs: The normalised batch (the student's input; the teacher gets its own normalisation).
            student_forward: Runs the student on ``inputs``; defaults to its full forward (``_forward``).

        Returns:
            ``(tensors, student_output)``: ``tensors`` maps every reference (``S.x``, ``T.x`` or ``T.<teacher>.x``,
            ``C.x``) to its value.
        """
        self._set_recording(True)
        try:
            self._teacher_forward(inputs)
            output = (student_forward or self.student._forward)(inputs)
            tensors = {ref: r.value for ref, r in self.recorders.items()}
        finally:
            self._set_recording(False)
        for name, connector in self.connectors.items():
            tensors[f'C.{name}'] = connector(*[_lookup(tensors, ref) for ref in self._connector_inputs[name]])
        return tensors, output

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        """Student decode loss(es) plus every distillation loss, each under its own key. With unlabeled samples in
        the batch (no ``gt_sem_seg``), the decode losses and the GT-reading distillation losses use the labeled
        samples only (see the class docstring)."""
        if self.student_only:
            raise RuntimeError('DistillSegmentor was built with student_only=True and cannot train; remove '
                               'model.student_only from the config.')
        labeled = [i for i, s in enumerate(data_samples) if 'gt_sem_seg' in s]
        if len(labeled) == len(data_samples):  # all labeled: exactly the path without unlabeled images
            rows, student_forward = None, functools.partial(self.student.loss, data_samples=data_samples)
        else:
            self.check_unlabeled()
            rows = torch.tensor(labeled, dtype=torch.long)
            student_forward = functools.partial(self._student_loss_on_rows, data_samples=data_samples, rows=rows)
        tensors, losses = self.distill_tensors(inputs, student_forward)
        if self._needs_gt and labeled:
            tensors['GT'] = torch.stack([data_samples[i].gt_sem_seg.data[0] for i in labeled])
        losses.update(self.distill_loss_values(tensors, rows, len(data_samples)))
        return losses

    def _student_loss_on_rows(self, inputs: Tensor, data_samples: SampleList, rows: Tensor) -> dict:
        """``student.loss`` on the whole batch (so every recorder sees all samples) with each decode / auxiliary
        head's ``loss_by_feat`` given the rows ``rows`` only: any mmseg segmentor whose heads compute their losses
        through ``loss_by_feat`` (every ``BaseDecodeHead``), the heads' own loss configs and reductions unchanged."""
        heads = [m for m in self.student.modules() if isinstance(m, BaseDecodeHead)]
        own = [m.__dict__.get('loss_by_feat') for m in heads]
        for head in heads:
            head.loss_by_feat = functools.partial(_head_loss_on_rows, head, head.loss_by_feat, rows,
                                                  len(data_samples))
        try:
            return self.student.loss(inputs, data_samples)
        finally:
            for head, attr in zip(heads, own):
                del head.loss_by_feat
                if attr is not None:
                    head.loss_by_feat = attr

    def gt_losses(self) -> List[str]:
        """Names of the distillation losses that read ``GT``."""
        return [name for name, inputs in self._loss_inputs.items() if 'GT' in inputs.values()]

    def check_unlabeled(self, where: str = 'train_dataloader.dataset.unlabeled') -> None:
        """Raises ``ValueError`` when unlabeled samples would teach the student nothing: a GT-reading loss uses the
        labeled samples only, so a recipe whose distillation losses all read ``GT`` (or that has none) gains
        nothing from unlabeled images but changed batch statistics (the training loop calls this at build)."""
        if self.student_only:
            raise ValueError(f'{where}: model.student_only=True builds no teacher, so the images without labels would '
                             'teach the student nothing; remove the unlabeled source or model.student_only.')
        gt = self.gt_losses()
        if len(gt) == len(self.distill_losses):
            what = (f'every distillation loss reads GT ({", ".join(f"model.distill_losses.{n}" for n in gt)}) and '
                    'uses the labeled samples only' if gt else 'the model has no distillation loss')
            raise ValueError(f'{where}: {what}, so the images without labels would teach the student nothing. '
                             'Remove the unlabeled source, or add a distillation loss that reads no GT (e.g. '
                             "drop a logit-KD loss's gt input, which only masks ignore pixels: "
                             'model.distill_losses.<name>.inputs.gt=None).')

    def distill_loss_values(self, tensors: dict, rows: Optional[Tensor] = None,
                            batch: Optional[int] = None) -> Dict[str, Tensor]:
        """Every distillation loss on ``tensors`` under its log key; a loss returning a dict of named terms gives
        one key ``'<name>.<term>'`` per term. With ``rows`` (the labeled rows of a batch of ``batch`` samples), a loss
        that reads ``GT`` gets its other inputs restricted to those rows (``tensors['GT']`` holds them only); with
        no labeled row it is skipped for a zero connected to its inputs and parameters."""
        values = {}
        for name, loss in self.distill_losses.items():
            refs = self._loss_inputs[name]
            if rows is not None and 'GT' in refs.values() and rows.numel() == 0:
                values[name] = _zero_like_graph([_lookup(tensors, r) for r in refs.values() if r != 'GT'],
                                                loss.parameters())
                continue
            args = {arg: _lookup(tensors, ref) for arg, ref in refs.items()}
            if rows is not None and 'GT' in refs.values():
                args = {arg: v if refs[arg] == 'GT' else
                        _take_rows(v, rows, batch, f'model.distill_losses.{name}.inputs.{arg}')
                        for arg, v in args.items()}
            value = loss(**args)
            if isinstance(value, dict):
                values.update({f'{name}.{term}': v for term, v in value.items()})
            else:
                values[name] = value
        return values

    def predict(self, inputs: Tensor, data_samples: OptSampleList = None) -> SampleList:
        return self.student.predict(inputs, data_samples)

    def _forward(self, inputs: Tensor, data_samples: OptSampleList = None) -> Tensor:
        return self.student._forward(inputs, data_samples)

    def extract_feat(self, inputs: Tensor) -> List[Tensor]:
        return self.student.extract_feat(inputs)

    def encode_decode(self, inputs: Tensor, batch_img_metas: List[dict]) -> Tensor:
        return self.student.encode_decode(inputs, batch_img_metas)
