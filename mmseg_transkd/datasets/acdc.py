"""ACDC, the Adverse Conditions Dataset with Correspondences (Sakaridis et al., ICCV 2021), as used by TransKD.

TransKD (Liu et al., arXiv 2202.13393) reports ACDC val mIoU for all four conditions together ('All') and for each
condition (fog, night, rain, snow) separately; its teacher and students are trained on the four conditions together.
"""
import os.path as osp
from typing import List, Sequence, Union

import mmengine.fileio as fileio
from mmseg.datasets import CityscapesDataset
from mmseg.registry import DATASETS


@DATASETS.register_module()
class ACDCDataset(CityscapesDataset):
    """ACDC semantic segmentation: the 19 Cityscapes classes and palette, 255 = ignore.

    The layout is the one the ACDC release unpacks to (``rgb_anon_trainvaltest.zip`` and ``gt_trainval.zip``)::

        data_root/
          rgb_anon/{fog,night,rain,snow}/{train,val,test}/<sequence>/<frame>_rgb_anon.png
          gt/{fog,night,rain,snow}/{train,val}/<sequence>/<frame>_gt_labelTrainIds.png

    The release ships ``*_gt_labelTrainIds.png`` itself (train ids 0..18, 255 = void), so no conversion is needed.
    Each image is paired with the label of the same name (``<frame>_rgb_anon.png`` ->
    ``<frame>_gt_labelTrainIds.png``), and a missing label is an error, rather than pairing two separately sorted
    file lists as the official TransKD loader does (spec §5.13).

    Args:
        conditions (str | Sequence[str]): Conditions to load: any of ``'fog'``, ``'night'``, ``'rain'``, ``'snow'``,
            or ``'all'``. Defaults to all four. One condition gives the per-condition evaluation of the paper.
        split (str): Sub-folder of every condition: ``'train'``, ``'val'`` or ``'test'`` (``test`` has no labels:
            set ``data_prefix=dict(img_path='rgb_anon')``). Defaults to ``'train'``.
        data_prefix (dict): Image and label roots inside ``data_root``. Defaults to
            ``dict(img_path='rgb_anon', seg_map_path='gt')``.
        img_suffix (str): Defaults to ``'_rgb_anon.png'``.
        seg_map_suffix (str): Defaults to ``'_gt_labelTrainIds.png'``.
        **kwargs: Passed to :class:`mmseg.datasets.BaseSegDataset`.

    Every sample's ``condition`` is kept in its data info.
    """
    CONDITIONS = ('fog', 'night', 'rain', 'snow')

    def __init__(self, conditions: Union[str, Sequence[str]] = CONDITIONS, split: str = 'train',
                 data_prefix: dict = dict(img_path='rgb_anon', seg_map_path='gt'),
                 img_suffix: str = '_rgb_anon.png', seg_map_suffix: str = '_gt_labelTrainIds.png', **kwargs) -> None:
        if isinstance(conditions, str):
            conditions = self.CONDITIONS if conditions == 'all' else (conditions, )
        conditions = tuple(conditions)
        unknown = [c for c in conditions if c not in self.CONDITIONS]
        if unknown or not conditions:
            raise ValueError(f'ACDCDataset: conditions={conditions!r} has unknown or no conditions {unknown}; use any '
                             f"of {self.CONDITIONS} or 'all'.")
        self.conditions = conditions
        self.split = split
        super().__init__(data_prefix=data_prefix, img_suffix=img_suffix, seg_map_suffix=seg_map_suffix, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Lists ``<img_path>/<condition>/<split>/**/<frame><img_suffix>`` for every condition, sorted by path."""
        if self.ann_file:
            raise ValueError('ACDCDataset lists its folders; select images with conditions= and split=, not ann_file.')
        img_root = self.data_prefix.get('img_path', None)
        ann_root = self.data_prefix.get('seg_map_path', None)
        data_list = []
        for condition in self.conditions:
            img_dir = osp.join(img_root, condition, self.split)
            if not osp.isdir(img_dir):
                raise FileNotFoundError(
                    f'ACDCDataset: image folder "{img_dir}" (condition {condition!r}, split {self.split!r}) not '
                    'found. Unpack ACDC\'s rgb_anon_trainvaltest.zip and gt_trainval.zip into data_root so that it '
                    'holds rgb_anon/<condition>/<split>/ and gt/<condition>/<split>/.')
            ann_dir = osp.join(ann_root, condition, self.split) if ann_root else None
            frames = sorted(fileio.list_dir_or_file(img_dir, list_dir=False, suffix=self.img_suffix, recursive=True,
                                                    backend_args=self.backend_args))
            for frame in frames:
                info = dict(img_path=osp.join(img_dir, frame), condition=condition, label_map=self.label_map,
                            reduce_zero_label=self.reduce_zero_label, seg_fields=[])
                if ann_dir is not None:
                    seg_map = osp.join(ann_dir, frame[:-len(self.img_suffix)] + self.seg_map_suffix)
                    if not fileio.exists(seg_map, self.backend_args):
                        raise FileNotFoundError(f'ACDCDataset: label "{seg_map}" for image "{info["img_path"]}" '
                                                'not found (every image needs its *_gt_labelTrainIds.png).')
                    info['seg_map_path'] = seg_map
                data_list.append(info)
        return sorted(data_list, key=lambda x: x['img_path'])
