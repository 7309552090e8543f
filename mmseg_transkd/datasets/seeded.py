"""Training data whose randomness is a pure function of the run's seed and the position in the sample stream.

MMEngine's loaders draw augmentation randomness from whatever state the process's generators are in: worker processes
are re-seeded from the same base seed each time an iterator starts, and with ``num_workers=0`` the main process's
generators are shared with drop-path and dropout. A resumed run therefore augments differently, and the data depends
on ``num_workers``. Here every sample is loaded under generators seeded from ``(seed, position)``, where ``position``
counts samples in the global stream that all ranks share, so the data of a step is the same whether the run was
resumed or not, with any number of workers, and the samplers can start at a saved position without loading the
skipped samples.
"""
import copy
import random
from contextlib import contextmanager
from typing import Iterator, NamedTuple, Optional, Sized

import numpy as np
import torch
from mmengine.dataset import DefaultSampler
from mmengine.dist import get_dist_info, sync_random_seed
from mmseg.registry import DATA_SAMPLERS, DATASETS
from torch.utils.data import Sampler

# Domains of derive_seed, so sample, step and unlabeled-stream seeds never coincide.
SAMPLE, STEP, UNLABELED = 1, 2, 3


def derive_seed(*words: int) -> int:
    """A 64-bit seed that is a pure function of ``words`` (NumPy's SeedSequence hash; negative words are taken
    modulo 2**64)."""
    return int(np.random.SeedSequence([int(w) % 2**64 for w in words]).generate_state(1, np.uint64)[0])


def seed_generators(seed: int) -> None:
    """Seeds Python's ``random``, NumPy's global generator and torch's CPU and CUDA generators from ``seed``."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)  # also every CUDA device's generator


@contextmanager
def seeded_generators(seed: int):
    """Runs the block with ``random``, NumPy and torch (CPU) seeded from ``seed``; restores their states after, so a
    sample loaded in the main process (``num_workers=0``) leaves the training step's generators untouched."""
    states = random.getstate(), np.random.get_state(), torch.get_rng_state()
    seed_generators(seed)
    try:
        yield
    finally:
        random.setstate(states[0])
        np.random.set_state(states[1])
        torch.set_rng_state(states[2])


class SeededIndex(NamedTuple):
    """A dataset index with the seed its sample is loaded under (what the seeded samplers yield)."""
    index: int
    seed: int


@DATASETS.register_module()
class SeededSampleDataset:
    """Wraps a dataset so that a :class:`SeededIndex` loads its sample under generators seeded from its seed.

    Plain integer indices are passed through unchanged. Everything else (``metainfo``, ``get_data_info``, ...) is the
    wrapped dataset's. ``ExactResumeIterBasedTrainLoop`` / ``ExactResumeEpochBasedTrainLoop`` wrap the training dataset
    with it and use the seeded samplers below.

    Args:
        dataset (dict | Dataset): The dataset or its config.
        lazy_init (bool): Defer ``full_init`` (as MMEngine's dataset wrappers do). Defaults to False.
    """

    def __init__(self, dataset, lazy_init: bool = False) -> None:
        self.dataset = DATASETS.build(dataset) if isinstance(dataset, dict) else dataset
        if not lazy_init:
            self.full_init()

    def full_init(self) -> None:
        if hasattr(self.dataset, 'full_init'):
            self.dataset.full_init()

    @property
    def metainfo(self) -> dict:
        return copy.deepcopy(self.dataset.metainfo)

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, key):
        if isinstance(key, SeededIndex):
            with seeded_generators(key.seed):
                return self.dataset[key.index]
        return self.dataset[key]

    def __getattr__(self, name: str):
        # only called for attributes the wrapper lacks; never for 'dataset' itself (unpickling, copying)
        if name == 'dataset' or name.startswith('__'):
            raise AttributeError(name)
        return getattr(self.dataset, name)


@DATA_SAMPLERS.register_module()
class SeededInfiniteSampler(Sampler):
    """MMEngine's ``InfiniteSampler`` order (same seed, same indices), each index paired with its sample seed, and a
    settable start.

    The global stream is the concatenation of ``randperm(len(dataset))`` drawn from one generator seeded with
    ``seed`` (``arange`` without shuffling); rank r of W takes positions ``start + r, start + r + W, ...``. The sample
    at position p is loaded under ``derive_seed(seed, SAMPLE, p)``. ``start`` (global samples already trained) is set
    by the training loop on resume: the skipped samples are not loaded, only the permutations are redrawn.

    Args:
        dataset (Sized): The dataset.
        shuffle (bool): Defaults to True.
        seed (int, optional): Defaults to a seed shared by all ranks.
    """

    def __init__(self, dataset: Sized, shuffle: bool = True, seed: Optional[int] = None) -> None:
        self.rank, self.world_size = get_dist_info()
        self.dataset, self.size, self.shuffle = dataset, len(dataset), shuffle
        self.seed = sync_random_seed() if seed is None else seed
        self.start = 0

    def _order(self, size: int, generator: torch.Generator) -> list:
        if self.shuffle:
            return torch.randperm(size, generator=generator).tolist()
        return list(range(size))

    def _stream(self, size: int, order_seed: int, start: int, *domain: int) -> Iterator[SeededIndex]:
        """This rank's part of an infinite global stream over ``size`` indices: the concatenated orders drawn from
        one generator seeded with ``order_seed``, from global position ``start`` on; position p is loaded under
        ``derive_seed(self.seed, *domain, p)``."""
        g = torch.Generator()
        g.manual_seed(order_seed)
        epoch = start // size
        for _ in range(epoch):  # advance the generator past the permutations already trained on
            self._order(size, g)
        position = epoch * size
        while True:
            for i, index in enumerate(self._order(size, g)):
                p = position + i
                if p >= start and (p - start) % self.world_size == self.rank:
                    yield SeededIndex(index, derive_seed(self.seed, *domain, p))
            position += size

    def __iter__(self) -> Iterator[SeededIndex]:
        return self._stream(self.size, self.seed, self.start, SAMPLE)

    def __len__(self) -> int:
        return self.size

    def set_epoch(self, epoch: int) -> None:
        """Unused by iteration-based training (as in ``InfiniteSampler``)."""


@DATA_SAMPLERS.register_module()
class SeededDefaultSampler(DefaultSampler):
    """MMEngine's ``DefaultSampler`` (same order for the same seed and epoch), each index paired with its sample seed,
    and a one-shot start inside the epoch.

    Position ``i`` of epoch ``e`` (``i < total_size``, all ranks) is loaded under ``derive_seed(seed, SAMPLE, e, i)``.
    ``start`` (samples of the epoch already trained, all ranks) applies to the next iteration only: the training loop
    sets it when a run resumes inside an epoch.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.start = 0

    def __iter__(self) -> Iterator[SeededIndex]:
        if self.shuffle:
            g = torch.Generator()
            g.manual_seed(self.seed + self.epoch)
            indices = torch.randperm(len(self.dataset), generator=g).tolist()
        else:
            indices = list(range(len(self.dataset)))
        if self.round_up:
            indices = (indices * int(self.total_size / len(indices) + 1))[:self.total_size]
        start, self.start = self.start, 0
        first = start + (self.rank - start) % self.world_size  # keep each rank's positions (i = rank mod W)
        return iter([SeededIndex(indices[i], derive_seed(self.seed, SAMPLE, self.epoch, i))
                     for i in range(first, self.total_size, self.world_size)])
