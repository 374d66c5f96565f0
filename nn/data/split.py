"""Holding data out: `train_test_split`.

A model is judged on data it has never seen, so we set some rows aside before
training. With few samples or rare classes a purely random split can put almost
all of a rare class on one side; `stratify=y` fixes that by splitting every class
separately, so train and test keep the class proportions of the whole data set.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nn.data.convert import check_same_length, like_input, to_labels, to_numpy


def _test_count(test_size: float | int, n: int) -> int:
    """Number of test rows: a fraction is rounded up, a count is used as is."""
    if isinstance(test_size, bool) or not isinstance(
        test_size, (int, float, np.integer, np.floating)
    ):
        raise TypeError(
            f"test_size must be a fraction like 0.25 or a count like 30, got {test_size!r}."
        )
    if isinstance(test_size, (float, np.floating)):
        if not 0.0 < test_size < 1.0:
            raise ValueError(
                f"test_size={test_size} as a fraction must lie strictly between 0 and 1; "
                "pass an int to give a number of rows instead."
            )
        n_test = math.ceil(float(test_size) * n)
    else:
        n_test = int(test_size)
    if not 1 <= n_test <= n - 1:
        raise ValueError(
            f"test_size={test_size} gives {n_test} test rows out of {n}; both train and "
            f"test need at least one row, so pick a test size from 1 to {n - 1}."
        )
    return n_test


def _stratified_test_counts(counts: np.ndarray, n_test: int,
                            rng: np.random.Generator) -> np.ndarray:
    """Share `n_test` test rows out over the classes in proportion to their size.

    Each class first gets the whole part of its fair share
    (n_test * class_count / n); the rows left over go to the classes with the
    largest fractional parts (ties broken at random), so no class is ever more
    than one row away from its exact share.
    """
    exact = n_test * counts / counts.sum()
    test_counts = np.floor(exact).astype(np.int64)
    left_over = n_test - test_counts.sum()
    if left_over:
        remainder = exact - test_counts
        # random tie-break: shuffle, then stable sort by remainder (largest first)
        order = rng.permutation(len(counts))
        order = order[np.argsort(-remainder[order], kind="stable")]
        test_counts[order[:left_over]] += 1
    return test_counts


def train_test_split(*arrays: Any, test_size: float | int = 0.25, stratify: Any = None,
                     shuffle: bool = True, seed: int | None = None) -> list[Any]:
    """Split each array into a train part and a test part, with the same rows for all.

    Returns `[a_train, a_test, b_train, b_test, ...]` in the order the arrays were
    given, as scikit-learn does: `X_tr, X_te, y_tr, y_te = train_test_split(X, y)`.
    A Tensor comes back as Tensors, anything else as numpy arrays.

    test_size: a float is the fraction of rows for testing (rounded up), an int the
        number of test rows.
    stratify: class labels (usually `y`); each class is split separately so that
        train and test keep its share of the data (within one row).
    shuffle: shuffle before splitting. Without shuffling the last rows become
        the test set, which is only right for data with a time order.
    seed: makes the split repeatable; the same seed gives the same split.
    """
    if not arrays:
        raise TypeError("train_test_split needs at least one array, e.g. train_test_split(X, y).")
    numpy_arrays = [to_numpy(a, f"array {i}") for i, a in enumerate(arrays)]
    n = check_same_length({f"array {i}": a for i, a in enumerate(numpy_arrays)})
    if n < 2:
        raise ValueError(
            f"cannot split {n} sample(s) into a train and a test part; need 2 or more."
        )
    n_test = _test_count(test_size, n)
    rng = np.random.default_rng(seed)

    if stratify is None:
        order = rng.permutation(n) if shuffle else np.arange(n)
        train_idx, test_idx = order[: n - n_test], order[n - n_test:]
    else:
        if not shuffle:
            raise ValueError(
                "stratify needs shuffle=True: a stratified split picks rows of each class "
                "at random. Use shuffle=False only without stratify."
            )
        labels = to_labels(stratify, "stratify")
        if len(labels) != n:
            raise ValueError(f"stratify has {len(labels)} labels but the arrays have {n} rows.")
        classes, class_of_row, counts = np.unique(labels, return_inverse=True,
                                                  return_counts=True)
        if counts.min() < 2:
            rare = classes[np.argmin(counts)]
            raise ValueError(
                f"class {rare!r} has only one sample, so it cannot appear in both train and "
                "test; drop it, merge it with another class, or split without stratify."
            )
        if not len(classes) <= n_test <= n - len(classes):
            raise ValueError(
                f"a stratified split of {len(classes)} classes needs at least "
                f"{len(classes)} rows in test and in train, but test_size={test_size} gives "
                f"{n_test} test and {n - n_test} train rows; change test_size."
            )
        test_counts = _stratified_test_counts(counts, n_test, rng)
        train_parts, test_parts = [], []
        for c, k in enumerate(test_counts):
            rows = rng.permutation(np.flatnonzero(class_of_row == c))
            test_parts.append(rows[:k])
            train_parts.append(rows[k:])
        # shuffle again so the classes are mixed, not in blocks
        train_idx = rng.permutation(np.concatenate(train_parts))
        test_idx = rng.permutation(np.concatenate(test_parts))

    result = []
    for original, array in zip(arrays, numpy_arrays, strict=True):
        result.append(like_input(original, array[train_idx]))
        result.append(like_input(original, array[test_idx]))
    return result
