"""Operations that move numbers around without changing them: reshape, transpose,
indexing, joining. Their derivatives move the gradient back to where each number
came from.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tinygrad_dk.primitive import Primitive, raw
from tinygrad_dk.tensor_base import SliceGradient, ndim_of, shape_of


def _reshape_forward(x: Any, shape: Any) -> Any:
    try:
        return np.reshape(x, shape)
    except ValueError:
        raise ValueError(
            f"cannot reshape {np.size(x)} elements of shape {np.shape(x)} into {shape}; the "
            "new shape must hold the same number of elements (use -1 for one inferred axis)"
        ) from None


reshape = Primitive(
    "reshape", _reshape_forward, lambda g, out, x, shape: g.reshape(shape_of(raw(x)))
)


def _transpose_vjp(g: Any, out: Any, x: Any, axes: Any = None) -> Any:
    if axes is None:
        return g.transpose()
    inverse = np.argsort([a % ndim_of(x) for a in axes])  # undo the permutation
    return g.transpose(tuple(int(i) for i in inverse))


# (the array methods: np.transpose and np.swapaxes are Python wrappers around them, three
# Python calls more per op, and W.T in x @ W.T runs once per layer and step)
transpose = Primitive("transpose", lambda x, axes=None: np.asarray(x).transpose(axes),
                      _transpose_vjp)
swapaxes = Primitive(
    "swapaxes",
    lambda x, a, b: np.asarray(x).swapaxes(a, b),
    lambda g, out, x, a, b: g.swapaxes(a, b),
)
# broadcast_to's derivative sums over the broadcast axes; the backward driver's
# unbroadcast does exactly that, so the vjp just hands g through.
broadcast_to = Primitive(
    "broadcast_to", lambda x, shape: np.broadcast_to(x, shape), lambda g, out, x, shape: g
)


def flatten(x: Any, start_axis: int = 0) -> Any:
    """Merge the axes from ``start_axis`` on into one (``start_axis=1`` keeps the batch axis)."""
    shape = np.shape(raw(x))
    # the merged length is counted, not left to -1, which numpy cannot infer for 0 elements
    return reshape(x, tuple(shape[:start_axis]) + (math.prod(shape[start_axis:]),))


def _positions(axis: Any, ndim: int, what: str) -> list[int]:
    """Axis numbers (int or tuple, negative counts from the end) as positions 0..ndim-1."""
    axes = [axis] if isinstance(axis, (int, np.integer)) else list(axis)
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"{what}: axis {a} is out of range for {ndim} dimensions")
    return sorted(int(a) % ndim for a in axes)


def squeeze(x: Any, axis: Any = None) -> Any:
    """Drop axes of length 1 (all of them, or the given int/tuple)."""
    shape = np.shape(raw(x))
    if axis is None:
        return reshape(x, tuple(n for n in shape if n != 1))
    drop = _positions(axis, len(shape), "squeeze")
    for a in drop:
        if shape[a] != 1:
            raise ValueError(f"squeeze: axis {a} has length {shape[a]}, only length-1 axes go")
    return reshape(x, tuple(n for i, n in enumerate(shape) if i not in drop))


def expand_dims(x: Any, axis: Any) -> Any:
    """Insert an axis of length 1 at position ``axis`` (an int or a tuple)."""
    shape = list(np.shape(raw(x)))
    n_new = 1 if isinstance(axis, (int, np.integer)) else len(axis)
    for a in _positions(axis, len(shape) + n_new, "expand_dims"):
        shape.insert(a, 1)
    return reshape(x, tuple(shape))


# --- indexing ---------------------------------------------------------------------------


# The parts of a basic index (x[2], x[:, 1:3], x[..., None]): numpy takes them as they are.
_BASIC = frozenset((int, slice, type(Ellipsis), type(None)))


def _is_basic(index: Any) -> bool:
    """Whether ``index`` is made of ints, slices, ``...`` and ``None`` only (a view)."""
    if type(index) is tuple:
        for part in index:
            if type(part) not in _BASIC:
                return False
        return True
    return type(index) in _BASIC


def normalize_index(index: Any) -> Any:
    """Turn Tensors and lists inside an index into numpy arrays, so numpy can use it."""
    if _is_basic(index):  # the usual case
        return index
    if isinstance(index, tuple):
        return tuple(normalize_index(i) for i in index)
    if hasattr(index, "_data"):
        index = index._data
    if isinstance(index, list):
        index = np.asarray(index)
    if isinstance(index, np.ndarray) and index.dtype.kind not in "biu":
        raise IndexError(
            f"index arrays must be integers or booleans, got dtype {index.dtype}; convert "
            "with .astype(int)"
        )
    return index


def _uses_advanced(index: Any) -> bool:
    for part in index if isinstance(index, tuple) else (index,):
        if isinstance(part, np.ndarray) and part.dtype != np.bool_:
            return True
    return False


def _index_add_forward(g: Any, index: Any, shape: tuple[int, ...]) -> Any:
    out = np.zeros(shape, dtype=g.dtype if type(g) is np.ndarray else np.result_type(g))
    if _uses_advanced(index):
        np.add.at(out, index, g)  # integer arrays may repeat an index: add, do not overwrite
    else:
        out[index] = g  # slices, ints and masks touch each element at most once
    return out


# index_add puts g into a zero array at `index`; getitem takes `index` out. Each is
# the other's derivative.
index_add = Primitive(
    "index_add", _index_add_forward, lambda g, out, gin, index, shape: getitem(g, index)
)


def _getitem_vjp(g: Any, out: Any, x: Any, index: Any) -> Any:
    if type(g) is np.ndarray and _is_basic(index):
        return SliceGradient(index, g)  # plain backward: x adds g into its gradient at index
    return index_add(g, index, raw(x).shape)


getitem = Primitive("getitem", lambda x, index: x[index], _getitem_vjp)

# --- joining -------------------------------------------------------------------------------


def _split_back(g: Any, xs: tuple, axis: int | None) -> list:
    """Cut g along ``axis`` into pieces the sizes of the joined inputs.

    ``axis=None`` joined the flattened inputs (numpy's rule), so each piece is then
    cut from the flat g and given its input's shape back.
    """
    if axis is None:
        pieces, start = [], 0
        for x in xs:
            shape = np.shape(raw(x))
            n = int(np.prod(shape, dtype=np.int64))
            pieces.append(g[start:start + n].reshape(shape))
            start += n
        return pieces
    ndim = ndim_of(g)
    axis = axis % ndim
    pieces, start = [], 0
    for x in xs:
        n = np.shape(raw(x))[axis]
        index = (slice(None),) * axis + (slice(start, start + n),)
        pieces.append(g[index])  # a view of an array, or a recorded getitem of a Tensor
        start += n
    return pieces


def _concatenate_forward(*xs: Any, axis: int = 0) -> Any:
    return np.concatenate(xs, axis=axis)


_concatenate = Primitive(
    "concatenate", _concatenate_forward,
    vjp_all=lambda g, out, *xs, axis=0: _split_back(g, xs, axis),
)


def _stack_vjp(g: Any, out: Any, *xs: Any, axis: int = 0) -> list:
    axis = axis % ndim_of(g)
    return [g[(slice(None),) * axis + (i,)] for i in range(len(xs))]


_stack = Primitive("stack", lambda *xs, axis=0: np.stack(xs, axis=axis), vjp_all=_stack_vjp)


def concatenate(tensors: Any, axis: int = 0) -> Any:
    """Join tensors along an existing axis (numpy's ``concatenate``)."""
    return _concatenate(*tensors, axis=axis)


def stack(tensors: Any, axis: int = 0) -> Any:
    """Join tensors along a new axis (numpy's ``stack``)."""
    return _stack(*tensors, axis=axis)
