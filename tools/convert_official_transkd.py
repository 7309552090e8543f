"""Converts an official TransKD checkpoint (github.com/RuipingL/TransKD) into this plugin's formats.

    python tools/convert_official_transkd.py segformerb2_teacher_cityscapes.pth teacher_b2_official.pth
    python tools/convert_official_transkd.py TransKD_EA_cityscapes.pth transkd_ea.pth [--student-out student.pth]

A SegFormer state dict (the teacher B2, a student B0) becomes a plain mmseg checkpoint for the
``configs/transkd_paper/segformer-official-*`` configs. A KD wrapper state dict (``student.*`` plus CSF / PEA / GL / EA
keys) becomes a DistillSegmentor checkpoint (load it with ``model.connectors.csf.bottleneck='official'``) and a
student-only mmseg checkpoint. Anything else is refused with a message saying why; nothing is written half.
"""
import argparse
import sys

from mmseg_transkd.utils.official import convert_file


def main() -> None:
    parser = argparse.ArgumentParser(description='Convert an official TransKD checkpoint to mmseg_transkd formats.')
    parser.add_argument('src', metavar='IN', help='official checkpoint (.pth state dict)')
    parser.add_argument('out', metavar='OUT', help='output .pth: a plain mmseg checkpoint for a SegFormer, a '
                                                   'DistillSegmentor checkpoint for a KD wrapper')
    parser.add_argument('--student-out', help='KD wrapper only: the student-only checkpoint '
                                              '(default <OUT without .pth>_student.pth)')
    args = parser.parse_args()
    try:
        info = convert_file(args.src, args.out, args.student_out)
    except (FileNotFoundError, ValueError) as err:
        sys.exit(f'convert_official_transkd: {err}')
    arch = info['arch']
    what = (f'official SegFormer (MiT embed_dims {arch["embed_dims"]}, depths {arch["num_layers"]}, head D='
            f'{arch["head_channels"]}, {arch["num_classes"]} classes)')
    if info['kind'] == 'segformer':
        print(f'detected: {what}\nwrote {info["tensors"]} tensors to {info["checkpoint"]} (mmseg EncoderDecoder with '
              'OfficialMixVisionTransformer + OfficialSegformerHead)')
    else:
        print(f'detected: official TransKD-{info["variant"].upper() if info["variant"] != "base" else "Base"} '
              f'wrapper, student {what}, teacher widths {arch["teacher_dims"]}\n'
              f'wrote the DistillSegmentor checkpoint ({info["tensors"]} tensors; build CSF with '
              f'bottleneck=\'official\') to {info["checkpoint"]}\nwrote the student-only checkpoint to '
              f'{info["student"]}')


if __name__ == '__main__':
    main()
