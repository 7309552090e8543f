"""Step-time and memory benchmark of distillation against its two parts, the student step and teacher inference.

Three steps on the same synthetic batch, timed side by side in one process (interleaved rounds, median after warm-up):

* (a) student training step: a separately built student (no hooks), task loss, backward, AdamW step;
* (b) teacher inference as the distiller runs it: eval, ``no_grad``, only as far as the recorded tensors need
  (a separately built teacher, no hooks), in the configured teacher precision; with several teachers, all of them;
* (c) distillation step: the real ``DistillSegmentor.loss`` path, backward through student and connectors, AdamW
  over student + connectors.

(c) / ((a) + (b)) is what the plugin adds on top of the two unavoidable parts. A separate instrumented pass splits (c)
into teacher forward, student forward (+ task loss), connectors + KD losses forward, backward and optimizer step.

The labels have the size the config's training pipeline gives them: the image size, or the logit grid when the
pipeline has ``LabelToLogitGrid`` (TransKD's protocol, labels at 1/4).

With the ``OFFICIAL_MODES`` three more steps, the official TransKD release's training step rebuilt from the same modules
(issue 19), run in the same rounds:

* (a') official student step: the student's full forward, the release's task loss written as it writes it
  (``NLLLoss(weight)`` on ``log_softmax``, labels at the logit grid), backward, AdamW step;
* (b') official teacher inference: the whole teacher, backbone *and* decode head, under ``no_grad`` (the release
  computes the teacher's logits and discards them);
* (c') official distillation step with the release's teacher put under ``no_grad`` (the release itself runs it with
  autograd on, spec §5.5): (b') + the student's full forward with the same recorders, the same connectors and KD
  losses, the release's task loss, backward through student and connectors, AdamW over both.
Peak memory: on CUDA ``max_memory_allocated`` per step kind; on the CPU the peak resident memory of a fresh process
that builds and runs only that step kind, above the process's own size after imports (so weights, optimizer state,
activations and allocator caching count; the Python/torch runtime does not).
"""
import copy
import gc
import math
import resource
import statistics
import time
from typing import Callable, Dict, List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from torch import Tensor

from mmseg_transkd.utils.config import teacher_specs

MODES = ('student', 'teacher', 'distill')
OFFICIAL_MODES = ('official_student', 'official_teacher', 'official_distill')


def build_distiller(cfg: Config, teacher_precision=None, device: str = 'cpu'):
    """The config's DistillSegmentor with random weights for every teacher (timing needs no download);
    ``teacher_precision`` applies to every teacher."""
    model_cfg = copy.deepcopy(cfg.model)
    for _, teacher in teacher_specs(model_cfg):
        teacher['load_checkpoint'] = False
        if teacher_precision and 'teacher_precision' in teacher:  # a teacher's own setting would win
            teacher['teacher_precision'] = teacher_precision
    if teacher_precision:
        model_cfg['teacher_precision'] = teacher_precision
    return MODELS.build(model_cfg).to(device)


def all_teachers(distiller) -> nn.Module:
    """Every teacher of ``distiller`` in one module (for counting): the teachers themselves, not copies."""
    return nn.ModuleList(distiller.teacher_modules().values())


def _find_transforms(node, type_name: str) -> list:
    """Every dict with ``type == type_name`` anywhere inside a (nested) config node."""
    if isinstance(node, dict):
        found = [node] if node.get('type') == type_name else []
        return found + [t for v in node.values() for t in _find_transforms(v, type_name)]
    if isinstance(node, (list, tuple)):
        return [t for v in node for t in _find_transforms(v, type_name)]
    return []


def train_label_shape(cfg: Config, shape) -> Tuple[int, int]:
    """Size of the training labels for ``shape``-sized inputs under ``cfg``'s training pipeline: the logit grid
    ``ceil(H / stride) × ceil(W / stride)`` when it has ``LabelToLogitGrid`` (TransKD's protocol), else ``shape``."""
    grids = [t for t in _find_transforms(cfg.get('train_dataloader', {}), 'LabelToLogitGrid')
             if not t.get('eval_grid', False)]
    if not grids:
        return tuple(shape)
    stride = int(grids[0].get('stride', 4))
    return math.ceil(shape[0] / stride), math.ceil(shape[1] / stride)


def synthetic_batch(num_classes: int, batch: int, shape, device: str, seed: int = 0, label_shape=None):
    """A random batch: inputs B×3×H×W and samples whose labels (train ids and 255) have ``label_shape`` (default:
    the image size)."""
    g = torch.Generator().manual_seed(seed)
    inputs = torch.randn(batch, 3, *shape, generator=g).to(device)
    label_shape = tuple(label_shape or shape)
    samples = []
    for _ in range(batch):
        s = SegDataSample(metainfo=dict(img_shape=tuple(shape), ori_shape=tuple(shape), pad_shape=tuple(shape)))
        label = torch.randint(0, num_classes, (1, *label_shape), generator=g)
        label[:, :, :max(1, label_shape[1] // 64)] = 255  # a band of ignored pixels, as datasets have
        s.gt_sem_seg = PixelData(data=label.to(device))
        samples.append(s)
    return inputs, samples


def _total(losses: dict) -> torch.Tensor:
    return sum(v for k, v in losses.items() if 'loss' in k)


def time_interleaved(fns: Dict[str, Callable[[], None]], rounds: int, warmup: int,
                     now: Callable[[], float]) -> Dict[str, List[float]]:
    """Seconds of every call of every step over ``rounds`` interleaved rounds (one call of each step per round, in
    order) after ``warmup`` untimed rounds, so drift of the machine's load hits every step alike. ``now`` reads the
    clock (after synchronising the device, where that matters)."""
    times = {name: [] for name in fns}
    for i in range(warmup + rounds):
        for name, fn in fns.items():
            start = now()
            fn()
            if i >= warmup:
                times[name].append(now() - start)
    return times


class Steps:
    """The step kinds of one config (``MODES``, and ``OFFICIAL_MODES`` if asked for), each a zero-argument callable."""

    def __init__(self, cfg: Config, batch: int, shape, device: str, teacher_precision=None,
                 modes=MODES, cpu_time: bool = False) -> None:
        self.device = device
        # process CPU time instead of wall time: with one thread it hardly depends on other jobs on the machine
        self.clock = time.process_time if cpu_time else time.perf_counter
        distiller = build_distiller(cfg, teacher_precision, device)
        self.num_classes = distiller.student.decode_head.num_classes
        self.label_shape = train_label_shape(cfg, shape)
        self.inputs, self.samples = synthetic_batch(self.num_classes, batch, shape, device,
                                                    label_shape=self.label_shape)
        self.fns: Dict[str, Callable] = {}

        def separate_student():
            student = MODELS.build(copy.deepcopy(cfg.model.student)).to(device).train()
            student.load_state_dict(distiller.student.state_dict())
            return student

        if 'student' in modes:
            self.student = separate_student()
            self.opt_student = torch.optim.AdamW(self.student.parameters(), lr=1e-6)
            self.fns['student'] = self.student_step
        if 'teacher' in modes:
            # a hook-free copy of the teacher, run exactly as the distiller runs it
            self.teacher_runner = copy.deepcopy(distiller)
            for recorder in self.teacher_runner.recorders.values():
                for handle in recorder._handles:
                    handle.remove()
            self.fns['teacher'] = self.teacher_step
        if 'distill' in modes:
            self.distiller = distiller.train()
            self.opt_distill = torch.optim.AdamW([p for p in distiller.parameters() if p.requires_grad], lr=1e-6)
            self.fns['distill'] = self.distill_step
        if any(m in modes for m in OFFICIAL_MODES):
            uses_distiller = 'official_teacher' in modes or 'official_distill' in modes
            self.official = OfficialSteps(self.inputs, self.samples,
                                          separate_student() if 'official_student' in modes else None,
                                          distiller if uses_distiller else None)
            for mode in OFFICIAL_MODES:
                if mode in modes:
                    self.fns[mode] = getattr(self.official, mode[len('official_'):] + '_step')
        del distiller  # kept by the steps that use it

    def student_step(self) -> None:
        loss = _total(self.student.loss(self.inputs, self.samples))
        loss.backward()
        self.opt_student.step()
        self.opt_student.zero_grad(set_to_none=True)

    def teacher_step(self) -> None:
        self.teacher_runner._teacher_forward(self.inputs)

    def distill_step(self) -> None:
        loss = _total(self.distiller.loss(self.inputs, self.samples))
        loss.backward()
        self.opt_distill.step()
        self.opt_distill.zero_grad(set_to_none=True)

    def distill_breakdown(self) -> Dict[str, float]:
        """One distillation step split into its phases (synchronised timestamps between them)."""
        d, t = self.distiller, {}
        clock = [self._now()]

        def lap(name):
            now = self._now()
            t[name] = now - clock[0]
            clock[0] = now

        d._set_recording(True)
        d._teacher_forward(self.inputs)
        lap('teacher forward')
        losses = d.student.loss(self.inputs, self.samples)
        tensors = {ref: r.value for ref, r in d.recorders.items()}
        d._set_recording(False)
        lap('student forward + task loss')
        for name, conn in d.connectors.items():
            tensors[f'C.{name}'] = conn(*[tensors[ref] for ref in d._connector_inputs[name]])
        losses.update(d.distill_loss_values(tensors))
        lap('connectors + KD losses forward')
        _total(losses).backward()
        lap('backward')
        self.opt_distill.step()
        self.opt_distill.zero_grad(set_to_none=True)
        lap('optimizer step')
        return t

    def mac_estimate(self) -> Dict[str, float]:
        """The ratio (c) / ((a) + (b)) that the arithmetic alone suggests (official-convention MACs).

        A training step costs roughly three forward passes (forward, input gradients, weight gradients), teacher
        inference one: estimate = (3·S + T + 3·C) / (3·S + T) with S, T, C the forward MACs of the student, the teacher
        as KD runs it, and the connectors. It is an estimate, not a bound: backward passes do not cost exactly twice
        the forward on every layer type.
        """
        from .flops import count_official_macs
        d, x = self.distiller, self.inputs
        with torch.no_grad():
            s = count_official_macs(d.student, lambda: d.student._forward(x))
            t = count_official_macs(all_teachers(d), lambda: d._teacher_forward(x))
            # the student's full forward, as training runs it: recorders may sit in the decode head (logits,
            # CNN heads), which the backbone alone (extract_feat) never reaches
            c = count_official_macs(d.connectors, lambda: d.distill_tensors(x))
        return dict(student=s, teacher=t, connectors=c, estimate=(3 * s + t + 3 * c) / (3 * s + t))

    def _now(self) -> float:
        if self.device == 'cuda':
            torch.cuda.synchronize()
        return self.clock()

    def time_rounds(self, iters: int, warmup: int) -> Dict[str, List[float]]:
        """Interleaved rounds (a, b, c, a, b, c, ...) so drift of the machine hits all three alike."""
        return time_interleaved(self.fns, iters, warmup, self._now)


class OfficialSteps:
    """The official release's student step, teacher inference and distillation step (teacher under ``no_grad``),
    rebuilt from our modules; see the module docstring, (a')–(c'). The teacher runs in fp32, as released.

    Args:
        inputs, samples: The batch. The labels enter the release's loss on the logit grid (nearest-resized to it if
            the config's pipeline keeps them at another size).
        student: A student segmentor without hooks for (a'), or None.
        distiller: The ``DistillSegmentor`` for (b') and (c') (its teacher, student, recorders, connectors and KD
            losses, with an optimizer of its own; it may be the one timed as (c)), or None.
    """

    def __init__(self, inputs: Tensor, samples, student=None, distiller=None) -> None:
        self.inputs, self.student, self.d = inputs, student, distiller
        any_student = student if student is not None else distiller.student
        labels = torch.stack([s.gt_sem_seg.data[0] for s in samples])
        with torch.no_grad():
            grid = any_student._forward(inputs[:1]).shape[2:]
        if labels.shape[1:] != grid:
            labels = F.interpolate(labels[:, None].float(), size=grid, mode='nearest')[:, 0].long()
        self.labels = labels
        weight = getattr(any_student.decode_head.loss_decode, 'class_weight', None)  # ClassWeightedCELoss's
        self.class_weight = weight if isinstance(weight, Tensor) else None
        if student is not None:
            self.opt_student = torch.optim.AdamW(student.parameters(), lr=1e-6)
        if distiller is not None:
            distiller.train()
            self.opt_distill = torch.optim.AdamW([p for p in distiller.parameters() if p.requires_grad], lr=1e-6)
            self.gt = torch.stack([s.gt_sem_seg.data[0] for s in samples]) if distiller._needs_gt else None

    def task_loss(self, logits: Tensor) -> Tensor:
        """The release's ``CrossEntropyLoss2d``: ``NLLLoss(weight)`` on ``log_softmax`` (spec §2.1); void (255) has
        no weight, here as ``ignore_index``, which gives the same value."""
        return F.nll_loss(F.log_softmax(logits, dim=1), self.labels, weight=self.class_weight, ignore_index=255)

    def student_step(self) -> None:
        self.task_loss(self.student._forward(self.inputs)).backward()
        self.opt_student.step()
        self.opt_student.zero_grad(set_to_none=True)

    @torch.no_grad()
    def teacher_step(self) -> None:
        """The whole teacher (backbone and decode head) on the teacher's normalisation of the batch; every teacher."""
        for name, teacher in self.d.teacher_modules().items():
            teacher.decode_head(teacher.extract_feat(self.d.teacher_inputs(self.inputs, name)))

    def distill_step(self) -> None:
        d = self.d
        d._set_recording(True)
        try:
            self.teacher_step()
            logits = d.student._forward(self.inputs)
            tensors = {ref: r.value for ref, r in d.recorders.items()}
        finally:
            d._set_recording(False)
        for name, conn in d.connectors.items():
            tensors[f'C.{name}'] = conn(*[tensors[ref] for ref in d._connector_inputs[name]])
        if self.gt is not None:
            tensors['GT'] = self.gt
        loss = self.task_loss(logits) + _total(d.distill_loss_values(tensors))
        loss.backward()
        self.opt_distill.step()
        self.opt_distill.zero_grad(set_to_none=True)


def profile_step(fn: Callable, top: int = 8) -> Dict[str, object]:
    """One run of ``fn`` under ``torch.profiler`` (CPU): the operators with the most self time, and the layout copies
    (``aten::copy_`` calls and the MiB they copy, from the recorded shapes; op counts do not depend on the machine's
    load). Self times include the profiler's own overhead."""
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        fn()
    copies, copied = 0, 0.0
    for event in prof.events():
        if event.name == 'aten::copy_':
            copies += 1
            if event.input_shapes and event.input_shapes[0]:
                copied += math.prod(event.input_shapes[0]) * 4 / 2**20  # fp32 elements
    ops = sorted(prof.key_averages(), key=lambda e: -e.self_cpu_time_total)[:top]
    return dict(copies=copies, copied_mib=copied,
                top=[(e.key, e.count, e.self_cpu_time_total / 1e3) for e in ops],
                total_ms=sum(e.self_cpu_time_total for e in prof.key_averages()) / 1e3)


def median(xs: List[float]) -> float:
    return statistics.median(xs)


def rss_mib() -> float:
    """Current resident memory of this process (Linux /proc), MiB."""
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def reset_peak_rss() -> None:
    """Resets the kernel's resident high-water mark (VmHWM) of this process to its current size (Linux)."""
    with open('/proc/self/clear_refs', 'w') as f:
        f.write('5')


def peak_rss_mib() -> float:
    """VmHWM: the peak resident memory since the last ``reset_peak_rss``, MiB."""
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmHWM:'):
                return int(line.split()[1]) / 1024
    raise RuntimeError('no VmHWM in /proc/self/status')


def cuda_peak_mib(steps: Steps, mode: str, iters: int = 2) -> float:
    gc.collect()
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats()
    for _ in range(iters):
        steps.fns[mode]()
    torch.cuda.synchronize()
    return torch.cuda.max_memory_allocated() / 2**20
