"""Imbalanced classes: `class_weights`, `oversample`, `undersample`.

When one class is rare (212 malignant against 357 benign, or 1 fraud in 1000),
a model can score well by mostly predicting the common class. Three standard
remedies, each with a cost:

- class_weights: keep the data, but make mistakes on rare classes count more in
  the loss. Nothing is thrown away or repeated.
- oversample: repeat random rows of the rare classes until every class is as big
  as the largest. Uses all data, but the repeated rows invite overfitting.
- undersample: keep a random subset of each common class, as big as the smallest
  class. Balanced and fast, but it throws data away.

Only ever resample the *training* data. Test data must keep the real class
balance, or the test score describes a world that does not exist.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nn.data.convert import check_same_length, like_input, to_class_indices, to_labels, to_numpy


def class_weights(y: Any, mode: str = "balanced") -> np.ndarray:
    """Weight per class, indexed by class number 0..C-1, for a weighted loss.

    "balanced" gives class c the weight n_samples / (n_classes * count_c): a class
    with half the average size gets weight 2, and every class then contributes the
    same total weight. Example: y = [0, 0, 0, 1] gives [4/(2*3), 4/(2*1)] = [0.667, 2.0].
    """
    if mode != "balanced":
        raise ValueError(f"mode={mode!r} is not known; the only mode is 'balanced'.")
    labels = to_class_indices(y, "y")
    if labels.size == 0:
        raise ValueError("y is empty; class weights need at least one label.")
    counts = np.bincount(labels)
    missing = np.flatnonzero(counts == 0)
    if missing.size:
        raise ValueError(
            f"class {missing[0]} never occurs in y (labels must run 0..{len(counts) - 1} "
            "without gaps), so its weight would be infinite; renumber the classes."
        )
    return labels.size / (len(counts) * counts.astype(np.float64))


def _check_X_y(X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    X_array, y_array = to_numpy(X, "X"), to_numpy(y, "y")
    if check_same_length({"X": X_array, "y": y_array}) == 0:
        raise ValueError("X and y are empty; there is nothing to resample.")
    return X_array, y_array


def _resample(X: Any, y: Any, seed: int | None, grow: bool) -> tuple[Any, Any]:
    """Pick rows of each class so that all classes reach the same count, then shuffle."""
    X_array, y_array = _check_X_y(X, y)
    rng = np.random.default_rng(seed)
    labels = to_labels(y_array, "y")  # refuses probabilities; y_array keeps its dtype
    classes, class_of_row, counts = np.unique(labels, return_inverse=True, return_counts=True)
    target = counts.max() if grow else counts.min()
    chosen = []
    for c in range(len(classes)):
        rows = np.flatnonzero(class_of_row == c)
        if grow:
            # keep every original row, then draw the missing ones with replacement
            extra = rng.choice(rows, size=target - len(rows), replace=True)
            chosen.append(np.concatenate([rows, extra]))
        else:
            chosen.append(rng.choice(rows, size=target, replace=False))
    picked = rng.permutation(np.concatenate(chosen))
    return like_input(X, X_array[picked]), like_input(y, y_array[picked])


def oversample(X: Any, y: Any, seed: int | None = None) -> tuple[Any, Any]:
    """Random oversampling: grow every class to the size of the largest one.

    All original rows are kept; smaller classes get extra copies of their own rows,
    drawn at random with replacement. Returns shuffled (X, y); Tensors stay Tensors.
    """
    return _resample(X, y, seed, grow=True)


def undersample(X: Any, y: Any, seed: int | None = None) -> tuple[Any, Any]:
    """Random undersampling: shrink every class to the size of the smallest one.

    Each class keeps a random subset of its rows (no row twice). Returns shuffled
    (X, y); Tensors stay Tensors.
    """
    return _resample(X, y, seed, grow=False)
