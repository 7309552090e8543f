"""Writes the bundled synthetic street-scene dataset (Cityscapes folder layout).

    python tools/make_demo_data.py [--root data/demo_city] [--train 60] [--val 20] [--size 128 256] [--seed 0]
        [--extra N] [--subset K ...]
"""
import argparse
import time

from mmseg_transkd.demo import make_street_scenes


def main() -> None:
    parser = argparse.ArgumentParser(description='Generate synthetic street scenes in the Cityscapes layout.')
    parser.add_argument('--root', default='data/demo_city', help='dataset root (the config data_root)')
    parser.add_argument('--train', type=int, default=60, help='training images')
    parser.add_argument('--val', type=int, default=20, help='validation images')
    parser.add_argument('--size', type=int, nargs=2, default=(128, 256), metavar=('H', 'W'), help='image size')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--extra', type=int, default=0,
                        help='extra scenes without labels in leftImg8bit/train_extra (for distillation on unlabeled '
                             'images; train and val stay the same)')
    parser.add_argument('--subset', type=int, nargs='*', default=[], metavar='K',
                        help='write splits/train_K.txt listing the first K training scenes (a few-label subset, read '
                             'through the config\'s ann_file)')
    args = parser.parse_args()
    start = time.time()
    counts = make_street_scenes(args.root, args.train, args.val, tuple(args.size), args.seed, args.extra, args.subset)
    extra = f' + {counts["train_extra"]} unlabeled train_extra' if args.extra else ''
    lists = ''.join(f', splits/train_{k}.txt (the first {k} train scenes)' for k in args.subset)
    print(f'wrote {counts["train"]} train + {counts["val"]} val{extra} synthetic scenes of '
          f'{args.size[0]}x{args.size[1]}{lists} to {args.root} in {time.time() - start:.1f}s')


if __name__ == '__main__':
    main()
