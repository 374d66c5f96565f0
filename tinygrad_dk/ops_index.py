"""Operations that answer *where*: ``argmax``/``argmin``, the maximum along an axis
together with its position (PyTorch's ``x.max(dim)``), ``nonzero`` and ``topk``/``sort``.

Positions are integers (int64, as PyTorch), so they carry no gradient. The values
that come with them are taken out of the input by indexing (``ops_shape.getitem``),
so their gradient goes to exactly the element that was picked, as in PyTorch (where
``amax`` instead shares it among tied elements).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_dk.ops_shape import getitem, reshape
from tinygrad_dk.primitive import raw


def _positions(x: Any, data: np.ndarray) -> Any:
    """Integer results as a Tensor of the input's engine (no gradient)."""
    return type(x)._from_op(np.asarray(data, dtype=np.int64))


def _check_axis(op: str, axis: Any, ndim: int) -> int:
    if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
        raise TypeError(f"{op}: dim must be one int, got {axis!r}")
    if not -max(ndim, 1) <= axis < max(ndim, 1):
        raise IndexError(f"{op}: dim {axis} is out of range for a tensor with {ndim} "
                         f"dimensions; use -{max(ndim, 1)}..{max(ndim, 1) - 1}")
    return int(axis) % max(ndim, 1)


def argmax(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Position of the largest element (of all: a flat index; along ``axis``: one per row)."""
    data = raw(x)
    if axis is not None:
        axis = _check_axis("argmax", axis, data.ndim)
    return _positions(x, np.argmax(data, axis=axis, keepdims=keepdims))


def argmin(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Position of the smallest element (of all: a flat index; along ``axis``: one per row)."""
    data = raw(x)
    if axis is not None:
        axis = _check_axis("argmin", axis, data.ndim)
    return _positions(x, np.argmin(data, axis=axis, keepdims=keepdims))


def _take(x: Any, picked: np.ndarray, axis: int, keepdims: bool) -> Any:
    """x at the positions ``picked`` (shape of x with 1 at ``axis``), differentiably."""
    shape = np.shape(raw(x))
    index = tuple(
        picked if i == axis else np.arange(n).reshape([-1 if j == i else 1
                                                       for j in range(len(shape))])
        for i, n in enumerate(shape)
    )
    values = getitem(x, index)
    if keepdims:
        return values
    return reshape(values, shape[:axis] + shape[axis + 1:])


def extreme_along(x: Any, axis: Any, keepdims: bool, largest: bool) -> tuple[Any, Any]:
    """``(values, indices)`` of the max (``largest``) or min along one axis.

    The first position wins a tie, as in PyTorch; a NaN counts as the extreme.
    """
    op = "max" if largest else "min"
    data = raw(x)
    if data.ndim == 0:
        return x, _positions(x, np.zeros((), dtype=np.int64))
    axis = _check_axis(op, axis, data.ndim)
    if data.shape[axis] == 0:
        raise IndexError(f"{op}(dim={axis}): the dimension is empty (shape {data.shape}); there "
                         "is no largest or smallest element to pick")
    picked = (np.argmax if largest else np.argmin)(data, axis=axis, keepdims=True)
    values = _take(x, picked, axis, keepdims)
    return values, _positions(x, picked if keepdims else np.squeeze(picked, axis))


def topk(x: Any, k: int, axis: int = -1, largest: bool = True,
         sorted: bool = True) -> tuple[Any, Any]:  # noqa: A002 - PyTorch's keyword
    """The ``k`` largest (or smallest) values along ``axis`` and their positions."""
    data = raw(x)
    axis = _check_axis("topk", axis, max(data.ndim, 1))
    n = data.shape[axis] if data.ndim else 1
    if not 0 <= k <= n:
        raise ValueError(f"topk: k={k} is out of range for a dimension of length {n}")
    # a stable sort of -x keeps the first of equal values first, as PyTorch does
    order = np.argsort(-data if largest else data, axis=axis, kind="stable")
    picked = np.take(order, np.arange(k), axis=axis)
    return _take(x, picked, axis, True), _positions(x, picked)


def nonzero(x: Any, as_tuple: bool = False) -> Any:
    """Positions of the non-zero elements: an (n, ndim) int64 Tensor (PyTorch's form), or
    with ``as_tuple=True`` one 1-D Tensor per axis (numpy's ``nonzero`` form)."""
    data = raw(x)
    if as_tuple:
        return tuple(_positions(x, i) for i in np.nonzero(np.atleast_1d(data)))
    return _positions(x, np.argwhere(data))


def all(x: Any, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A001
    """True where every element (along ``axis``) is non-zero: a bool Tensor."""
    return type(x)._from_op(np.asarray(np.all(raw(x), axis=axis, keepdims=keepdims)))


def any(x: Any, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A001
    """True where some element (along ``axis``) is non-zero: a bool Tensor."""
    return type(x)._from_op(np.asarray(np.any(raw(x), axis=axis, keepdims=keepdims)))


def unique(x: Any, return_inverse: bool = False, return_counts: bool = False) -> Any:
    """The distinct values, sorted (and, if asked, where each element's value sits in them
    and how often each value occurs)."""
    values, inverse, counts = np.unique(raw(x), return_inverse=True, return_counts=True)
    out = type(x)._from_op(values)
    extras = [_positions(x, inverse.reshape(np.shape(raw(x))))] if return_inverse else []
    extras += [_positions(x, counts)] if return_counts else []
    return (out, *extras) if extras else out
