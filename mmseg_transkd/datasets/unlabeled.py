"""Training on labeled and unlabeled images together: an image-only dataset, the pair of sources, and their sampler.

Labels are the expensive part of segmentation data; a distillation loss needs none. A ``LabeledUnlabeledDataset``
puts an image-only source (``UnlabeledImageDataset``: a folder or a file list, mmseg's ``img_suffix`` /
``data_prefix`` / ``ann_file`` conventions) next to the labeled training set, and a ``LabeledUnlabeledSampler`` fills
every batch with a fixed number of samples of each. ``DistillSegmentor`` then computes the student's decode (and
auxiliary) losses on the labeled samples and the distillation losses on all of them (see docs/unlabeled.md)::

    train_dataloader = dict(
        batch_size=2,                                          # per GPU: 1 labeled + 1 unlabeled
        sampler=dict(type='LabeledUnlabeledSampler', unlabeled_ratio=0.5),
        dataset=dict(
            type='LabeledUnlabeledDataset',
            labeled=dict(type='CityscapesDataset', ...),       # the labeled training set, as before
            unlabeled=dict(type='UnlabeledImageDataset', data_root='data/cityscapes/',
                           data_prefix=dict(img_path='leftImg8bit/train_extra'),
                           img_suffix='_leftImg8bit.png')))    # pipeline: the labeled one, less LoadAnnotations

Why our own sampler and not mmdet 3.x's ``MultiSourceSampler`` (the semi-supervised detection one, over a
``ConcatDataset``; mmdet is optional here): its per-source streams are what we keep (the labeled one is MMEngine's
``InfiniteSampler`` order, ``randperm`` from a generator seeded with the run's seed, every W-th position on rank r),
but it has no start position and no per-sample seeds, so a resumed run would replay every skipped sample and augment
differently (``engine/exact_resume.py``), and both its sources draw their orders from the same generator seed. Ours
adds the exact-resume positions and seeds, and gives the unlabeled stream its own seed domain. The dataset is a
``ConcatDataset`` (labeled first, with the ``cumulative_sizes`` mmdet's sampler reads).
"""
import copy
import os.path as osp
from typing import Iterator, Optional, Sequence, Tuple, Union

from mmengine.dataset import BaseDataset, ConcatDataset
from mmengine.logging import print_log
from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATA_SAMPLERS, DATASETS

from ..utils.config import type_name
from .seeded import SAMPLE, UNLABELED, SeededIndex, SeededInfiniteSampler, derive_seed, seeded_generators

KEY = 'train_dataloader.dataset'  # where a LabeledUnlabeledDataset sits; errors name the keys below it


def label_free_pipeline(pipeline: Sequence) -> list:
    """The training pipeline for images without labels: every ``*LoadAnnotations`` is dropped, and a ``RandomCrop``
    whose ``cat_max_ratio`` < 1 (a retry rule that reads the label map) crops uniformly (``cat_max_ratio=1.0``).
    Geometry and photometric transforms apply to the image as for the labeled samples."""
    out, changed = [], []
    for t in pipeline:
        name = type_name(t.get('type') if isinstance(t, dict) else type(t)) or ''
        if name.endswith('LoadAnnotations'):
            changed.append(f'{name} dropped')
            continue
        if name == 'RandomCrop' and isinstance(t, dict) and t.get('cat_max_ratio', 1.0) < 1.0:
            t = dict(copy.deepcopy(t), cat_max_ratio=1.0)
            changed.append('RandomCrop.cat_max_ratio set to 1.0 (the class-ratio rule needs labels)')
        out.append(t)
    if changed:
        print_log(f'{KEY}.unlabeled.pipeline: {"; ".join(changed)}.', logger='current')
    return out


def _reads_label_map(err: KeyError) -> bool:
    """Whether a pipeline's ``KeyError`` is a transform looking for the label map that no step loaded."""
    return str(err).strip("'") in ('gt_seg_map', 'seg_fields')


@DATASETS.register_module()
class UnlabeledImageDataset(BaseSegDataset):
    """Images without labels, for distillation on images nobody annotated.

    The images are every file under ``data_root/data_prefix.img_path`` (searched recursively) whose name ends in
    ``img_suffix``, sorted by path, or, with ``ann_file``, the names it lists (one per line, without ``img_suffix``,
    relative to that folder: mmseg's convention). The training pipeline is taken as given less what needs a label
    (:func:`label_free_pipeline`), so the geometry transforms still apply to the image and ``PackSegInputs`` packs a
    sample without ``gt_sem_seg``. Metainfo (classes, palette) is the labeled dataset's in a
    ``LabeledUnlabeledDataset``.

    Args:
        img_suffix (str): Defaults to '.jpg' (mmseg's default); '_leftImg8bit.png' for Cityscapes.
        pipeline (Sequence): The training pipeline. Defaults to ().
        **kwargs: ``data_root``, ``data_prefix=dict(img_path=...)``, ``ann_file``, ... as for mmseg's datasets;
            ``data_prefix.seg_map_path`` is refused (there are no labels to read).
    """

    def __init__(self, img_suffix: str = '.jpg', pipeline: Sequence = (), **kwargs) -> None:
        prefix = kwargs.get('data_prefix')
        if isinstance(prefix, dict) and prefix.get('seg_map_path'):
            raise ValueError(f'{KEY}.unlabeled.data_prefix.seg_map_path: an unlabeled dataset reads no labels; remove '
                             'seg_map_path (labeled images belong in train_dataloader.dataset.labeled).')
        kwargs['data_prefix'] = dict(img_path=(prefix or {}).get('img_path', ''))
        super().__init__(img_suffix=img_suffix, pipeline=label_free_pipeline(pipeline), **kwargs)

    def load_data_list(self) -> list:
        folder = self.data_prefix.get('img_path', '')
        if not self.ann_file and '://' not in folder and not osp.isdir(folder):
            raise FileNotFoundError(f'{KEY}.unlabeled.data_prefix.img_path: image folder "{folder}" not found; point '
                                    f'{KEY}.unlabeled.data_root / data_prefix.img_path at your images.')
        data_list = super().load_data_list()
        if not data_list:
            where = f'listed in ann_file "{self.ann_file}"' if self.ann_file else f'under "{folder}"'
            raise ValueError(f'{KEY}.unlabeled: no image ending in "{self.img_suffix}" {where}. Check '
                             f'{KEY}.unlabeled.data_root, data_prefix.img_path and img_suffix (e.g. '
                             'img_suffix=".png" for a folder of PNG files).')
        return data_list

    def prepare_data(self, idx: int):
        try:
            return super().prepare_data(idx)
        except KeyError as err:
            if _reads_label_map(err):
                raise ValueError(f'{KEY}.unlabeled.pipeline: a transform reads the label map ({err}), which an '
                                 'unlabeled image does not have; remove it from this pipeline.') from err
            raise


@DATASETS.register_module()
class LabeledUnlabeledDataset(ConcatDataset):
    """The labeled training set and an image-only source, one after the other (indices ``[0, num_labeled)`` are
    labeled); the batches are mixed by :class:`LabeledUnlabeledSampler`.

    Every sample is checked as it is loaded: a labeled one must carry ``gt_sem_seg`` (its pipeline needs
    ``LoadAnnotations``), an unlabeled one must not (a label there would be silently ignored by the distiller, which
    tells the two apart by it). Metainfo is the labeled dataset's.

    Args:
        labeled (dict | BaseDataset): The labeled training set (any mmseg dataset).
        unlabeled (dict | BaseDataset): The images without labels, e.g. :class:`UnlabeledImageDataset`. A config
            without ``pipeline`` gets the labeled one's (which :class:`UnlabeledImageDataset` rids of what needs
            labels), so both sources are augmented alike.
        data_root (str, optional): Sets ``data_root`` of both (configs), so ``--cfg-options
            train_dataloader.dataset.data_root=...`` points a run at other data as it does for a plain dataset (e.g.
            with ``tools/compare.py``, whose options apply to the student alone too). Defaults to None.
        pipeline (list, optional): Sets the pipeline of both (configs), likewise. Defaults to None.
        lazy_init (bool): Defaults to False.
    """

    def __init__(self, labeled: Union[dict, BaseDataset], unlabeled: Union[dict, BaseDataset],
                 data_root: Optional[str] = None, pipeline: Optional[list] = None, lazy_init: bool = False) -> None:
        if isinstance(unlabeled, dict) and 'pipeline' not in unlabeled and pipeline is None:
            if not isinstance(labeled, dict):
                raise ValueError(f'{KEY}.unlabeled has no pipeline and {KEY}.labeled is an already built dataset '
                                 f'whose pipeline cannot be copied; give {KEY}.unlabeled a pipeline.')
            unlabeled = dict(unlabeled, pipeline=copy.deepcopy(labeled.get('pipeline', [])))
        shared = {k: v for k, v in (('data_root', data_root), ('pipeline', pipeline)) if v is not None}
        parts = []
        for name, part in (('labeled', labeled), ('unlabeled', unlabeled)):
            if shared:
                if not isinstance(part, dict):
                    raise ValueError(f'{KEY}.{"/".join(shared)} applies to both sources, but {KEY}.{name} is an '
                                     'already built dataset; give it as a config dict.')
                part = dict(part, **copy.deepcopy(shared))
            parts.append(DATASETS.build(part) if isinstance(part, dict) else part)
        keys = sorted(set(parts[0].metainfo) | set(parts[1].metainfo))  # the labeled metainfo is the one kept
        super().__init__(parts, lazy_init=lazy_init, ignore_keys=keys)

    @property
    def num_labeled(self) -> int:
        return len(self.datasets[0])

    @property
    def num_unlabeled(self) -> int:
        return len(self.datasets[1])

    def __getitem__(self, idx):
        if isinstance(idx, SeededIndex):  # the sampler used without the exact-resume loops' SeededSampleDataset
            with seeded_generators(idx.seed):
                return self[idx.index]
        labeled = self._get_ori_dataset_idx(idx)[0] == 0
        try:
            data = super().__getitem__(idx)
        except KeyError as err:
            if labeled and _reads_label_map(err):
                raise ValueError(f'{KEY}.labeled.pipeline: a transform reads the label map ({err}) that no step '
                                 'loaded; the labeled pipeline needs LoadAnnotations before it.') from err
            raise
        samples = data.get('data_samples') if isinstance(data, dict) else None
        if samples is not None:
            if labeled and 'gt_sem_seg' not in samples:
                raise ValueError(f'{KEY}.labeled.pipeline: a labeled sample without gt_sem_seg; the labeled '
                                 'pipeline needs LoadAnnotations (before PackSegInputs).')
            if not labeled and 'gt_sem_seg' in samples:
                raise ValueError(f'{KEY}.unlabeled: a sample of the unlabeled source has a gt_sem_seg; its pipeline '
                                 f'({KEY}.unlabeled.pipeline) must not load labels (labeled images belong in '
                                 f'{KEY}.labeled).')
        return data


def split_batch(batch_size: Optional[int], unlabeled_ratio: float) -> Tuple[int, int]:
    """``(labeled, unlabeled)`` samples per batch (per GPU) for ``unlabeled_ratio`` of ``batch_size``; raises
    ``ValueError`` naming the config keys when the ratio is outside (0, 1) or does not split the batch into whole
    numbers of at least one sample each."""
    if isinstance(unlabeled_ratio, bool) or not isinstance(unlabeled_ratio, (int, float)) \
            or not 0 < unlabeled_ratio < 1:
        raise ValueError('train_dataloader.sampler.unlabeled_ratio must be a number in (0, 1), the share of '
                         f'unlabeled samples in each batch (0.5 for 1:1), got {unlabeled_ratio!r}.')
    if not isinstance(batch_size, int) or batch_size < 2:
        raise ValueError('train_dataloader.sampler.batch_size must be the per-GPU batch size '
                         '(train_dataloader.batch_size, at least 2: one labeled and one unlabeled sample); '
                         f'got {batch_size!r}. tools/train.py fills it in from train_dataloader.batch_size.')
    unlabeled = batch_size * unlabeled_ratio
    if abs(unlabeled - round(unlabeled)) > 1e-6 or not 1 <= round(unlabeled) < batch_size:
        raise ValueError(f'train_dataloader.sampler.unlabeled_ratio={unlabeled_ratio} of '
                         f'train_dataloader.batch_size={batch_size} is {unlabeled:g} unlabeled samples per batch; '
                         'choose a ratio and batch size whose product is a whole number from 1 to batch_size - 1 '
                         '(e.g. unlabeled_ratio=0.5 with an even batch_size).')
    return batch_size - round(unlabeled), round(unlabeled)


@DATA_SAMPLERS.register_module()
class LabeledUnlabeledSampler(SeededInfiniteSampler):
    """Infinite, seeded batches of L labeled then U unlabeled samples of a :class:`LabeledUnlabeledDataset`.

    Two global streams, each like :class:`SeededInfiniteSampler`'s (rank r of W takes every W-th position):

    * labeled: exactly the stream ``SeededInfiniteSampler`` draws over the labeled dataset with the same seed (the
      same order and per-sample seeds, so the same augmentation). With L equal to the student-alone batch size, the
      labeled samples of every step are those of the student trained alone under that seed: "student alone on the
      labeled images" and "distilled student that also sees unlabeled images" are a paired comparison;
    * unlabeled: its own seed domain (order from ``derive_seed(seed, UNLABELED)``, sample p loaded under
      ``derive_seed(seed, UNLABELED, SAMPLE, p)``), so it never repeats the labeled stream's draws.

    ``start`` (global samples already trained, set by the exact-resume loop) is split into the two streams'
    positions by the per-batch counts, so a resumed run continues both exactly (``engine/exact_resume.py``).
    Iteration-based training only (the sampler never ends an epoch).

    Args:
        dataset: A :class:`LabeledUnlabeledDataset` (possibly wrapped in ``SeededSampleDataset``).
        unlabeled_ratio (float): Share of unlabeled samples in every batch, in (0, 1); 0.5 is 1:1.
        batch_size (int, optional): The per-GPU batch size, ``train_dataloader.batch_size`` (the exact-resume loop
            fills it in). Defaults to None.
        shuffle (bool): Defaults to True.
        seed (int, optional): Defaults to the run's seed, shared by all ranks.
    """

    def __init__(self, dataset, unlabeled_ratio: float, batch_size: Optional[int] = None, shuffle: bool = True,
                 seed: Optional[int] = None) -> None:
        if getattr(dataset, 'num_unlabeled', None) is None:
            raise ValueError(f'train_dataloader.sampler: LabeledUnlabeledSampler draws from a LabeledUnlabeledDataset, '
                             f'got {type(getattr(dataset, "dataset", dataset)).__name__}; set {KEY}='
                             "dict(type='LabeledUnlabeledDataset', labeled=..., unlabeled=...).")
        super().__init__(dataset, shuffle=shuffle, seed=seed)
        self.num_labeled, self.num_unlabeled = dataset.num_labeled, dataset.num_unlabeled
        self.labeled_per_batch, self.unlabeled_per_batch = split_batch(batch_size, unlabeled_ratio)

    def stream_starts(self) -> Tuple[int, int]:
        """Positions of the labeled and the unlabeled stream after ``start`` samples of the mixed stream."""
        steps, rest = divmod(self.start, self.labeled_per_batch + self.unlabeled_per_batch)
        labeled = steps * self.labeled_per_batch + min(rest, self.labeled_per_batch)
        return labeled, self.start - labeled

    def __iter__(self) -> Iterator[SeededIndex]:
        start_l, start_u = self.stream_starts()
        labeled = self._stream(self.num_labeled, self.seed, start_l, SAMPLE)
        unlabeled = self._stream(self.num_unlabeled, derive_seed(self.seed, UNLABELED), start_u, UNLABELED, SAMPLE)
        while True:
            for _ in range(self.labeled_per_batch):
                yield next(labeled)
            for _ in range(self.unlabeled_per_batch):
                index, seed = next(unlabeled)
                yield SeededIndex(self.num_labeled + index, seed)


def check_unlabeled_training(model, dataset, sampler) -> None:
    """Raises ``ValueError`` naming the config key when ``dataset`` has unlabeled samples and the run cannot use
    them: batches not composed by :class:`LabeledUnlabeledSampler` (a batch could then lack labeled samples on one
    rank), a segmentor without distillation (its only loss needs labels), or a distiller whose ``check_unlabeled``
    refuses (e.g. every distillation loss reads ``GT``)."""
    if not getattr(dataset, 'num_unlabeled', 0):
        return
    if not isinstance(sampler, LabeledUnlabeledSampler):
        raise ValueError(f'train_dataloader.sampler: {KEY} has unlabeled images; mix them into every batch with '
                         "sampler=dict(type='LabeledUnlabeledSampler', unlabeled_ratio=0.5) (got "
                         f'{type(sampler).__name__}).')
    check = getattr(model, 'check_unlabeled', None)
    if check is None:
        raise ValueError(f'{KEY}.unlabeled: {type(model).__name__} cannot learn from images without labels (its '
                         'losses need them); only a model.type="DistillSegmentor" with a label-free distillation '
                         f'loss can. Train on {KEY}.labeled alone, or distil.')
    check()
