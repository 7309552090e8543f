"""What is being transferred: teacher / student / connector stage maps side by side, and where each KD loss acts.

    python tools/analysis/feature_maps.py CONFIG IMAGE --checkpoint work_dirs/x/iter_160000.pth [--out maps.png]
    python tools/analysis/feature_maps.py CONFIG IMAGE --random-init      # untrained connectors, random teacher

For a distiller CONFIG and one IMAGE (run through the config's test pipeline, or resized to ``--size``), one PNG:

* top row: the input, the teacher's and the student's predictions;
* one row per stage of every distillation loss that compares a teacher tensor (``preds_T``) with a student-side one
  (``preds_S``), with the columns
  teacher ``preds_T`` | student tensor feeding it (the ``S.*`` recorder at the root of the connector chain; when the
  connector keeps fewer stages than it reads, the deepest ones [I]) | connector output ``preds_S`` (blank when the
  loss reads the student directly) | KD loss map.

Maps are channel-PCA images (``--mode pca``: the first three principal components as RGB, each stretched to its 1-99 %
range; the connector map is projected on the teacher's principal directions when their widths match, so similar hues
mean similar features) or channel L2 norms (``--mode norm``). Token tensors (B x N x C) are laid out on the input's
aspect ratio.
The KD loss map of a stage is ``||dL/d preds_S||_2`` over channels at every position: where, and how hard, the loss
pushes the student side (for an MSE it is the residual's norm up to a constant; for any loss it is what the
optimiser sees). [I] It is a gradient map, not a per-pixel loss value, because most KD losses here (HCL's pyramid,
Gram, affinity, contrastive terms) have no per-pixel decomposition. Losses that read labels get a map only with
``--label``; vector-valued tensors (e.g. C2VKD's linguistic embeddings) have no map and are listed as skipped.
The PNG is exactly ``4 * panel`` pixels wide and ``(1 + stages) * panel`` high.
"""
import argparse
import copy
import math
import os
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope

import mmseg_transkd  # noqa: F401  (registers the plugin)
from mmseg_transkd.models.distillers.recipes import expand_recipe
from mmseg_transkd.utils.config import teacher_specs

COLUMNS = ('teacher', 'student', 'connector', 'KD loss map')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Teacher / student / connector stage maps and KD loss maps.')
    parser.add_argument('config', help='distiller config')
    parser.add_argument('image', help='input image')
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument('--checkpoint', help='distillation checkpoint (student + connectors); the teacher comes from '
                       'model.teacher.checkpoint')
    group.add_argument('--random-init', action='store_true',
                       help='no checkpoint: random student, connectors and teacher (nothing is loaded)')
    parser.add_argument('--label', help='label map of the image (train ids, 255 = ignore) for losses that read GT')
    parser.add_argument('--out', default='feature_maps.png', help='output PNG (default: feature_maps.png)')
    parser.add_argument('--mode', choices=['pca', 'norm'], default='pca', help='channel-PCA RGB or channel L2 norm')
    parser.add_argument('--size', nargs=2, type=int, metavar=('H', 'W'),
                        help='resize the image to H x W instead of the config\'s test pipeline')
    parser.add_argument('--panel', type=int, default=160, help='panel side in pixels (default: 160)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config entries, key=value')
    return parser.parse_args(argv)


# ----------------------------------------------------------------------------------------------------- building
def build_distiller(cfg: Config, checkpoint: Optional[str], random_init: bool):
    from mmseg.registry import MODELS
    model_cfg = expand_recipe(cfg.model)
    if model_cfg.get('type') != 'DistillSegmentor':
        raise SystemExit(f'{cfg.filename}: model.type is {model_cfg.get("type")!r}, not a DistillSegmentor config.')
    if random_init:
        for _, teacher in teacher_specs(model_cfg):
            teacher['load_checkpoint'] = False
        from mmseg_transkd.analysis.pair_check import _loads_a_file
        for conn in model_cfg['connectors'].values():
            if _loads_a_file(conn):
                conn['load_checkpoint'] = False
    model = MODELS.build(model_cfg)
    if checkpoint:
        from mmengine.runner.checkpoint import _load_checkpoint
        state = _load_checkpoint(checkpoint, map_location='cpu')
        state = state.get('state_dict', state)
        model.load_state_dict(state, strict=True)  # the teacher's keys are never in it and are not expected
    return model.eval()


def load_inputs(cfg: Config, model, image: str, size: Optional[Sequence[int]], label: Optional[str]):
    """The normalised input batch (1 x 3 x H x W) and the label map (1 x H x W, or None) on the input grid."""
    from mmcv.transforms import Compose
    if size:
        pipeline = [dict(type='LoadImageFromFile'), dict(type='Resize', scale=(size[1], size[0]), keep_ratio=False)]
    else:
        loader = cfg.get('test_dataloader') or cfg.get('val_dataloader')
        if not loader:
            raise SystemExit(f'{cfg.filename} has no test/val pipeline: give --size H W.')
        pipeline = [copy.deepcopy(t) for t in loader.dataset.pipeline if t['type'] not in ('LoadAnnotations',
                                                                                              'PackSegInputs')]
    if label:  # right after loading, so that the resize applies to the labels too
        pipeline.insert(1, dict(type='LoadAnnotations'))
    pipeline.append(dict(type='PackSegInputs'))
    data = Compose(pipeline)(dict(img_path=image, seg_map_path=label, reduce_zero_label=False, seg_fields=[]))
    batch = model.data_preprocessor(dict(inputs=[data['inputs']], data_samples=[data['data_samples']]), False)
    gt = batch['data_samples'][0].gt_sem_seg.data if label else None
    return batch['inputs'], (gt.long() if gt is not None else None), data['inputs'].flip(0).permute(1, 2, 0).numpy()


# ------------------------------------------------------------------------------------------------------- maps
def _as_list(value) -> List[torch.Tensor]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def to_map(t: torch.Tensor, hw: Tuple[int, int]) -> Optional[torch.Tensor]:
    """C x h x w of the first image of a B x C x h x w map or a B x N x C token tensor; None if not spatial."""
    if t.dim() == 4:
        return t[0].detach().float()
    if t.dim() == 3:
        n, c = t.shape[1], t.shape[2]
        h = max(1, round(math.sqrt(n * hw[0] / hw[1])))
        divisors = [d for d in range(1, n + 1) if n % d == 0]
        h = min(divisors, key=lambda d: abs(d - h))
        return t[0].detach().float().t().reshape(c, h, n // h)
    return None


def pca_basis(x: torch.Tensor) -> torch.Tensor:
    """The first three principal directions (C x 3, zero-padded below 3 channels) of a C x h x w map; each signed so
    that its projections are positively skewed (a deterministic sign)."""
    flat = x.flatten(1).t()  # hw x C
    centred = flat - flat.mean(0, keepdim=True)
    _, vecs = torch.linalg.eigh(centred.t() @ centred)
    basis = vecs[:, -3:].flip(1)  # C x k, strongest first
    if basis.shape[1] < 3:
        basis = torch.cat([basis, basis.new_zeros(basis.shape[0], 3 - basis.shape[1])], 1)
    return basis * torch.where(((centred @ basis) ** 3).sum(0) < 0, -1.0, 1.0)


def render_map(x: torch.Tensor, mode: str, directions: Optional[torch.Tensor] = None) -> np.ndarray:
    """h x w x 3 floats in [0, 1] (PCA) or h x w floats in [0, 1] (norm). ``directions`` (C x 3): project on these
    (another map's principal directions) instead of x's own; centring and range are always x's own, so a connector
    map on the teacher's directions is comparable in hue, not in scale."""
    if mode == 'norm':
        return norm01(x.norm(dim=0))
    flat = x.flatten(1).t()
    centred = flat - flat.mean(0, keepdim=True)
    proj = centred @ (directions if directions is not None else pca_basis(x))
    lo, hi = torch.quantile(proj, 0.01, dim=0), torch.quantile(proj, 0.99, dim=0)
    rgb = ((proj - lo) / (hi - lo).clamp_min(1e-12)).clamp(0, 1)
    return rgb.reshape(x.shape[1], x.shape[2], 3).numpy()


def norm01(m: torch.Tensor) -> np.ndarray:
    return ((m - m.min()) / (m.max() - m.min()).clamp_min(1e-12)).numpy()


# ------------------------------------------------------------------------------------------------- sections
def student_root(model, ref: str) -> Optional[str]:
    """The ``S.*`` reference at the root of a connector chain (first inputs), or None if it starts at the teacher."""
    seen = set()
    while ref.startswith('C.') and ref not in seen:
        seen.add(ref)
        ref = model._connector_inputs[ref[2:]][0]
    return ref if ref.startswith('S.') else None


def kd_sections(model, tensors: Dict[str, object], gt: Optional[torch.Tensor], hw: Tuple[int, int]):
    """One section per loss that compares ``preds_S`` with ``preds_T``: the per-stage maps and gradient maps."""
    sections, skipped = [], []
    for name, loss in model.distill_losses.items():
        inputs = model._loss_inputs[name]
        s_ref, t_ref = inputs.get('preds_S'), inputs.get('preds_T')
        if s_ref is None or t_ref is None:
            skipped.append(f'{name}: no preds_S / preds_T pair')
            continue
        if not isinstance(s_ref, str) or not isinstance(t_ref, str):
            skipped.append(f'{name}: {s_ref} / {t_ref} list several tensors (e.g. several teachers), not one map each')
            continue
        t_list, s_list = _as_list(tensors[t_ref]), _as_list(tensors[s_ref])
        if any(to_map(t, hw) is None for t in t_list + s_list):
            skipped.append(f'{name}: {s_ref} / {t_ref} are not spatial maps')
            continue
        grads = [None] * len(s_list)
        if 'GT' in inputs.values() and gt is None:
            skipped.append(f'{name}: no loss map (reads GT; give --label)')
        else:
            args = {a: (gt if r == 'GT' else tensors[r]) for a, r in inputs.items()}
            value = loss(**args)
            value = sum(value.values()) if isinstance(value, dict) else value
            wrt = [s for s in s_list if s.requires_grad]
            got = torch.autograd.grad(value, wrt, retain_graph=True, allow_unused=True) if wrt else []
            it = iter(got)
            grads = [next(it) if s.requires_grad else None for s in s_list]
        root = student_root(model, s_ref)
        root_list = _as_list(tensors[root]) if root else []
        sections.append(dict(name=name, s_ref=s_ref, t_ref=t_ref, root=root, t=t_list, s=s_list,
                             root_list=root_list, grads=grads))
    return sections, skipped


# --------------------------------------------------------------------------------------------------- drawing
def draw(out: str, image: np.ndarray, preds: Dict[str, np.ndarray], sections: list, mode: str, hw, panel: int,
         num_classes: int) -> Tuple[int, int]:
    """Writes the PNG; returns (rows, cols) of the panel grid."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    rows = 1 + sum(max(len(s['t']), len(s['s'])) for s in sections)
    cols = max(len(COLUMNS), 1 + len(preds))  # several teachers: one prediction each
    dpi = 100
    fig = plt.figure(figsize=(cols * panel / dpi, rows * panel / dpi), dpi=dpi)
    title_h = 14 / panel

    def cell(r: int, c: int, img, title: str, cmap=None):
        ax = fig.add_axes([c / cols, 1 - (r + 1) / rows, 1 / cols, (1 - title_h) / rows])
        ax.set_axis_off()
        if img is not None:
            ax.imshow(img, cmap=cmap, interpolation='nearest', aspect='auto')
        fig.text((c + 0.5) / cols, 1 - (r + title_h / 2) / rows, title, ha='center', va='center',
                 fontsize=max(3.0, min(8.0, panel / 24)))

    rng = np.random.default_rng(0)
    palette = rng.integers(0, 255, size=(max(num_classes, 1), 3)).astype(np.float32) / 255
    cell(0, 0, np.clip(image / 255.0, 0, 1), 'input')
    for c, (title, pred) in enumerate(preds.items(), start=1):
        cell(0, c, palette[pred % len(palette)], title)
    if 1 + len(preds) < cols:
        cell(0, 1 + len(preds), None, f'maps: {"channel PCA" if mode == "pca" else "channel L2 norm"}')
    r = 1
    for sec in sections:
        for k in range(max(len(sec['t']), len(sec['s']))):
            t = to_map(sec['t'][k], hw) if k < len(sec['t']) else None
            directions = pca_basis(t) if (t is not None and mode == 'pca') else None
            cell(r, 0, render_map(t, mode, directions) if t is not None else None, f'{sec["t_ref"]}[{k}]',
                 None if mode == 'pca' else 'viridis')
            # a connector that keeps fewer stages than its input (e.g. the last one) keeps the deepest: align from
            # the end [I]
            j = len(sec['root_list']) - len(sec['s']) + k if sec['root_list'] else -1
            root = to_map(sec['root_list'][j], hw) if 0 <= j < len(sec['root_list']) else None
            cell(r, 1, render_map(root, mode) if root is not None else None,
                 f'{sec["root"]}[{j}]' if root is not None else '-', None if mode == 'pca' else 'viridis')
            s = to_map(sec['s'][k], hw) if k < len(sec['s']) else None
            if sec['s_ref'].startswith('C.') and s is not None:
                same = directions is not None and s.shape[0] == t.shape[0]
                cell(r, 2, render_map(s, mode, directions if same else None),
                     f'{sec["s_ref"]}[{k}]' + (' (teacher PCs)' if same else ''), None if mode == 'pca' else 'viridis')
            else:
                cell(r, 2, None, '-')
            g = sec['grads'][k] if k < len(sec['grads']) else None
            if g is not None:
                gm = to_map(g, hw).norm(dim=0)
                cell(r, 3, norm01(gm), f'|dL/dS| {sec["name"]} (max {gm.max():.1e})', 'magma')
            else:
                cell(r, 3, None, f'{sec["name"]}: no map')
            r += 1
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    fig.savefig(out, dpi=dpi)
    plt.close(fig)
    return rows, cols


def main(argv=None) -> Tuple[int, int]:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    model = build_distiller(cfg, args.checkpoint, args.random_init)
    inputs, gt, image = load_inputs(cfg, model, args.image, args.size, args.label)
    hw = tuple(inputs.shape[-2:])
    with torch.enable_grad():
        tensors, _ = model.distill_tensors(inputs)
    sections, skipped = kd_sections(model, tensors, gt, hw)
    with torch.no_grad():
        preds = {f'teacher{"" if name is None else " " + name} prediction':
                 teacher._forward(model.teacher_inputs(inputs, name)).argmax(1)[0].numpy()
                 for name, teacher in model.teacher_modules().items()}
        preds['student prediction'] = model.student._forward(inputs).argmax(1)[0].numpy()
    num_classes = model.student.decode_head.num_classes
    rows, cols = draw(args.out, image, preds, sections, args.mode, hw, args.panel, num_classes)
    print(f'wrote {args.out}: {rows} x {cols} panels ({cols * args.panel} x {rows * args.panel} px); '
          f'losses drawn: {[s["name"] for s in sections]}')
    for line in skipped:
        print(f'  skipped {line}', file=sys.stderr)
    return rows, cols


if __name__ == '__main__':
    main()
