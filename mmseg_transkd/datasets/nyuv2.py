"""NYU Depth v2 with the 40-class semantic labels of Gupta et al. (CVPR 2013), as a segmentation dataset.

mmseg 1.2.2's ``NYUDataset`` is the depth-estimation task only; this class adds the 40-class segmentation task.
"""
from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS


def _voc_colormap(n: int) -> list:
    """The Pascal-VOC bit-interleaving colour map (colour k has the bits of k spread over R, G, B)."""
    colors = []
    for k in range(n):
        r = g = b = 0
        c = k
        for shift in range(7, -1, -1):
            r |= ((c >> 0) & 1) << shift
            g |= ((c >> 1) & 1) << shift
            b |= ((c >> 2) & 1) << shift
            c >>= 3
        colors.append([r, g, b])
    return colors


@DATASETS.register_module()
class NYUv2SegDataset(BaseSegDataset):
    """NYUv2 semantic segmentation with 40 classes (795 train / 654 test images of 480×640).

    Layout [I] (the official labelled release is one MATLAB file; see docs/datasets.md for the conversion)::

        data_root/
          images/{train,test}/<name>.png          RGB
          annotations/{train,test}/<name>.png     uint8: 0 = void, 1..40 = the 40 classes

    Labels are read with ``reduce_zero_label=True``: 0 (void) becomes 255 (ignored) and 1..40 become train ids 0..39.

    Args:
        img_suffix (str): Defaults to ``'.png'``.
        seg_map_suffix (str): Defaults to ``'.png'``.
        reduce_zero_label (bool): Defaults to True (0 is void in the 40-class maps).
        **kwargs: Passed to :class:`mmseg.datasets.BaseSegDataset`.
    """
    METAINFO = dict(
        classes=('wall', 'floor', 'cabinet', 'bed', 'chair', 'sofa', 'table', 'door', 'window', 'bookshelf',
                 'picture', 'counter', 'blinds', 'desk', 'shelves', 'curtain', 'dresser', 'pillow', 'mirror',
                 'floor mat', 'clothes', 'ceiling', 'books', 'refrigerator', 'television', 'paper', 'towel',
                 'shower curtain', 'box', 'whiteboard', 'person', 'night stand', 'toilet', 'sink', 'lamp',
                 'bathtub', 'bag', 'otherstructure', 'otherfurniture', 'otherprop'),
        palette=_voc_colormap(41)[1:])

    def __init__(self, img_suffix: str = '.png', seg_map_suffix: str = '.png', reduce_zero_label: bool = True,
                 **kwargs) -> None:
        super().__init__(img_suffix=img_suffix, seg_map_suffix=seg_map_suffix, reduce_zero_label=reduce_zero_label,
                         **kwargs)
