"""Numbers and figures of the quickstart report, read from what the runs wrote (nothing is typed in by hand)."""
import glob
import json
import os.path as osp
from typing import Dict, List, Sequence

import cv2
import numpy as np


def read_scalars(work_dir: str) -> Dict[str, List[dict]]:
    """The train and val scalars MMEngine's LocalVisBackend logged in the newest run of ``work_dir``."""
    files = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')))
    if not files:
        raise FileNotFoundError(f'no scalars.json under {work_dir}/*/vis_data/: the run did not log')
    train, val = [], []
    with open(files[-1]) as f:
        for line in f:
            row = json.loads(line)
            (val if 'mIoU' in row else train).append(row)
    return dict(train=train, val=val)


def plot_losses(curves: Dict[str, List[dict]], out: str) -> str:
    """One panel per loss key (decode.loss_ce, loss_kd, loss_csf, loss_pea, total), one line per run."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    keys = ['decode.loss_ce', 'loss_kd', 'loss_csf', 'loss_pea', 'loss']
    titles = ['student task loss (decode.loss_ce)', 'pixel KD (loss_kd)', 'CSF + HCL (loss_csf)', 'PEA (loss_pea)',
              'total loss']
    fig, axes = plt.subplots(1, len(keys), figsize=(5 * len(keys), 3.6))
    for ax, key, title in zip(axes, keys, titles):
        for i, (name, rows) in enumerate(curves.items()):
            pts = [(r['step'], r[key]) for r in rows if key in r]
            if pts:  # a fixed colour per run, whichever panels it appears in
                ax.plot(*zip(*pts), label=name, lw=1.4, color=f'C{i}')
        ax.set_title(title, fontsize=10)
        ax.set_xlabel('iteration')
        ax.set_yscale('log')
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def colourise(label: np.ndarray, palette: Sequence[Sequence[int]]) -> np.ndarray:
    """RGB image of a train-id map (ignore 255 in black)."""
    lut = np.zeros((256, 3), np.uint8)
    lut[:len(palette)] = np.asarray(palette, np.uint8)
    return lut[label]


def prediction_grid(images: List[str], labels: List[str], preds: Dict[str, List[np.ndarray]],
                    palette: Sequence[Sequence[int]], out: str) -> str:
    """Rows: val images. Columns: image, ground truth, then one prediction per model (names as column titles)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    cols = ['image', 'ground truth'] + list(preds)
    fig, axes = plt.subplots(len(images), len(cols), figsize=(2.6 * len(cols), 1.45 * len(images) + 0.4),
                             squeeze=False)
    for r, (img_path, label_path) in enumerate(zip(images, labels)):
        tiles = [cv2.imread(img_path)[..., ::-1], colourise(cv2.imread(label_path, cv2.IMREAD_UNCHANGED), palette)]
        tiles += [colourise(p[r], palette) for p in preds.values()]
        for c, tile in enumerate(tiles):
            axes[r, c].imshow(tile, interpolation='nearest')
            axes[r, c].set_xticks([])
            axes[r, c].set_yticks([])
            if r == 0:
                axes[r, c].set_title(cols[c], fontsize=9)
    fig.tight_layout(pad=0.3)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def markdown_table(header: Sequence[str], rows: Sequence[Sequence]) -> str:
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    lines += ['| ' + ' | '.join(str(c) for c in row) + ' |' for row in rows]
    return '\n'.join(lines)


def text_table(header: Sequence[str], rows: Sequence[Sequence]) -> str:
    cells = [list(map(str, header))] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    fmt = lambda r: '  '.join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))  # noqa
    return '\n'.join([fmt(cells[0]), '  '.join('-' * w for w in widths)] + [fmt(r) for r in cells[1:]])
