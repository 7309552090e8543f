"""Data transforms of TransKD's own training and evaluation protocol (Liu et al., arXiv 2202.13393; spec §3).

The release reads images and labels with PIL and resizes them with PIL: images with ``Resize(512)`` (Pillow's
bilinear, antialiased when shrinking) and labels once, from native resolution straight to the 1/4 logit grid, with
PIL nearest. :class:`PILResize` and :class:`LabelToLogitGrid` call Pillow itself, so the grids are Pillow's.
"""
import math
from functools import lru_cache
from typing import Tuple

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS
from PIL import Image

PIL_FILTERS = {'nearest': Image.NEAREST, 'bilinear': Image.BILINEAR, 'bicubic': Image.BICUBIC,
               'lanczos': Image.LANCZOS, 'box': Image.BOX, 'hamming': Image.HAMMING}
SEG_SHIFTS = ('with_image', 'deferred', 'release')


@lru_cache(maxsize=64)
def pil_nearest_indices(n_in: int, n_out: int) -> np.ndarray:
    """The input index each of ``n_out`` outputs reads when Pillow NEAREST-resizes ``n_in`` pixels to ``n_out``.

    Pillow samples at (i + 0.5)·n_in/n_out accumulated in floating point, which on exact ties (e.g. 1920 → 228,
    output 9 sits at 80.0) can land one pixel below the exact floor; resizing an index ramp with Pillow gives its
    choice exactly, for labels of any dtype.
    """
    ramp = Image.fromarray(np.arange(n_in, dtype=np.int32)[:, None])  # mode 'I'
    indices = np.asarray(ramp.resize((1, n_out), Image.NEAREST), dtype=np.int64)[:, 0].copy()
    indices.flags.writeable = False  # shared by the cache
    return indices


def nearest_resize(label: np.ndarray, size: Tuple[int, int], shift: Tuple[int, int] = (0, 0),
                   fill: int = 255) -> np.ndarray:
    """PIL-NEAREST resize of an H×W map to ``size`` (h, w), optionally of the map shifted first.

    Without ``shift`` this equals ``Image.resize((w, h), NEAREST)`` (output pixel i reads input pixel
    ≈ floor((i + 0.5)·H/h), Pillow's accumulation). ``shift`` = (sx, sy) moves the content by sx, sy *input* pixels
    before the resize (``shifted[y, x] = label[y − sy, x − sx]``), and outputs that read outside the map get ``fill``:
    a shift and a resize in one resampling.
    """
    h, w = size
    rows = pil_nearest_indices(label.shape[0], h) - int(shift[1])
    cols = pil_nearest_indices(label.shape[1], w) - int(shift[0])
    row_ok = (rows >= 0) & (rows < label.shape[0])
    col_ok = (cols >= 0) & (cols < label.shape[1])
    out = label[np.clip(rows, 0, label.shape[0] - 1)[:, None], np.clip(cols, 0, label.shape[1] - 1)[None, :]]
    if not (row_ok.all() and col_ok.all()):
        out = np.where(row_ok[:, None] & col_ok[None, :], out, np.asarray(fill, dtype=label.dtype))
    return np.ascontiguousarray(out)


def pil_resize(img: np.ndarray, size: Tuple[int, int], interpolation: str = 'bilinear') -> np.ndarray:
    """Resizes an H×W or H×W×C array to ``size`` = (w, h) with Pillow, keeping its dtype.

    uint8 images with 3 or 4 channels go through Pillow in one piece (per-channel 8-bit resampling with Pillow's
    rounding, what the release's RGB images get); other channel counts are resized channel by channel ('L' for uint8,
    'F' for float32).
    """
    resample = PIL_FILTERS[interpolation]
    if img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] in (3, 4):
        return np.array(Image.fromarray(np.ascontiguousarray(img)).resize(size, resample))  # a writable copy
    if img.ndim == 2:
        return pil_resize(img[..., None], size, interpolation)[..., 0]
    dtype = np.uint8 if img.dtype == np.uint8 else np.float32  # Pillow modes 'L' / 'F'
    chans = [np.array(Image.fromarray(np.ascontiguousarray(img[..., c].astype(dtype))).resize(size, resample))
             for c in range(img.shape[2])]
    return np.stack(chans, axis=-1).astype(img.dtype)


@TRANSFORMS.register_module()
class PILResize(BaseTransform):
    """Resizes the image with Pillow, as the TransKD release does (``torchvision.transforms.Resize`` on PIL images).

    Pillow's bilinear is antialiased: when shrinking, its triangle filter widens with the scale, so at 2× each output
    pixel mixes a 4-pixel window with weights 1/8, 3/8, 3/8, 1/8, where cv2's bilinear (mmseg's ``Resize``) averages a
    2×2 block. The release's ``Resize(512)`` sets the shorter side to 512 (Cityscapes 1024×2048 → 512×1024, ACDC
    1080×1920 → 512×910); ``scale=(1024, 512), keep_ratio=True`` gives the same sizes with mmseg's rule.

    The label (``gt_seg_map``) is left at its size unless ``resize_seg``: the paper protocol resizes it once, from
    native resolution to the logit grid, with :class:`LabelToLogitGrid`.

    Required keys: ``img``. Modified keys: ``img`` (``gt_seg_map`` with ``resize_seg``). Added keys: ``img_shape``,
    ``scale``, ``scale_factor`` (w, h), ``keep_ratio``.

    Args:
        scale (tuple[int, int]): (w, h) target, or with ``keep_ratio`` the (long, short) edge bounds, as mmseg's
            ``Resize``.
        keep_ratio (bool): Keep the aspect ratio (mmcv's ``rescale_size``). Defaults to True.
        interpolation (str): Pillow filter for the image: 'bilinear' (default, the release's), 'nearest', 'bicubic',
            'lanczos', 'box' or 'hamming'.
        resize_seg (bool): Also resize the label maps (``seg_fields``, else ``gt_seg_map``) to the image size with
            Pillow NEAREST. Defaults to False.
    """

    def __init__(self, scale: Tuple[int, int], keep_ratio: bool = True, interpolation: str = 'bilinear',
                 resize_seg: bool = False) -> None:
        if interpolation not in PIL_FILTERS:
            raise ValueError(f'PILResize: interpolation must be one of {tuple(PIL_FILTERS)}, got {interpolation!r}')
        self.scale, self.keep_ratio = tuple(int(s) for s in scale), bool(keep_ratio)
        self.interpolation, self.resize_seg = interpolation, bool(resize_seg)

    def transform(self, results: dict) -> dict:
        img = results['img']
        h, w = img.shape[:2]
        new_w, new_h = mmcv.rescale_size((w, h), self.scale) if self.keep_ratio else self.scale
        results['img'] = pil_resize(img, (new_w, new_h), self.interpolation)
        if self.resize_seg:
            for key in results.get('seg_fields', ['gt_seg_map']):
                if results.get(key) is not None:
                    results[key] = nearest_resize(results[key], (new_h, new_w))
        results['img_shape'] = (new_h, new_w)
        results['scale'] = (new_w, new_h)
        results['scale_factor'] = (new_w / w, new_h / h)
        results['keep_ratio'] = self.keep_ratio
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(scale={self.scale}, keep_ratio={self.keep_ratio}, '
                f'interpolation={self.interpolation!r}, resize_seg={self.resize_seg})')


@TRANSFORMS.register_module()
class RandomShift(BaseTransform):
    """Random integer translation of the image, and of its label, TransKD's ±2 px augmentation (spec §3.1).

    tx, ty are drawn uniformly from {−max_shift, …, max_shift}; the image content moves by (tx, ty) image pixels and
    the uncovered border is filled with ``img_pad_val``. The label follows according to ``seg_shift``:

    * ``'with_image'`` (default): the label has the image's size and moves by the same pixels; the uncovered border
      is ``seg_pad_val`` (ignore).
    * ``'deferred'``: the label is left as it is (e.g. at native resolution) and the shift is stored in
      ``results['seg_shift']``; :class:`LabelToLogitGrid` applies it while it resizes the label to the logit grid,
      in the same resampling, so image and label move by the same distance at any label resolution (the paper
      pipelines).
    * ``'release'``: the release's co-transform, defects included (spec §5.7): the label (already at 1/4 there) moves
      by the same number of *its own* pixels, i.e. 4× further than the image, and the border uncovered by a negative
      shift is ``release_oob_val`` (0 = road: the release crops past the image edge, which PIL fills with 0), the one
      uncovered by a positive shift ``seg_pad_val``.

    Required keys: ``img`` (``gt_seg_map`` if present). Modified keys: ``img``, ``gt_seg_map``. Added keys: ``shift``
    (tx, ty), ``seg_shift`` (with ``'deferred'``).

    Args:
        max_shift (int): Largest shift in pixels. Defaults to 2.
        img_pad_val (int): Image fill. Defaults to 0 (as released).
        seg_pad_val (int): Label fill. Defaults to 255 (ignore).
        seg_shift (str): ``'with_image'``, ``'deferred'`` or ``'release'``. Defaults to ``'with_image'``.
        release_oob_val (int): Label fill of a negative shift's border with ``'release'``. Defaults to 0.
    """

    def __init__(self, max_shift: int = 2, img_pad_val: int = 0, seg_pad_val: int = 255,
                 seg_shift: str = 'with_image', release_oob_val: int = 0) -> None:
        if seg_shift not in SEG_SHIFTS:
            raise ValueError(f'RandomShift: seg_shift must be one of {SEG_SHIFTS}, got {seg_shift!r}')
        self.max_shift, self.img_pad_val, self.seg_pad_val = int(max_shift), img_pad_val, seg_pad_val
        self.seg_shift, self.release_oob_val = seg_shift, release_oob_val

    @staticmethod
    def shift(arr: np.ndarray, tx: int, ty: int, fill, oob_fill=None) -> np.ndarray:
        """``out[y, x] = arr[y − ty, x − tx]`` where that lies inside ``arr``; elsewhere ``fill``, except the rows and
        columns uncovered by a negative shift, which get ``oob_fill`` when it is given (the release's label)."""
        out = np.full_like(arr, fill)
        h, w = arr.shape[:2]
        src_y, dst_y = slice(max(0, -ty), min(h, h - ty)), slice(max(0, ty), min(h, h + ty))
        src_x, dst_x = slice(max(0, -tx), min(w, w - tx)), slice(max(0, tx), min(w, w + tx))
        out[dst_y, dst_x] = arr[src_y, src_x]
        if oob_fill is not None:
            # The release pads (left, top) by (tx, ty) — negative pads cut instead — then crops (0, 0, w, h): what
            # lies past the right / bottom edge of the padded image comes from the crop, zero-filled by PIL.
            if tx < 0:
                out[:, w + tx:] = oob_fill
            if ty < 0:
                out[h + ty:] = oob_fill
        return out

    def transform(self, results: dict) -> dict:
        tx, ty = (int(v) for v in np.random.randint(-self.max_shift, self.max_shift + 1, size=2))
        results['img'] = self.shift(results['img'], tx, ty, self.img_pad_val)
        results['shift'] = (tx, ty)
        if results.get('gt_seg_map') is None:
            return results
        label = results['gt_seg_map']
        if self.seg_shift == 'deferred':
            results['seg_shift'] = (tx, ty)
        elif self.seg_shift == 'release':
            results['gt_seg_map'] = self.shift(label, tx, ty, self.seg_pad_val, self.release_oob_val)
        else:
            if label.shape[:2] != results['img'].shape[:2]:
                raise ValueError(f'RandomShift: the label is {label.shape[:2]} but the image is '
                                 f'{results["img"].shape[:2]}; with seg_shift="with_image" put RandomShift before '
                                 'LabelToLogitGrid in the pipeline so image and label move by the same distance, or '
                                 'use seg_shift="deferred" (LabelToLogitGrid then applies the shift).')
            results['gt_seg_map'] = self.shift(label, tx, ty, self.seg_pad_val)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(max_shift={self.max_shift}, seg_shift={self.seg_shift!r})'


@TRANSFORMS.register_module()
class LabelToLogitGrid(BaseTransform):
    """Resizes the label once, with PIL nearest, to the logit grid ``ceil(h / stride) × ceil(w / stride)`` of the
    (resized) image.

    TransKD trains and evaluates on labels at 1/4 of the 512-high input (Cityscapes 128×256; ACDC 512×910 → 128×228),
    the grid of the SegFormer logits, which are never upsampled (spec §3.1, §3.3). The release resizes the label once,
    from its native size (1024×2048, 1080×1920) straight to that grid, with PIL NEAREST; this transform does the same
    (Pillow's own sampling, :func:`nearest_resize`) from whatever size the label has, so put it where the label is
    still native (after ``LoadAnnotations`` and :class:`PILResize`, which leaves the label alone). ``ceil`` is the
    stride-4 MiT grid; it equals the release's ``round`` for both datasets. Void stays 255 (ignore).

    * Training (``eval_grid=False``): a shift that :class:`RandomShift` ``(seg_shift='deferred')`` stored in
      ``seg_shift`` (image pixels) is applied in the same resampling: the label moves by round(t · label size /
      image size) of its own pixels (Cityscapes: exactly 2t), the uncovered border is 255. A flip before it flips the
      native label, exactly as the image.
    * Official evaluation (``eval_grid=True``): put it after ``LoadAnnotations`` in a test pipeline whose resize comes
      first, so the native label is resized once, as in the release. It also declares the logit grid as the image and
      original shape of the sample, so mmseg's segmentor hands the raw 1/4-resolution logits to the argmax (its
      bilinear resizes become identities) and the metric compares them with the 1/4 labels: the official mIoU
      protocol. Use it only for SegFormer-style models with stride-4 logits and ``test_cfg.mode='whole'``.

    Required keys: ``img_shape``, ``gt_seg_map``. Modified keys: ``gt_seg_map`` (and ``img_shape``, ``ori_shape``,
    ``pad_shape`` with ``eval_grid``). Removed keys: ``seg_shift``.

    Args:
        stride (int): Output stride of the logits. Defaults to 4.
        eval_grid (bool): Declare the grid as the prediction size (official evaluation). Defaults to False.
        seg_pad_val (int): Fill of label pixels that a deferred shift uncovers. Defaults to 255.
    """

    def __init__(self, stride: int = 4, eval_grid: bool = False, seg_pad_val: int = 255) -> None:
        self.stride, self.eval_grid, self.seg_pad_val = int(stride), bool(eval_grid), seg_pad_val

    def transform(self, results: dict) -> dict:
        h, w = results['img_shape'][:2]
        grid = (math.ceil(h / self.stride), math.ceil(w / self.stride))
        if results.get('gt_seg_map') is None:
            raise KeyError('LabelToLogitGrid: no gt_seg_map in the sample; put it after LoadAnnotations.')
        label = results['gt_seg_map']
        tx, ty = results.pop('seg_shift', (0, 0))
        shift = (round(tx * label.shape[1] / w), round(ty * label.shape[0] / h))
        results['gt_seg_map'] = nearest_resize(label, grid, shift, self.seg_pad_val)
        if self.eval_grid:
            results['img_shape'] = results['ori_shape'] = grid
            if 'pad_shape' in results:
                results['pad_shape'] = grid
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(stride={self.stride}, eval_grid={self.eval_grid})'
