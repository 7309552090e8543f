"""Exports the student of a distillation checkpoint as a plain mmseg checkpoint (and, with --config, its config).

    python tools/export_student.py work_dirs/x/iter_160000.pth student.pth --config configs/transkd/segformer_b2_b0_city.py
    # then, in plain mmseg: init_model('student.py', 'student.pth')
"""
import argparse
import sys

from mmseg_transkd.utils import export_student


def main() -> None:
    parser = argparse.ArgumentParser(description='Export the deployable student of a distillation checkpoint.')
    parser.add_argument('checkpoint', help='checkpoint written by tools/train.py for a DistillSegmentor config')
    parser.add_argument('out', help='output .pth (plain mmseg checkpoint of the student)')
    parser.add_argument('--config', help='the distillation config; the student config is written to <out>.py')
    args = parser.parse_args()
    import mmseg_transkd  # noqa: F401  (safe-loading allowlist for MMEngine checkpoints)
    try:
        info = export_student(args.checkpoint, args.out, args.config)
    except (FileNotFoundError, ValueError) as err:
        sys.exit(f'export_student: {err}')
    print(f'exported {info["exported"]} student tensors (dropped {info["dropped"]} connector tensors) to '
          f'{info["checkpoint"]}' + (f'; student config: {info["config"]}' if info['config'] else ''))


if __name__ == '__main__':
    main()
