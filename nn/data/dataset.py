"""Data sets as PyTorch's ``torch.utils.data`` has them: ``Dataset``, ``TensorDataset``,
``Subset`` and ``random_split``.

A data set is anything with ``len(ds)`` and ``ds[i]`` (one example, usually a tuple
``(x, y)``). Subclass ``Dataset`` to read examples your own way; wrap tensors that are
already in memory in ``TensorDataset``. ``DataLoader`` turns either into mini-batches.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

import tinygrad_dk as tg
from tinygrad_dk import Tensor


class Dataset:
    """Base class: define ``__len__`` and ``__getitem__(index)`` (one example)."""

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__(self, index) "
                                  "returning one example, e.g. (x, y)")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__(self), the number "
                                  "of examples")


class TensorDataset(Dataset):
    """Examples are rows: ``ds[i]`` is ``(X[i], y[i])`` for ``TensorDataset(X, y)``.

    Every tensor must have the same first length (one row per example). numpy arrays
    are accepted and kept as Tensors with their dtype.
    """

    def __init__(self, *tensors: Any) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor, e.g. TensorDataset(X, y)")
        self.tensors = tuple(t if isinstance(t, Tensor) else Tensor(np.asarray(t))
                             for t in tensors)
        lengths = [len(t) if t.ndim else None for t in self.tensors]
        if None in lengths or len(set(lengths)) > 1:
            shapes = ", ".join(str(t.shape) for t in self.tensors)
            raise ValueError(f"TensorDataset: inputs must have the same number of samples (rows, "
                             f"one per example), got shapes {shapes}")

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return len(self.tensors[0])


class Subset(Dataset):
    """The examples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = [int(i) for i in indices]

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, (list, np.ndarray)):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)


def random_split(dataset: Any, lengths: Sequence[float], generator: Any = None) -> list[Subset]:
    """Split ``dataset`` at random into parts of the given sizes (counts, or fractions that
    add up to 1, as PyTorch: a remainder goes one by one to the first parts).

    The order comes from ``generator`` (``Generator().manual_seed(42)``) or, without one,
    from the shared generator that ``manual_seed`` seeds.
    """
    n = len(dataset)
    sizes = [float(x) for x in lengths]
    if all(0 <= x <= 1 for x in sizes) and abs(sum(sizes) - 1) < 1e-9 and sum(sizes) != n:
        counts = [int(np.floor(n * x)) for x in sizes]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
    else:
        counts = [int(x) for x in sizes]
    if sum(counts) != n or any(c < 0 for c in counts):
        raise ValueError(f"random_split: the lengths {list(lengths)} do not add up to the "
                         f"{n} examples (give counts that sum to {n}, or fractions that sum to 1)")
    order = tg.randperm(n, generator=generator).tolist()
    parts, start = [], 0
    for c in counts:
        parts.append(Subset(dataset, order[start:start + c]))
        start += c
    return parts


# --- PyTorch names: nntrain (more data sets) ---


class IterableDataset(Dataset):
    """A data set read as a stream: define ``__iter__`` (yielding examples) instead of
    ``__getitem__``, e.g. for lines of a file too large to index. ``DataLoader`` batches
    the stream in order; it cannot be shuffled or sampled (shuffle while generating)."""

    def __iter__(self) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __iter__(self), "
                                  "yielding one example at a time")

    def __getitem__(self, index: int) -> Any:
        raise TypeError(f"{type(self).__name__} is an IterableDataset: iterate over it (or a "
                        "DataLoader of it); it has no ds[i]")


class ConcatDataset(Dataset):
    """Several data sets one after another: ``ds[i]`` runs through the first, then the
    second, ... (e.g. training data from two sources)."""

    def __init__(self, datasets: Sequence[Any]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset needs at least one data set")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise TypeError("ConcatDataset does not take an IterableDataset (it has no "
                                "length or ds[i]); chain the streams with itertools.chain")
        self.cumulative_sizes = np.cumsum([len(d) for d in self.datasets]).tolist()

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int) -> Any:
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"ConcatDataset: index {index} is out of range for {n} examples")
        index = index + n if index < 0 else int(index)
        part = int(np.searchsorted(self.cumulative_sizes, index, side="right"))
        start = self.cumulative_sizes[part - 1] if part else 0
        return self.datasets[part][index - start]
