"""CamVid (Brostow et al., 2008/2009) in the 11-class split of SegNet (Badrinarayanan et al., TPAMI 2017).

The road-scene benchmark that CIRKD (Yang et al., CVPR 2022) and other segmentation-KD papers report next to
Cityscapes: 367 train, 101 val and 233 test images of 360x480 from driving videos, with 11 classes and a void label.
"""
from typing import Dict, Optional, Sequence

from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

CAMVID_VOID = 11
"""The annotation value of void (unlabelled) pixels in the SegNet CamVid maps; read as the ignore index 255."""


@DATASETS.register_module()
class CamVidDataset(BaseSegDataset):
    """CamVid, 11 classes, in the folder layout of the widely used SegNet split::

        data_root/
          train/<name>.png       trainannot/<name>.png      367 images
          val/<name>.png         valannot/<name>.png        101 images
          test/<name>.png        testannot/<name>.png       233 images

    Images are 360x480 RGB PNGs; an annotation has the image's file name and holds uint8 class ids 0..10 in the
    order of ``METAINFO['classes']`` and 11 for void. Void is mapped to 255, which mmseg's losses and ``IoUMetric``
    ignore: the dataset's label map carries ``11 -> 255`` and mmseg's ``LoadAnnotations`` applies it to every map
    (``reduce_zero_label`` stays False: 0 is the class sky, not void).

    The palette is the colour coding of the original CamVid release for these classes (Brostow et al.).

    Args:
        data_prefix (dict): Image and annotation folders inside ``data_root``. Defaults to the train split,
            ``dict(img_path='train', seg_map_path='trainannot')``.
        img_suffix (str): Defaults to ``'.png'``.
        seg_map_suffix (str): Defaults to ``'.png'``.
        **kwargs: Passed to :class:`mmseg.datasets.BaseSegDataset` (``metainfo=dict(classes=...)`` with a subset
            of the classes maps the others to 255 as usual in mmseg; void stays 255).
    """
    METAINFO = dict(
        classes=('sky', 'building', 'pole', 'road', 'sidewalk', 'tree', 'sign symbol', 'fence', 'car', 'pedestrian',
                 'bicyclist'),
        palette=[[128, 128, 128], [128, 0, 0], [192, 192, 128], [128, 64, 128], [0, 0, 192], [128, 128, 0],
                 [192, 128, 128], [64, 64, 128], [64, 0, 128], [64, 64, 0], [0, 128, 192]])

    def __init__(self, data_prefix: dict = dict(img_path='train', seg_map_path='trainannot'), img_suffix: str = '.png',
                 seg_map_suffix: str = '.png', reduce_zero_label: bool = False, **kwargs) -> None:
        if reduce_zero_label:
            raise ValueError('CamVidDataset: reduce_zero_label must be False (0 is the class sky; void is 11 and is '
                             'mapped to 255 by the dataset\'s label map).')
        super().__init__(data_prefix=data_prefix, img_suffix=img_suffix, seg_map_suffix=seg_map_suffix,
                         reduce_zero_label=False, **kwargs)

    @classmethod
    def get_label_map(cls, new_classes: Optional[Sequence] = None) -> Dict[int, int]:
        """mmseg's class-subset map (old id -> new id or 255), plus void: ``11 -> 255``, always."""
        label_map = super().get_label_map(new_classes) or {}
        label_map[CAMVID_VOID] = 255
        return label_map
