"""Samplers, as ``torch.utils.data``: which examples a ``DataLoader`` takes, in what order.

    sampler = WeightedRandomSampler(weights, num_samples=len(weights))
    loader = DataLoader(dataset, batch_size=32, sampler=sampler)

A sampler is anything that gives indices when iterated (and says how many with
``len``). ``DataLoader(shuffle=True)`` is ``RandomSampler``, ``shuffle=False``
``SequentialSampler``; pass your own with ``sampler=`` (then not ``shuffle``), or a
``BatchSampler`` (which gives lists of indices) with ``batch_sampler=``.

``WeightedRandomSampler`` is the resampling remedy for imbalanced classes: give every
example the weight 1 / (the size of its class) and each batch holds every class about
equally often (the same effect as ``nn.data.oversample``, drawn afresh every epoch).

The random ones draw from ``generator`` (a ``tinygrad_dk.Generator``), or from the shared
generator that ``tinygrad_dk.manual_seed`` seeds, looked up at every epoch.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sized
from typing import Any

import numpy as np

import tinygrad_dk as tg

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "BatchSampler"]


def _count(name: str, key: str, value: Any) -> int:
    """A positive whole number (a clear error for anything else)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{name}: {key} must be a positive integer, got {value!r}")
    return int(value)


class Sampler:
    """Base class: define ``__iter__`` (the indices) and ``__len__`` (how many)."""

    def __init__(self, data_source: Any = None) -> None:
        pass

    def __iter__(self) -> Iterator[int]:
        raise NotImplementedError(f"{type(self).__name__} must define __iter__, giving indices")


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1, always in that order."""

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """The examples in a fresh random order every epoch (without ``replacement``: every
    example once; ``num_samples`` > n goes through several orders). With
    ``replacement=True``, ``num_samples`` independent draws (some twice, some never)."""

    def __init__(self, data_source: Sized, replacement: bool = False,
                 num_samples: int | None = None, generator: Any = None) -> None:
        if not isinstance(replacement, bool):
            raise TypeError(f"RandomSampler: replacement must be True or False, got "
                            f"{replacement!r}")
        self.data_source, self.replacement, self.generator = data_source, replacement, generator
        self._num_samples = None if num_samples is None else _count(
            "RandomSampler", "num_samples", num_samples)

    @property
    def num_samples(self) -> int:
        """How many indices per epoch (default: the size of the data set)."""
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        n, k = len(self.data_source), self.num_samples
        if self.replacement:
            indices = tg.randint(0, n, (k,), generator=self.generator).numpy()
        else:  # whole permutations, the last one cut short
            orders = [tg.randperm(n, generator=self.generator).numpy()
                      for _ in range(-(-k // n))]
            indices = np.concatenate(orders)[:k]
        return iter(indices.tolist())

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given ``indices``, in a fresh random order every epoch (e.g. a validation
    part of one data set)."""

    def __init__(self, indices: Iterable[int], generator: Any = None) -> None:
        self.indices, self.generator = list(indices), generator

    def __iter__(self) -> Iterator[int]:
        order = tg.randperm(len(self.indices), generator=self.generator).numpy()
        return iter([self.indices[i] for i in order])

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn with probability proportional to ``weights`` (one
    per example; they need not sum to 1). With ``replacement=True`` (the default) the
    draws are independent, so rare examples come back several times per epoch: the
    resampling remedy for class imbalance. Without replacement each index comes at
    most once (a weighted random order).
    """

    def __init__(self, weights: Any, num_samples: int, replacement: bool = True,
                 generator: Any = None) -> None:
        if not isinstance(replacement, bool):
            raise TypeError(f"WeightedRandomSampler: replacement must be True or False, got "
                            f"{replacement!r}")
        w = np.asarray(getattr(weights, "data", weights), dtype=np.float64)
        if w.ndim != 1 or w.size == 0:
            raise ValueError(f"WeightedRandomSampler: weights must be one number per example "
                             f"(a 1-d sequence), got shape {w.shape}")
        if not np.all(np.isfinite(w)) or np.any(w < 0) or not w.sum() > 0:
            raise ValueError("WeightedRandomSampler: weights must be finite and >= 0 with a "
                             "positive sum, e.g. 1 / class_count[label] for every example")
        self.weights = w
        self.num_samples = _count("WeightedRandomSampler", "num_samples", num_samples)
        if not replacement and self.num_samples > np.count_nonzero(w):
            raise ValueError(f"WeightedRandomSampler: without replacement at most "
                             f"{np.count_nonzero(w)} examples (those with weight > 0) can be "
                             f"drawn, asked for num_samples={self.num_samples}")
        self.replacement, self.generator = replacement, generator

    def __iter__(self) -> Iterator[int]:
        u = tg.rand(self.num_samples if self.replacement else len(self.weights),
                    dtype=np.float64, generator=self.generator).numpy()
        if self.replacement:  # invert the cumulative distribution at uniform points
            cumulative = np.cumsum(self.weights)
            indices = np.searchsorted(cumulative, u * cumulative[-1], side="right")
            indices = np.minimum(indices, len(self.weights) - 1)
        else:  # keys u^(1/w): the largest keys are a weighted sample without replacement
            with np.errstate(divide="ignore"):
                keys = np.log(u) / self.weights  # weight 0: -inf, never among the largest
            indices = np.argsort(-keys, kind="stable")[:self.num_samples]
        return iter(indices.tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size`` (the last one
    shorter, unless ``drop_last``): what ``DataLoader(batch_sampler=...)`` takes."""

    def __init__(self, sampler: Iterable[int], batch_size: int, drop_last: bool) -> None:
        self.batch_size = _count("BatchSampler", "batch_size", batch_size)
        if not isinstance(drop_last, bool):
            raise TypeError(f"BatchSampler: drop_last must be True or False, got {drop_last!r}")
        self.sampler, self.drop_last = sampler, drop_last

    def __iter__(self) -> Iterator[list[int]]:
        batch: list[int] = []
        for index in self.sampler:
            batch.append(int(index))
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        full, rest = divmod(len(self.sampler), self.batch_size)  # type: ignore[arg-type]
        return full + (1 if rest and not self.drop_last else 0)
