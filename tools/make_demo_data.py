"""Writes the bundled synthetic street-scene dataset (Cityscapes folder layout).

    python tools/make_demo_data.py [--root data/demo_city] [--train 60] [--val 20] [--size 128 256] [--seed 0]
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
    args = parser.parse_args()
    start = time.time()
    counts = make_street_scenes(args.root, args.train, args.val, tuple(args.size), args.seed)
    print(f'wrote {counts["train"]} train + {counts["val"]} val synthetic scenes of {args.size[0]}x{args.size[1]} to '
          f'{args.root} in {time.time() - start:.1f}s')


if __name__ == '__main__':
    main()
