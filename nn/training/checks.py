"""Checking and preparing the data *before* training starts.

A training run that fails after ten minutes, or silently produces NaN weights, is
much harder to understand than an error at the first line. So `fit` checks its
data up front: same number of rows in X and y, no empty data, no NaN or infinity
(with a count of where they are and what to do about them), a sensible
validation split, and class weights for every class that occurs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nn.data.convert import check_same_length, to_labels, to_numpy
from nn.data.sampling import class_weights as balanced_class_weights


def as_array(x: Any, name: str) -> np.ndarray:
    """A list, numpy array or Tensor as a numeric numpy array (no copy when possible)."""
    array = to_numpy(x, name)
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"{name} has dtype {array.dtype}; training needs numbers. Encode text labels "
            "as class numbers first, e.g. np.unique(y, return_inverse=True)[1]."
        )
    return array


def check_finite(array: np.ndarray, name: str) -> None:
    """Raise a ValueError saying how many rows (and which columns) hold NaN or infinity."""
    if array.dtype.kind != "f":
        return  # integers and booleans cannot be NaN
    flat = array.ravel()
    if np.isfinite(np.vdot(flat, flat)):  # the usual answer, in one BLAS pass: the sum of
        return  # squares is finite unless some entry is NaN or infinite (or it overflows)
    finite = np.isfinite(array)
    if finite.all():  # huge but finite numbers whose squares overflowed
        return
    bad = ~finite
    kind = "NaN" if np.isnan(array).any() else "infinity"
    if np.isnan(array).any() and np.isinf(array).any():
        kind = "NaN and infinity"
    rows = bad.reshape(len(array), -1).any(axis=1)
    where = f"{int(rows.sum())} of {len(array)} rows"
    if array.ndim == 2:
        columns = np.flatnonzero(bad.any(axis=0))
        shown = ", ".join(str(c) for c in columns[:10]) + (", ..." if len(columns) > 10 else "")
        where += f" (in {len(columns)} column{'s' if len(columns) != 1 else ''}: {shown})"
    raise ValueError(
        f"{name} contains {kind} in {where}. A single non-finite number turns every "
        "gradient and weight into NaN. Fill the gaps first (imputation, e.g. with the "
        "column mean computed on the training rows) or drop those rows, e.g. "
        f"keep = np.isfinite({name}).reshape(len({name}), -1).all(axis=1)."
    )


def check_pair(X: Any, y: Any, what: str = "training") -> tuple[np.ndarray, np.ndarray]:
    """X and y as numpy arrays: numeric, same length, not empty, finite."""
    X_name, y_name = ("X", "y") if what == "training" else (f"X ({what})", f"y ({what})")
    X_array, y_array = as_array(X, X_name), as_array(y, y_name)
    n = check_same_length({X_name: X_array, y_name: y_array})
    if n == 0:
        raise ValueError(f"the {what} data is empty (0 samples); there is nothing to train on."
                         if what == "training" else f"the {what} data is empty (0 samples).")
    check_finite(X_array, X_name)
    check_finite(y_array, y_name)
    return X_array, y_array


def split_off_validation(X: np.ndarray, y: np.ndarray, fraction: float
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cut the LAST `fraction` of the rows off as validation data (no shuffling).

    This is what Keras does. If the rows are sorted (all of class 0 first, or by
    date), the validation part is not representative: shuffle X and y together
    first, or use `nn.data.train_test_split` and pass `validation_data`.
    """
    if isinstance(fraction, bool) or not isinstance(fraction, (float, int, np.floating)):
        raise TypeError(f"validation_split must be a fraction such as 0.2, got {fraction!r}.")
    if not 0.0 < fraction < 1.0:
        raise ValueError(
            f"validation_split={fraction} must lie strictly between 0 and 1, e.g. 0.2 "
            "keeps the last 20% of the rows for validation."
        )
    n = len(X)
    n_train = int(n * (1.0 - fraction))
    if n_train < 1 or n_train >= n:
        raise ValueError(
            f"validation_split={fraction} of {n} samples leaves {n_train} for training and "
            f"{n - n_train} for validation; both need at least one sample. Use more data "
            "or a different fraction."
        )
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]


def sample_weights(class_weight: Any, y_train: np.ndarray, y_other: list[np.ndarray]
                   ) -> list[np.ndarray]:
    """One weight per sample, for the training targets and for each array in `y_other`.

    class_weight: a dict {class label: weight}; an array-like with the weight of
    class c at position c (labels 0..C-1); or "balanced", which gives class c the
    weight n_samples / (n_classes * count_c) computed on the training targets (via
    `nn.data.class_weights`), so that every class contributes the same total weight.
    """
    labels = [to_labels(y_train, "y")] + [to_labels(y, "y (validation)") for y in y_other]
    if isinstance(class_weight, str):
        if class_weight != "balanced":
            raise ValueError(
                f"class_weight={class_weight!r} is not known; use 'balanced', a dict "
                "{class: weight} or an array with one weight per class."
            )
        classes, index = np.unique(labels[0], return_inverse=True)
        table = dict(zip(classes.tolist(), balanced_class_weights(index).tolist()))
    elif isinstance(class_weight, dict):
        table = {_plain(k): float(v) for k, v in class_weight.items()}
    else:
        weights = np.asarray(class_weight, dtype=np.float64)
        if weights.ndim != 1:
            raise ValueError(f"class_weight as an array must be 1-D, got shape {weights.shape}.")
        table = dict(enumerate(weights.tolist()))
    bad = [w for w in table.values() if not (np.isfinite(w) and w >= 0)]
    if bad:
        raise ValueError(f"class weights must be finite and >= 0, got {bad[0]}.")
    result = []
    for y in labels:
        missing = sorted({_plain(v) for v in np.unique(y)} - set(table))
        if missing:
            raise ValueError(
                f"class_weight has no weight for class {missing[0]!r} (classes without a "
                f"weight: {missing}); give every class that occurs in y a weight."
            )
        result.append(np.array([table[_plain(v)] for v in y], dtype=np.float64))
    if result[0].sum() == 0:
        raise ValueError("all training samples have class weight 0; nothing would be learned.")
    return result


def _plain(label: Any) -> Any:
    """numpy scalars -> Python numbers, so dict lookups match (np.int64(1) vs 1 vs 1.0)."""
    value = label.item() if hasattr(label, "item") else label
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
