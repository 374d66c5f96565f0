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

Which examples, in which order, can also come from a sampler (`nn.data.samplers`):
`sampler=` gives the indices (e.g. `WeightedRandomSampler` for imbalanced classes),
`batch_sampler=` whole batches of indices. An `IterableDataset` is read in order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

import tinygrad_dk as tg
from nn.data.dataset import IterableDataset, Subset, TensorDataset
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
    sampler: the indices to take, in order (a sampler, or any iterable of indices with a
        length), instead of ``shuffle``; batch_sampler: lists of indices, one per batch,
        instead of ``batch_size``, ``shuffle``, ``sampler`` and ``drop_last``.
    num_workers, pin_memory: accepted for PyTorch programs; everything runs in this process.

    ``len(loader)`` is the number of batches per epoch; ``loader.dataset`` the data set.
    """

    def __init__(self, dataset: Any, *args: Any, batch_size: int | None = 1,
                 shuffle: bool = False, drop_last: bool = False, generator: Any = None,
                 seed: int | None = None, collate_fn: Callable[[list], Any] | None = None,
                 num_workers: int = 0, pin_memory: bool = False, sampler: Any = None,
                 batch_sampler: Any = None) -> None:
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
        self.sampler, self.batch_sampler = self._check_samplers(
            dataset, sampler, batch_sampler, batch_size, shuffle, drop_last)
        if batch_sampler is not None:
            batch_size = 1  # (unused: the batch sampler says how many)
        if isinstance(dataset, IterableDataset):
            self._init_stream(batch_size, drop_last, collate_fn)
            return
        self.n_samples = len(sampler) if sampler is not None else len(dataset)
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

    @staticmethod
    def _check_samplers(dataset: Any, sampler: Any, batch_sampler: Any, batch_size: Any,
                        shuffle: bool, drop_last: bool) -> tuple[Any, Any]:
        """PyTorch's rules: a sampler replaces shuffle, a batch sampler replaces batch_size,
        shuffle, sampler and drop_last, and a stream takes none of them."""
        if isinstance(dataset, IterableDataset) and (shuffle or sampler is not None
                                                     or batch_sampler is not None):
            raise ValueError("DataLoader: an IterableDataset is read in its own order; it takes "
                             "no shuffle, sampler or batch_sampler (shuffle inside __iter__)")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler= and shuffle=True exclude each other (the "
                             "sampler decides the order); leave shuffle=False, or use "
                             "RandomSampler(dataset) as the sampler")
        if batch_sampler is not None and (batch_size != 1 or shuffle or sampler is not None
                                          or drop_last):
            raise ValueError("DataLoader: batch_sampler= decides the batches, so it excludes "
                             "batch_size, shuffle, sampler and drop_last; give those to the "
                             "BatchSampler instead")
        return sampler, batch_sampler

    def _init_stream(self, batch_size: Any, drop_last: bool, collate_fn: Any) -> None:
        """An IterableDataset: batches of ``batch_size`` consecutive examples."""
        if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(
                batch_size, (int, np.integer)) or batch_size < 1):
            raise ValueError(f"batch_size must be a positive whole number or None, got "
                             f"{batch_size!r}")
        self.batch_size, self.drop_last, self.collate_fn = batch_size, bool(drop_last), collate_fn
        self.shuffle, self.seed, self.generator, self.n_samples = False, None, None, None

    def _stream(self) -> Iterator[Any]:
        collate = self.collate_fn or default_collate
        batch: list[Any] = []
        for example in self.dataset:
            batch.append(example)
            if len(batch) == self.batch_size:
                yield collate(batch)
                batch = []
        if batch and not (self.drop_last and self.batch_size is not None):
            yield collate(batch)

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
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        if self.n_samples is None:  # a stream: known only if it has a length itself
            try:
                n = len(self.dataset)
            except (TypeError, NotImplementedError):
                raise TypeError("DataLoader: this IterableDataset has no __len__, so the number "
                                "of batches is unknown until it has been read") from None
            return n if self.batch_size is None else -(-n // self.batch_size)
        full, rest = divmod(self.n_samples, self.batch_size)
        return full + (1 if rest and not self.drop_last else 0)

    def _order(self) -> np.ndarray:
        if self.sampler is not None:  # the sampler's indices (drawn afresh each epoch)
            return np.fromiter((int(i) for i in self.sampler), dtype=np.int64)
        if not self.shuffle:
            return np.arange(self.n_samples)
        # the loader's generator, else the shared one (looked up now: manual_seed replaces it)
        return tg.randperm(self.n_samples, generator=self.generator).numpy()

    def __iter__(self) -> Iterator[Any]:
        """One epoch: a fresh order (if shuffling), then the batches in that order."""
        if self.n_samples is None:
            yield from self._stream()
            return
        if self.batch_sampler is not None:
            batches: Any = (np.asarray(b, dtype=np.int64) for b in self.batch_sampler)
        else:
            order = self._order()
            batches = (order[b * self.batch_size:(b + 1) * self.batch_size]
                       for b in range(len(self)))
        for rows in batches:
            batch = None if self.collate_fn else _rows(self.dataset, rows)
            if batch is None:
                batch = (self.collate_fn or default_collate)([self.dataset[int(i)]
                                                              for i in rows])
            yield batch

    def __repr__(self) -> str:
        if self.n_samples is None:  # a stream
            return f"DataLoader({type(self.dataset).__name__}, batch_size={self.batch_size})"
        return (f"DataLoader(n_samples={self.n_samples}, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last}, batches={len(self)})")
