"""Mini-batches: `DataLoader`.

Training on small random batches instead of the whole data set gives many cheap,
noisy gradient steps per pass over the data (an *epoch*). The order is shuffled
again at the start of every epoch so that the batches differ from epoch to epoch;
otherwise the model sees the same batches in the same order and can pick up that
pattern. Named after `torch.utils.data.DataLoader`, but it takes arrays directly.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from nn.data.convert import check_same_length, to_numpy, to_tensor


class DataLoader:
    """Iterate over `(X_batch, y_batch)` Tensor pairs, or `X_batch` Tensors if y is None.

    X: features, shape (n_samples, ...); list, numpy array or Tensor.
    y: targets with n_samples rows, or None. Integer class labels stay integers
        (int64), which is what `CrossEntropyLoss` expects; other arrays keep their dtype.
    batch_size: rows per batch; None means one batch holding everything
        (full-batch gradient descent).
    shuffle: reshuffle the rows at the start of every epoch.
    seed: seeds the random generator, which is created once. So epoch 1 and epoch 2
        see different orders, but running the whole program again repeats them.
    drop_last: skip the final batch if it is smaller than batch_size (useful when a
        small last batch would give a very noisy step).

    `len(loader)` is the number of batches per epoch.

    Example::

        loader = DataLoader(X_train, y_train, batch_size=32, seed=0)
        for epoch in range(10):
            for xb, yb in loader:
                ...
    """

    def __init__(self, X: Any, y: Any = None, batch_size: int | None = 32,
                 shuffle: bool = True, seed: int | None = None,
                 drop_last: bool = False) -> None:
        self.X = to_numpy(X, "X")
        self.y = None if y is None else to_numpy(y, "y")
        arrays = {"X": self.X} if self.y is None else {"X": self.X, "y": self.y}
        self.n_samples = check_same_length(arrays)
        if self.n_samples == 0:
            raise ValueError("X is empty (0 samples); a DataLoader needs at least one row.")
        if batch_size is None:
            batch_size = self.n_samples
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
            raise TypeError(f"batch_size must be a whole number or None, got {batch_size!r}.")
        if batch_size < 1:
            raise ValueError(
                f"batch_size={batch_size} is too small; use 1 or more (or None for one "
                "batch holding all the data)."
            )
        if drop_last and batch_size > self.n_samples:
            raise ValueError(
                f"drop_last=True with batch_size={batch_size} > {self.n_samples} samples "
                "would give no batches at all; lower batch_size or set drop_last=False."
            )
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.seed = seed
        self._rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        """Number of batches in one epoch."""
        full, rest = divmod(self.n_samples, self.batch_size)
        return full + (1 if rest and not self.drop_last else 0)

    def __iter__(self) -> Iterator[Any]:
        """One epoch: a fresh order (if shuffling), then the batches in that order."""
        order = self._rng.permutation(self.n_samples) if self.shuffle else np.arange(
            self.n_samples)
        for b in range(len(self)):
            rows = order[b * self.batch_size:(b + 1) * self.batch_size]
            xb = to_tensor(self.X[rows])
            if self.y is None:
                yield xb
            else:
                yield xb, to_tensor(self.y[rows])

    def __repr__(self) -> str:
        return (f"DataLoader(n_samples={self.n_samples}, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last}, batches={len(self)})")
