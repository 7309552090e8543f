"""Parameters and FLOPs of a model config, per component, under two counters.

    python tools/get_flops.py CONFIG [--shape H W] [--cfg-options ...]

For a distillation config it reports the teacher (each teacher, and their sum, when it has several), the deployable
student and each training-time connector separately (teachers get random weights: nothing is downloaded). Two counters,
both labelled:

* official: the convention of the TransKD README's GFLOPs (mmcv-1.x counter: multiply-accumulates of conv / Linear /
  norm / ReLU / pooling modules; attention matmuls, softmax, GELU and interpolation not counted), see
  mmseg_transkd/analysis/flops.py;
* mmengine: MMEngine's FlopAnalyzer (traced; counts matmuls, including attention, and more element-wise ops).
"""
import argparse
import copy

import torch
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope

import mmseg_transkd  # noqa: F401
from mmseg.registry import MODELS
from mmseg_transkd.analysis.benchmark import build_distiller
from mmseg_transkd.analysis.flops import count_official_macs, count_params, mmengine_flops

NOTES = """Notes:
- "official" is the counter the TransKD README used: its GFLOPs are multiply-accumulates (GMACs). Reference points for
  the official architectures at 512x1024 (spec transkd.md §4): MiT-B0 3.72 M / 13.67 G, MiT-B2 27.36 M / 113.84 G.
- mmseg's SegFormer differs from the official one in ways both counters see: the Mix-FFN's fc1/fc2 are biased 1x1
  Conv2d (their biases count under the conv rule; the official Linear biases do not), the head has a ConvModule
  (conv + BN + ReLU) per stage instead of a Linear, 19 instead of 20 classes, and mmseg's MiT-B2 Cityscapes config keeps
  a 256-channel head (the official B2 head is 768 wide), so mmseg's B2 is smaller than the official 27.36 M / 113.84 G.
- Connectors are training-only: the deployable model is the student alone."""


def main() -> None:
    parser = argparse.ArgumentParser(description='Params and FLOPs per component of a config.')
    parser.add_argument('config')
    parser.add_argument('--shape', type=int, nargs=2, default=(512, 1024), metavar=('H', 'W'), help='input size')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    distiller = cfg.model.get('type') == 'DistillSegmentor'
    # a distiller gets a random-weight teacher: counting needs no download
    model = (build_distiller(cfg) if distiller else MODELS.build(copy.deepcopy(cfg.model))).eval()
    x = torch.zeros(1, 3, *args.shape)

    rows = []

    def add(name: str, module, run, inputs) -> None:
        rows.append((name, count_params(module), count_official_macs(module, run), mmengine_flops(module, inputs)))

    if distiller:
        teachers = model.teacher_modules()
        for name, teacher in teachers.items():
            add('teacher' if name is None else f'teacher {name}', teacher, lambda t=teacher: t._forward(x), (x,))
        if len(teachers) > 1:
            rows.append(('teachers (all)', *[sum(r[i] for r in rows) for i in (1, 2, 3)]))
        add('student (deployable)', model.student, lambda: model.student._forward(x), (x,))
        with torch.no_grad():
            # the student's full forward, as training runs it: student recorders may sit in the decode head
            # (KD's logits, CNN heads), which the backbone alone (extract_feat) never reaches
            tensors, _ = model.distill_tensors(x)
        for name, conn in model.connectors.items():
            conn_in = [tensors[ref] for ref in model._connector_inputs[name]]
            add(f'connector {name} ({type(conn).__name__})', conn, lambda c=conn, a=conn_in: c(*a), tuple(conn_in))
        student_row = next(i for i, r in enumerate(rows) if r[0] == 'student (deployable)')
        student, conns = rows[student_row], rows[student_row + 1:]
        rows.append(('student + connectors (training)', student[1] + sum(r[1] for r in conns),
                     student[2] + sum(r[2] for r in conns), student[3] + sum(r[3] for r in conns)))
    else:
        add('model', model, lambda: model._forward(x), (x,))

    print(f'{args.config} at input 1x3x{args.shape[0]}x{args.shape[1]}')
    print(f'{"component":<40} {"params":>12} {"official GFLOPs (GMACs)":>24} {"mmengine GFLOPs":>16}')
    for name, params, official, mme in rows:
        print(f'{name:<40} {params:>12,} {official / 1e9:>24.3f} {mme / 1e9:>16.3f}')
    print(NOTES)


if __name__ == '__main__':
    main()
