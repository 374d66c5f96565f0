"""Counting and binning, as PyTorch names them: ``bincount``, ``histc``, ``bucketize``,
``searchsorted`` and ``isin``.

None of them has a gradient (a count or a position does not change when an input moves
a little), so each is numpy's function behind PyTorch's arguments, with PyTorch's
result dtypes and clear errors where numpy would silently do something else.
``bincount`` is the one a course needs most: the class counts behind class weights
(``1 / torch.bincount(y)``) and behind resampling.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_dk.primitive import raw
from tinygrad_dk.tensor_base import TensorBase


def _array(x: Any) -> np.ndarray:
    return np.asarray(raw(x))


def _result(like: TensorBase, data: np.ndarray) -> Any:
    """``data`` as a Tensor of ``like``'s class, outside the graph (no gradient)."""
    return type(like)._from_op(data)


def _integers(op: str, x: Any, what: str) -> np.ndarray:
    data = _array(x)
    if data.dtype.kind not in "iub":
        raise TypeError(f"{op}: {what} must hold integers (got dtype {data.dtype}); "
                        "convert labels with .long()")
    return data


def bincount(input: TensorBase, weights: Any = None, minlength: int = 0) -> Any:  # noqa: A002
    """How often each value 0, 1, 2, ... occurs in a 1-D tensor of non-negative integers
    (with ``weights``: the sum of the weights of each value's positions).

    The result has ``max(input) + 1`` entries, at least ``minlength``. int64 counts, or
    the weights' dtype (float32 weights give float32 sums, as in PyTorch).
    """
    data = _integers("bincount", input, "the input")
    if data.ndim != 1:
        raise ValueError(f"bincount: the input must be 1-D, got shape {data.shape}; "
                         "flatten it first (x.flatten())")
    if data.size and data.min() < 0:
        raise ValueError(f"bincount: the input holds the negative value {data.min()}; it "
                         "counts the values 0, 1, 2, ... (class labels)")
    if weights is None:
        return _result(input, np.bincount(data, minlength=minlength).astype(np.int64))
    w = _array(weights)
    if w.shape != data.shape:
        raise ValueError(f"bincount: weights of shape {w.shape} do not match the input of "
                         f"shape {data.shape}; give one weight per element")
    sums = np.bincount(data, weights=w, minlength=minlength)  # numpy sums in float64
    return _result(input, sums.astype(w.dtype if w.dtype.kind == "f" else np.float64))


def histc(input: TensorBase, bins: int = 100, min: float = 0,  # noqa: A002
          max: float = 0) -> Any:  # noqa: A002
    """A histogram: ``bins`` equal-width bins between ``min`` and ``max`` (when they are
    equal, as both 0 by default: the data's own smallest and largest value); values
    outside are left out.

    The counts have the input's floating dtype, as in PyTorch.
    """
    data = _array(input)
    if data.dtype.kind != "f":
        raise TypeError(f"histc: the input must be floating point (got {data.dtype}); "
                        "convert it with .float()")
    if bins <= 0:
        raise ValueError(f"histc: bins must be a positive number, got {bins}")
    lo, hi = float(min), float(max)
    if lo == hi and data.size:
        lo, hi = float(data.min()), float(data.max())
    if lo > hi:
        raise ValueError(f"histc: min ({lo}) must not be larger than max ({hi})")
    if lo == hi:  # one value only: PyTorch widens the range by 1 on each side
        lo, hi = lo - 1, hi + 1
    # Each value's bin by linear interpolation in the input's dtype, as PyTorch computes
    # it (numpy's histogram corrects values that round onto a neighbouring bin; PyTorch
    # does not, and these are PyTorch's counts); the top edge belongs to the last bin.
    lo_, hi_ = data.dtype.type(lo), data.dtype.type(hi)
    inside = data[(data >= lo_) & (data <= hi_)]
    position = np.floor((inside - lo_) * bins / (hi_ - lo_)).astype(np.int64)
    counts = np.bincount(np.minimum(position, bins - 1), minlength=bins)
    return _result(input, counts.astype(data.dtype))


def searchsorted(sorted_sequence: TensorBase, values: Any, *, out_int32: bool = False,
                 right: bool = False, side: str | None = None) -> Any:
    """Where each of ``values`` would go into ``sorted_sequence`` to keep it sorted: the
    first such position (``right=True`` or ``side="right"``: the last).

    A sequence with several rows (N-D) is searched row by row, with ``values`` of the
    same leading shape.
    """
    if side is not None:
        if side not in ("left", "right"):
            raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
        if right and side == "left":
            raise ValueError("searchsorted: right=True and side='left' contradict each other")
        right = side == "right"
    seq, vals = _array(sorted_sequence), _array(values)
    where = "right" if right else "left"
    if seq.ndim <= 1:
        found = np.searchsorted(seq, vals, side=where)
    else:
        if seq.shape[:-1] != vals.shape[:-1]:
            raise ValueError(
                f"searchsorted: a sorted sequence of shape {seq.shape} is searched row by "
                f"row, so the values need the same leading shape {seq.shape[:-1]}; got "
                f"{vals.shape}")
        rows_seq = seq.reshape(-1, seq.shape[-1])
        rows_val = vals.reshape(len(rows_seq), -1)
        found = np.stack([np.searchsorted(s, v, side=where)
                          for s, v in zip(rows_seq, rows_val)]).reshape(vals.shape)
    return _result(sorted_sequence, np.asarray(found, dtype=np.int32 if out_int32 else np.int64))


def bucketize(input: TensorBase, boundaries: Any, *, out_int32: bool = False,  # noqa: A002
              right: bool = False) -> Any:
    """The bucket of each value between the sorted 1-D ``boundaries``: how many
    boundaries lie below it (``right=True``: at or below it)."""
    edges = _array(boundaries)
    if edges.ndim != 1:
        raise ValueError(f"bucketize: boundaries must be 1-D, got shape {edges.shape}")
    found = np.searchsorted(edges, _array(input), side="right" if right else "left")
    return _result(input, np.asarray(found, dtype=np.int32 if out_int32 else np.int64))


def isin(elements: TensorBase, test_elements: Any, *, assume_unique: bool = False,
         invert: bool = False) -> Any:
    """True where an element of ``elements`` occurs in ``test_elements`` (a bool tensor)."""
    return _result(elements, np.isin(_array(elements), _array(test_elements),
                                     assume_unique=assume_unique, invert=invert))


__all__ = ["bincount", "histc", "searchsorted", "bucketize", "isin"]
