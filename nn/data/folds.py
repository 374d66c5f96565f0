"""Cross-validation folds: `KFold` and `StratifiedKFold`.

One train/test split gives one noisy number. K-fold cross-validation cuts the
data into k folds, trains k times, each time testing on a different fold and
training on the other k-1, so every sample is tested exactly once. The mean of
the k scores is a steadier estimate, and their spread shows how much it varies.

`.split(X, y)` yields index arrays, not data, so the same folds can index X, y
and anything else that lines up with them: `X[train_idx]`, `y[test_idx]`.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np

from nn.data.convert import check_same_length, to_labels, to_numpy


def _fold_sizes(n_samples: int, n_splits: int) -> np.ndarray:
    """Sizes of the folds: as equal as possible, the first n % k folds one bigger."""
    sizes = np.full(n_splits, n_samples // n_splits, dtype=np.int64)
    sizes[: n_samples % n_splits] += 1
    return sizes


class KFold:
    """Split n samples into `n_splits` consecutive folds (shuffled first if asked).

    n_splits: number of folds k, at least 2.
    shuffle: shuffle the rows before cutting them into folds. Leave it off only if
        the rows are already in random order; sorted data (all of class 0 first)
        gives folds that each miss classes.
    seed: with shuffle, the same seed gives the same folds on every `.split()` call,
        so different models can be compared on identical folds.
    """

    def __init__(self, n_splits: int = 5, shuffle: bool = False, seed: int | None = None) -> None:
        if isinstance(n_splits, bool) or not isinstance(n_splits, (int, np.integer)):
            raise TypeError(f"n_splits must be a whole number, got {n_splits!r}.")
        if n_splits < 2:
            raise ValueError(
                f"n_splits={n_splits}: cross-validation needs at least 2 folds "
                "(one to test on, the rest to train on)."
            )
        if seed is not None and not shuffle:
            raise ValueError(
                "seed has no effect when shuffle=False (the folds are then fixed); "
                "set shuffle=True or leave seed out."
            )
        self.n_splits = int(n_splits)
        self.shuffle = shuffle
        self.seed = seed

    _needs_labels = False  # StratifiedKFold reads y as class labels

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        """Number of folds (the arguments are ignored; they exist for sklearn compatibility)."""
        return self.n_splits

    def _check_n_samples(self, X: Any, y: Any) -> tuple[int, np.ndarray | None]:
        arrays = {"X": to_numpy(X, "X")}
        if y is not None:  # KFold only checks y's length; regression targets are fine
            arrays["y"] = to_labels(y, "y") if self._needs_labels else to_numpy(y, "y")
        n = check_same_length(arrays)
        if n < self.n_splits:
            raise ValueError(
                f"n_splits={self.n_splits} folds cannot be made from {n} samples; "
                f"use n_splits <= {n}."
            )
        return n, arrays.get("y")

    def _test_folds(self, n: int, y: np.ndarray | None) -> list[np.ndarray]:
        """The test indices of each fold; every sample lands in exactly one fold."""
        order = np.random.default_rng(self.seed).permutation(n) if self.shuffle else np.arange(n)
        bounds = np.concatenate([[0], np.cumsum(_fold_sizes(n, self.n_splits))])
        return [order[start:stop] for start, stop in zip(bounds[:-1], bounds[1:], strict=True)]

    def split(self, X: Any, y: Any = None, groups: Any = None
              ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield `(train_idx, test_idx)` for each fold; train_idx is sorted."""
        n, labels = self._check_n_samples(X, y)
        for test_idx in self._test_folds(n, labels):
            in_test = np.zeros(n, dtype=bool)
            in_test[test_idx] = True
            yield np.flatnonzero(~in_test), test_idx

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(n_splits={self.n_splits}, shuffle={self.shuffle}, "
                f"seed={self.seed})")


class StratifiedKFold(KFold):
    """K-fold where every fold keeps the class proportions of y (within one sample).

    Use it for classification, above all with imbalanced or small data: a plain
    KFold can leave a rare class out of a test fold completely, and that fold's
    score then says nothing about the rare class.

    How it works: the rows are lined up class by class (each class shuffled if
    shuffle=True) and dealt out to the folds like playing cards, row i going to
    fold i % k. Each class therefore spreads as evenly as possible over the folds,
    and the fold sizes follow the same rule as KFold.
    """

    _needs_labels = True

    def split(self, X: Any, y: Any = None, groups: Any = None
              ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield `(train_idx, test_idx)` for each fold; y (class labels) is required."""
        if y is None:
            raise ValueError(
                "StratifiedKFold needs the class labels: call .split(X, y). "
                "For regression targets use KFold instead."
            )
        yield from super().split(X, y, groups)

    def _test_folds(self, n: int, y: np.ndarray | None) -> list[np.ndarray]:
        rng = np.random.default_rng(self.seed)
        classes, class_of_row, counts = np.unique(y, return_inverse=True, return_counts=True)
        if counts.min() < self.n_splits:
            warnings.warn(
                f"the smallest class ({classes[np.argmin(counts)]!r}) has only "
                f"{counts.min()} members, fewer than n_splits={self.n_splits}, so some "
                "test folds will not contain it.",
                UserWarning,
                stacklevel=4,
            )
        lined_up = []
        for c in range(len(classes)):
            rows = np.flatnonzero(class_of_row == c)
            lined_up.append(rng.permutation(rows) if self.shuffle else rows)
        lined_up_rows = np.concatenate(lined_up)
        fold_of_position = np.arange(n) % self.n_splits
        return [lined_up_rows[fold_of_position == k] for k in range(self.n_splits)]
