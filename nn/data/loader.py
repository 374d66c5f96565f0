"""Mini-batches: `DataLoader`, as `torch.utils.data.DataLoader`.

Training on small random batches instead of the whole data set gives many cheap,
noisy gradient steps per pass over the data (an *epoch*). With `shuffle=True` the
order is drawn again at the start of every epoch, so the batches differ from epoch
to epoch; otherwise the model sees the same batches in the same order and can pick
up that pattern.

PyTorch's call and defaults::

    loader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True)
    for xb, yb in loader: ...

(`batch_size=1` and `shuffle=False` unless you say otherwise.) The shuffled order is
drawn from the shared generator that `tinygrad_dk.manual_seed` seeds, so a seeded
script gives the same batches, and the same numbers, on every run; `generator=`
(a `tinygrad_dk.Generator`) or `seed=` give the loader a stream of its own.

For arrays there is a shorter form: `DataLoader(X, y, batch_size=32, shuffle=True)`
is `DataLoader(TensorDataset(X, y), ...)`, and `DataLoader(X)` gives batches of X alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

import tinygrad_dk as tg
from nn.data.dataset import Subset, TensorDataset
from tinygrad_dk import Tensor


def default_collate(items: list[Any]) -> Any:
    """Examples to one batch, as PyTorch: Tensors and arrays are stacked (a new first
    axis), Python ints become int64 and floats float64 tensors, and tuples, lists and
    dicts are batched field by field (a tuple becomes a list of batches)."""
    first = items[0]
    if isinstance(first, Tensor):
        return tg.stack(items, dim=0)
    if isinstance(first, (np.ndarray, np.generic)):
        return Tensor(np.stack([np.asarray(x) for x in items]))
    if isinstance(first, (bool, int, float)):
        return tg.tensor(items, dtype=np.float64 if isinstance(first, float) else None)
    if isinstance(first, Mapping):
        return {key: default_collate([x[key] for x in items]) for key in first}
    if isinstance(first, (tuple, list)):
        return [default_collate(list(field)) for field in zip(*items, strict=True)]
    if isinstance(first, str):
        return list(items)
    raise TypeError(f"DataLoader: cannot batch examples of type {type(first).__name__}; return "
                    "Tensors, numpy arrays, numbers, or tuples/dicts of them from __getitem__, "
                    "or pass collate_fn=")


def _rows(dataset: Any, rows: np.ndarray) -> Any:
    """The batch at ``rows`` taken in one indexing step, or None when the data set does
    not allow that (then every example is fetched and collated)."""
    if isinstance(dataset, TensorDataset):
        return [t[rows] for t in dataset.tensors]
    if isinstance(dataset, Subset):
        return _rows(dataset.dataset, np.asarray(dataset.indices, dtype=np.int64)[rows])
    if isinstance(dataset, Tensor):
        return dataset[rows]
    if isinstance(dataset, np.ndarray):
        return Tensor(dataset[rows])
    return None


class DataLoader:
    """Iterate over mini-batches of ``dataset`` (see the module docstring).

    dataset: a ``Dataset``/``TensorDataset`` (anything with ``len`` and ``[i]``), a Tensor
        or an array; or arrays ``X, y`` (the short form).
    batch_size: examples per batch (default 1, as PyTorch); None means one batch holding
        everything (full-batch gradient descent).
    shuffle: a fresh random order every epoch (default False, as PyTorch).
    drop_last: skip the final batch if it is smaller than batch_size.
    generator: a ``tinygrad_dk.Generator`` (or numpy Generator) to shuffle with; seed: an
        int that gives the loader its own generator. Without either, the shared generator
        (``manual_seed``) is used.
    collate_fn: ``collate_fn(list_of_examples) -> batch`` instead of ``default_collate``.
    num_workers, pin_memory: accepted for PyTorch programs; everything runs in this process.

    ``len(loader)`` is the number of batches per epoch; ``loader.dataset`` the data set.
    """

    def __init__(self, dataset: Any, *args: Any, batch_size: int | None = 1,
                 shuffle: bool = False, drop_last: bool = False, generator: Any = None,
                 seed: int | None = None, collate_fn: Callable[[list], Any] | None = None,
                 num_workers: int = 0, pin_memory: bool = False) -> None:
        arrays = isinstance(dataset, (np.ndarray, Tensor, list, tuple))
        if args and not isinstance(args[0], (int, np.integer, type(None))):
            y, args = args[0], args[1:]  # the short form DataLoader(X, y, ...)
            dataset = TensorDataset(dataset, y)
        elif isinstance(dataset, (list, tuple)) and dataset and not isinstance(
                dataset[0], (tuple, list, dict, Tensor)):
            dataset = np.asarray(dataset)
        if len(args) > 2:
            raise TypeError("DataLoader: give the options after batch_size and shuffle by name "
                            "(drop_last=..., generator=...)")
        if args:
            batch_size, *rest = args
            shuffle = rest[0] if rest else shuffle
        self.dataset = dataset
        self.n_samples = len(dataset)
        if self.n_samples == 0:
            raise ValueError(f"{'X' if arrays else 'the dataset'} is empty (0 samples); a "
                             "DataLoader needs at least one row.")
        self.batch_size = self._check_batch_size(batch_size, drop_last)
        if seed is not None and not shuffle:
            raise ValueError(f"DataLoader(seed={seed}) without shuffle=True: the seed would do "
                             "nothing, since the default is shuffle=False (as in PyTorch); pass "
                             "shuffle=True")
        if seed is not None and generator is not None:
            raise ValueError("DataLoader: give seed= or generator=, not both")
        self.shuffle, self.drop_last, self.seed = bool(shuffle), bool(drop_last), seed
        self.generator = tg.Generator().manual_seed(seed) if seed is not None else generator
        self.collate_fn = collate_fn

    def _check_batch_size(self, batch_size: Any, drop_last: bool) -> int:
        if batch_size is None:
            return self.n_samples
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
            raise TypeError(f"batch_size must be a whole number or None, got {batch_size!r}.")
        if batch_size < 1:
            raise ValueError(f"batch_size={batch_size} is too small; use 1 or more (or None for "
                             "one batch holding all the data).")
        if drop_last and batch_size > self.n_samples:
            raise ValueError(
                f"drop_last=True with batch_size={batch_size} > {self.n_samples} samples "
                "would give no batches at all; lower batch_size or set drop_last=False."
            )
        return int(batch_size)

    def __len__(self) -> int:
        """Number of batches in one epoch."""
        full, rest = divmod(self.n_samples, self.batch_size)
        return full + (1 if rest and not self.drop_last else 0)

    def _order(self) -> np.ndarray:
        if not self.shuffle:
            return np.arange(self.n_samples)
        # the loader's generator, else the shared one (looked up now: manual_seed replaces it)
        return tg.randperm(self.n_samples, generator=self.generator).numpy()

    def __iter__(self) -> Iterator[Any]:
        """One epoch: a fresh order (if shuffling), then the batches in that order."""
        order = self._order()
        for b in range(len(self)):
            rows = order[b * self.batch_size:(b + 1) * self.batch_size]
            batch = None if self.collate_fn else _rows(self.dataset, rows)
            if batch is None:
                batch = (self.collate_fn or default_collate)([self.dataset[int(i)]
                                                              for i in rows])
            yield batch

    def __repr__(self) -> str:
        return (f"DataLoader(n_samples={self.n_samples}, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last}, batches={len(self)})")
