"""Data transforms of TransKD's own training and evaluation protocol (Liu et al., arXiv 2202.13393; spec §3)."""
import math
from typing import Tuple

import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS


def nearest_resize(label: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    """Centred nearest-neighbour resize of an H×W map to ``size`` (h, w): output pixel i reads input pixel
    ``floor((i + 0.5) · H / h)``, PIL's NEAREST convention (the release resizes labels with PIL)."""
    h, w = size
    rows = np.minimum(((np.arange(h) + 0.5) * label.shape[0] / h).astype(np.int64), label.shape[0] - 1)
    cols = np.minimum(((np.arange(w) + 0.5) * label.shape[1] / w).astype(np.int64), label.shape[1] - 1)
    return np.ascontiguousarray(label[rows[:, None], cols[None, :]])


@TRANSFORMS.register_module()
class RandomShift(BaseTransform):
    """Random integer translation of the image and its label by the same pixels, TransKD's ±2 px augmentation.

    tx, ty are drawn uniformly from {−max_shift, …, max_shift}; the content moves by (tx, ty) and the uncovered border
    is filled with ``img_pad_val`` (image) and ``seg_pad_val`` (label). The official co-transform shifts the image and
    the 1/4-resolution label by the same number of *pixels*, so the label moves 4× further than the image, and fills a
    negative shift of the label with 0 (road) (spec §5.7). Here the label must still have the image's size (put this
    transform before :class:`LabelToLogitGrid`), so both move by the same distance, and the fill is ignore (255).

    Required keys: ``img``, ``gt_seg_map``. Modified keys: ``img``, ``gt_seg_map``.

    Args:
        max_shift (int): Largest shift in pixels. Defaults to 2.
        img_pad_val (int): Image fill. Defaults to 0 (as released).
        seg_pad_val (int): Label fill. Defaults to 255 (ignore).
    """

    def __init__(self, max_shift: int = 2, img_pad_val: int = 0, seg_pad_val: int = 255) -> None:
        self.max_shift, self.img_pad_val, self.seg_pad_val = int(max_shift), img_pad_val, seg_pad_val

    @staticmethod
    def shift(arr: np.ndarray, tx: int, ty: int, fill) -> np.ndarray:
        """``out[y, x] = arr[y − ty, x − tx]`` where that lies inside ``arr``, ``fill`` elsewhere."""
        out = np.full_like(arr, fill)
        h, w = arr.shape[:2]
        src_y, dst_y = slice(max(0, -ty), min(h, h - ty)), slice(max(0, ty), min(h, h + ty))
        src_x, dst_x = slice(max(0, -tx), min(w, w - tx)), slice(max(0, tx), min(w, w + tx))
        out[dst_y, dst_x] = arr[src_y, src_x]
        return out

    def transform(self, results: dict) -> dict:
        tx, ty = (int(v) for v in np.random.randint(-self.max_shift, self.max_shift + 1, size=2))
        results['img'] = self.shift(results['img'], tx, ty, self.img_pad_val)
        if 'gt_seg_map' in results:
            if results['gt_seg_map'].shape[:2] != results['img'].shape[:2]:
                raise ValueError(f'RandomShift: the label is {results["gt_seg_map"].shape[:2]} but the image is '
                                 f'{results["img"].shape[:2]}; put RandomShift before LabelToLogitGrid in the '
                                 'pipeline so image and label move by the same distance.')
            results['gt_seg_map'] = self.shift(results['gt_seg_map'], tx, ty, self.seg_pad_val)
        results['shift'] = (tx, ty)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(max_shift={self.max_shift})'


@TRANSFORMS.register_module()
class LabelToLogitGrid(BaseTransform):
    """Nearest-resizes the label to the logit grid, ``ceil(h / stride) × ceil(w / stride)`` of the (resized) image.

    TransKD trains and evaluates on labels at 1/4 of the 512×1024 input (128×256; ACDC 512×910 → 128×228), the grid of
    the SegFormer logits, which are never upsampled (spec §3.1, §3.3). ``ceil`` is the stride-4 MiT grid; it equals the
    release's ``round`` for both datasets. Void stays 255 (ignore).

    * Training (``eval_grid=False``): put it after Resize / RandomFlip / :class:`RandomShift`; the loss then compares
      1/4-resolution logits with 1/4-resolution labels.
    * Official evaluation (``eval_grid=True``): put it after ``LoadAnnotations`` in a test pipeline whose ``Resize``
      comes first, so the native label is resized once, as in the release (Cityscapes 1024×2048 → 128×256). It also
      declares the logit grid as the image and original shape of the sample, so mmseg's segmentor hands the raw
      1/4-resolution logits to the argmax (its bilinear resizes become identities) and ``IoUMetric`` compares them
      with the 128×256 labels: the official mIoU protocol. Use it only for SegFormer-style models with stride-4
      logits and ``test_cfg.mode='whole'``.

    Required keys: ``img_shape``, ``gt_seg_map``. Modified keys: ``gt_seg_map`` (and ``img_shape``, ``ori_shape``,
    ``pad_shape`` with ``eval_grid``).

    Args:
        stride (int): Output stride of the logits. Defaults to 4.
        eval_grid (bool): Declare the grid as the prediction size (official evaluation). Defaults to False.
    """

    def __init__(self, stride: int = 4, eval_grid: bool = False) -> None:
        self.stride, self.eval_grid = int(stride), bool(eval_grid)

    def transform(self, results: dict) -> dict:
        h, w = results['img_shape'][:2]
        grid = (math.ceil(h / self.stride), math.ceil(w / self.stride))
        if 'gt_seg_map' not in results:
            raise KeyError('LabelToLogitGrid: no gt_seg_map in the sample; put it after LoadAnnotations.')
        results['gt_seg_map'] = nearest_resize(results['gt_seg_map'], grid)
        if self.eval_grid:
            results['img_shape'] = results['ori_shape'] = grid
            if 'pad_shape' in results:
                results['pad_shape'] = grid
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(stride={self.stride}, eval_grid={self.eval_grid})'
