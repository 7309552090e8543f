"""Step-time and memory benchmark of distillation against its two parts, the student step and teacher inference.

Three steps on the same synthetic batch, timed side by side in one process (interleaved rounds, median after warm-up):

* (a) student training step: a separately built student (no hooks), task loss, backward, AdamW step;
* (b) teacher inference as the distiller runs it: eval, ``no_grad``, only as far as the recorded tensors need
  (a separately built teacher, no hooks), in the configured teacher precision;
* (c) distillation step: the real ``DistillSegmentor.loss`` path, backward through student and connectors, AdamW
  over student + connectors.

(c) / ((a) + (b)) is what the plugin adds on top of the two unavoidable parts. A separate instrumented pass splits (c)
into teacher forward, student forward (+ task loss), connectors + KD losses forward, backward and optimizer step.
Peak memory: on CUDA ``max_memory_allocated`` per step kind; on the CPU the peak resident memory of a fresh process
that builds and runs only that step kind, above the process's own size after imports (so weights, optimizer state,
activations and allocator caching count; the Python/torch runtime does not).
"""
import copy
import gc
import resource
import statistics
import time
from typing import Callable, Dict, List

import torch
from mmengine.config import Config
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

MODES = ('student', 'teacher', 'distill')


def build_distiller(cfg: Config, teacher_precision=None, device: str = 'cpu'):
    """The config's DistillSegmentor with random teacher weights (timing needs no download)."""
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.teacher['load_checkpoint'] = False
    if teacher_precision:
        model_cfg['teacher_precision'] = teacher_precision
    return MODELS.build(model_cfg).to(device)


def synthetic_batch(num_classes: int, batch: int, shape, device: str, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    inputs = torch.randn(batch, 3, *shape, generator=g).to(device)
    samples = []
    for _ in range(batch):
        s = SegDataSample(metainfo=dict(img_shape=tuple(shape), ori_shape=tuple(shape), pad_shape=tuple(shape)))
        s.gt_sem_seg = PixelData(data=torch.randint(0, num_classes, (1, *shape), generator=g).to(device))
        samples.append(s)
    return inputs, samples


def _total(losses: dict) -> torch.Tensor:
    return sum(v for k, v in losses.items() if 'loss' in k)


class Steps:
    """The three step kinds of one config, each a zero-argument callable."""

    def __init__(self, cfg: Config, batch: int, shape, device: str, teacher_precision=None,
                 modes=MODES) -> None:
        self.device = device
        distiller = build_distiller(cfg, teacher_precision, device)
        self.num_classes = distiller.student.decode_head.num_classes
        self.inputs, self.samples = synthetic_batch(self.num_classes, batch, shape, device)
        self.fns: Dict[str, Callable] = {}
        if 'student' in modes:
            self.student = MODELS.build(copy.deepcopy(cfg.model.student)).to(device).train()
            self.student.load_state_dict(distiller.student.state_dict())
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
        else:
            del distiller

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
            t = count_official_macs(d.teacher, lambda: d._teacher_forward(x))
            c = count_official_macs(d.connectors, lambda: d.distill_tensors(x, d.student.extract_feat))
        return dict(student=s, teacher=t, connectors=c, estimate=(3 * s + t + 3 * c) / (3 * s + t))

    def _now(self) -> float:
        if self.device == 'cuda':
            torch.cuda.synchronize()
        return time.perf_counter()

    def time_rounds(self, iters: int, warmup: int) -> Dict[str, List[float]]:
        """Interleaved rounds (a, b, c, a, b, c, ...) so drift of the machine hits all three alike."""
        times = {m: [] for m in self.fns}
        for i in range(warmup + iters):
            for mode, fn in self.fns.items():
                start = self._now()
                fn()
                if i >= warmup:
                    times[mode].append(self._now() - start)
        return times


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
