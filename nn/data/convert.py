"""Turning whatever the user passed (list, numpy array, Tensor) into a numpy array.

Every function in `nn.data` and `nn.metrics` starts by calling one of these, so
that students can hand in a Python list, a numpy array or a `tinygrad_dk.Tensor`
and get the same answer. The checks here also give the clear error messages: a
wrong shape or a probability where a class label belongs is caught at the door,
not three calls later as a confusing numpy broadcasting result.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def is_tensor(x: Any) -> bool:
    """True if `x` is a `tinygrad_dk.Tensor`.

    The import is done here, not at module top, so that `nn.data` works even
    while the core engine is missing or half-built.
    """
    try:
        from tinygrad_dk import Tensor
    except ImportError:
        return False
    return isinstance(x, Tensor)


def to_tensor(array: np.ndarray) -> Any:
    """Wrap a numpy array in a `Tensor` (dtype kept, no gradient tracking)."""
    from tinygrad_dk import Tensor

    return Tensor(array)


def like_input(original: Any, array: np.ndarray) -> Any:
    """Return `array` as a Tensor if `original` was a Tensor, else as numpy."""
    return to_tensor(array) if is_tensor(original) else array


def to_numpy(x: Any, name: str = "X") -> np.ndarray:
    """Convert a list, numpy array or Tensor to a numpy array (no copy if possible).

    Raises TypeError for things that are not numbers (None, dicts, ragged lists),
    because numpy would otherwise make an `object` array that fails much later.
    """
    if x is None:
        raise TypeError(f"{name} is None; pass a list, numpy array or Tensor.")
    if isinstance(x, np.ndarray):
        array = x
    else:
        try:
            array = np.asarray(x)
        except ValueError as err:  # ragged nested lists
            raise TypeError(
                f"{name} could not be turned into an array ({err}); "
                "make every row the same length."
            ) from err
    if array.dtype == object:
        raise TypeError(
            f"{name} has dtype object (mixed types or ragged rows); "
            "pass numbers of one kind, with every row the same length."
        )
    return array


def check_same_length(arrays: dict[str, np.ndarray]) -> int:
    """Check that all arrays have the same number of rows; return that number."""
    lengths = {name: (len(a) if a.ndim > 0 else None) for name, a in arrays.items()}
    for name, length in lengths.items():
        if length is None:
            raise ValueError(f"{name} is a single number; pass one value or row per sample.")
    if len(set(lengths.values())) > 1:
        listing = ", ".join(f"{name} has {n}" for name, n in lengths.items())
        raise ValueError(f"inputs must have the same number of samples (rows): {listing}.")
    return next(iter(lengths.values()))


def to_1d(x: Any, name: str) -> np.ndarray:
    """Convert to a 1-D array; a column of shape (n, 1) is flattened to (n,).

    A model often outputs shape (n, 1) while targets have shape (n,). Subtracting
    the two would silently broadcast to (n, n), so we flatten the column here and
    refuse anything else that is not 1-D.
    """
    array = to_numpy(x, name)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise ValueError(
            f"{name} must be 1-D (one value per sample) but has shape {array.shape}."
        )
    return array


def to_labels(x: Any, name: str = "y") -> np.ndarray:
    """Convert class labels to a 1-D array, refusing values that are not labels.

    Labels may be integers, booleans, integer-valued floats (a Tensor made from
    a list of ints is float32) or strings. Floats such as 0.73 are refused: they
    are almost always probabilities that should be thresholded first.
    """
    array = to_1d(x, name)
    if array.dtype.kind == "b":
        return array.astype(np.int64)
    if array.dtype.kind == "f":
        if not np.all(np.isfinite(array)):
            raise ValueError(f"{name} contains NaN or infinity; class labels must be finite.")
        fractional = array[array != np.round(array)]
        if fractional.size:
            raise ValueError(
                f"{name} contains non-integer values such as {fractional[0]!r}, so it looks "
                "like probabilities or scores, not class labels. Turn them into labels "
                "first, e.g. (p >= 0.5).astype(int) or p.argmax(axis=1)."
            )
        return array.astype(np.int64)
    if array.dtype.kind in "iuUS":
        return array
    raise TypeError(f"{name} has dtype {array.dtype}; class labels must be integers or strings.")


def to_class_indices(x: Any, name: str = "y") -> np.ndarray:
    """Convert labels that must be the class numbers 0, 1, ..., C-1 to int64."""
    labels = to_labels(x, name)
    if labels.dtype.kind not in "iu":
        raise TypeError(
            f"{name} holds {labels.dtype} labels; this function needs class numbers 0..C-1. "
            "Map names to numbers first, e.g. np.unique(y, return_inverse=True)[1]."
        )
    labels = labels.astype(np.int64)
    if labels.size and labels.min() < 0:
        raise ValueError(
            f"{name} contains the negative label {labels.min()}; classes must be numbered 0..C-1."
        )
    return labels
