"""Reading and writing at positions given by an index tensor: ``gather``, ``take``,
``take_along_dim``, ``index_select``, ``masked_select``, sliding windows (``unfold``),
and their writing partners ``scatter``, ``scatter_add``, ``index_add``,
``index_fill``, ``masked_fill``.

Two moves do all the work, each the other's derivative:

* reading picks elements out: ``ops_shape.getitem`` with integer arrays, one per axis
  (``x[rows, cols]``). Its derivative puts the gradient back where each element came
  from, *adding* where an index repeats (``np.add.at``): an element read twice gets
  both gradients;
* adding at positions (``ops_shape.index_add``: zeros with values added at an index)
  is ``scatter_add``; its derivative reads the gradient at those positions.

``scatter`` overwrites instead of adding (``inplace.put``, the op behind ``t[i] = v``):
the overwritten elements of the input get gradient 0, the written values the gradient
read at their positions. The masked ops are ``ops.where``.

An index is an int64 tensor, a list or a numpy array of integers; ``as_index`` checks
it and says how to fix a wrong one.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_dk.inplace import put
from tinygrad_dk.ops import add, astype, mul, where
from tinygrad_dk.ops_index import _check_axis
from tinygrad_dk.ops_layout import _along, _at_least, _integers, _shape, movedim
from tinygrad_dk.ops_shape import broadcast_to, getitem, reshape
from tinygrad_dk.ops_shape import index_add as _add_at
from tinygrad_dk.primitive import raw
from tinygrad_dk.tensor_base import TensorBase

# --- checking indices -----------------------------------------------------------------------


def as_index(op: str, index: Any) -> np.ndarray:
    """An index (int64 tensor, list, numpy array or int) as a numpy integer array."""
    data = _integers(index)
    if data.dtype.kind not in "iu":
        raise TypeError(f"{op}: the index must hold integers (int64), got dtype {data.dtype}; "
                        "convert it with .long() (or build it with torch.tensor([...]) of ints, "
                        "np.int64)")
    return data.astype(np.int64, copy=False)


def _check_bounds(op: str, index: np.ndarray, n: int, dim: int, negative: bool = False) -> None:
    """Every index in 0..n-1 (or -n..n-1 where negative ones count from the end)."""
    if index.size == 0:
        return
    low, high = int(index.min()), int(index.max())
    bad = high if high >= n else low if low < (-n if negative else 0) else None
    if bad is not None:
        allowed = f"-{n}..{n - 1}" if negative else f"0..{n - 1}"
        raise IndexError(f"{op}: index {bad} is out of bounds for dimension {dim} with size "
                         f"{n}; indices must be in {allowed}")


def _mask(op: str, mask: Any) -> np.ndarray:
    data = np.asarray(raw(mask))
    if data.dtype != np.bool_:
        raise TypeError(f"{op}: the mask must be a bool tensor, got dtype {data.dtype}; make one "
                        "with a comparison (x > 0) or convert it with .bool()")
    return data


def _fill_value(op: str, x: Any, value: Any) -> Any:
    """A number or a one-element tensor, in x's dtype (a Tensor keeps its gradient)."""
    if isinstance(value, TensorBase):
        if value.ndim != 0:
            raise RuntimeError(f"{op}: the value must be a number or a 0-dimensional tensor, "
                               f"got shape {value.shape}; use .squeeze() or .item()")
        return value if value.dtype == raw(x).dtype else astype(value, raw(x).dtype)
    return np.asarray(value).astype(raw(x).dtype)


def _positions(op: str, x_shape: tuple, dim: int, index: np.ndarray,
               others: tuple = ()) -> tuple:
    """The integer arrays, one per axis, that pick the elements a gather or scatter along
    ``dim`` reads or writes: ``index`` along ``dim``, the element's own position along
    every other axis (``others``: shapes that must also hold the index, e.g. scatter's src).
    """
    ndim = len(x_shape)
    if index.ndim != ndim:
        raise RuntimeError(f"{op}: the index has {index.ndim} dimensions but the tensor {ndim}; "
                           "they must have the same number (add axes with unsqueeze)")
    for d, (i, n) in enumerate(zip(index.shape, x_shape)):
        if d != dim and i > n:
            raise RuntimeError(f"{op}: index shape {index.shape} is larger than the tensor's "
                               f"{x_shape} along dimension {d} (only dimension {dim} may differ)")
    for other in others:
        if any(i > n for i, n in zip(index.shape, other)):
            raise RuntimeError(f"{op}: index shape {index.shape} is larger than src's {other}")
    _check_bounds(op, index, x_shape[dim], dim)
    return tuple(index if d == dim else np.arange(n).reshape(
        [-1 if e == d else 1 for e in range(ndim)]) for d, n in enumerate(index.shape))


def _scalar_case(x: Any, index: np.ndarray) -> tuple[Any, np.ndarray]:
    """0-dimensional tensors count as vectors of one element (PyTorch's rule)."""
    return _at_least(x, 1), index.reshape(1) if not _shape(x) else index


# --- reading ----------------------------------------------------------------------------------


def gather(x: Any, dim: int, index: Any) -> Any:
    """``out[i][j] = x[i][index[i][j]]`` for dim 1 (likewise for any dim): along ``dim``,
    the elements at ``index``; the result has the index's shape."""
    index = as_index("gather", index)
    dim = _check_axis("gather", dim, len(_shape(x)))
    x1, i1 = _scalar_case(x, index)
    out = getitem(x1, _positions("gather", _shape(x1), dim, i1))
    return reshape(out, ()) if not _shape(x) else out


def take_along_dim(x: Any, indices: Any, dim: int | None = None) -> Any:
    """numpy's ``take_along_axis``: ``gather`` after broadcasting x and the indices against
    each other on every axis but ``dim``; without dim, on the flattened tensors."""
    index = as_index("take_along_dim", indices)
    if dim is None:
        return take(x, index.reshape(-1))
    shape = _shape(x)
    if index.ndim != len(shape):
        raise RuntimeError(f"take_along_dim: the indices have {index.ndim} dimensions but the "
                           f"tensor {len(shape)}; they must have the same number")
    dim = _check_axis("take_along_dim", dim, len(shape))
    try:
        common = list(np.broadcast_shapes(tuple(1 if d == dim else n for d, n in enumerate(shape)),
                                          tuple(1 if d == dim else n
                                                for d, n in enumerate(index.shape))))
    except ValueError:
        raise RuntimeError(f"take_along_dim: shapes {shape} and {index.shape} do not broadcast "
                           f"(on all dimensions but {dim})") from None
    x_shape = tuple(shape[dim] if d == dim else n for d, n in enumerate(common))
    i_shape = tuple(index.shape[dim] if d == dim else n for d, n in enumerate(common))
    return gather(broadcast_to(x, x_shape), dim, np.broadcast_to(index, i_shape))


def index_select(x: Any, dim: int, index: Any) -> Any:
    """The slices at positions ``index`` (a vector) along ``dim``, in that order."""
    index = as_index("index_select", index)
    if index.ndim > 1:
        raise IndexError(f"index_select: the index must be a vector, got shape {index.shape}; "
                         "flatten it, or use gather / take for other shapes")
    x1, i1 = _scalar_case(x, index.reshape(-1))
    dim = _check_axis("index_select", dim, len(_shape(x1)))
    _check_bounds("index_select", i1, _shape(x1)[dim], dim)
    out = getitem(x1, _along(dim, i1))
    return reshape(out, ()) if not _shape(x) and index.ndim == 0 else out


def take(x: Any, index: Any) -> Any:
    """The elements of the flattened tensor at ``index`` (negative counts from the end);
    the result has the index's shape."""
    index = as_index("take", index)
    flat = reshape(x, (-1,))
    _check_bounds("take", index, _shape(flat)[0], 0, negative=True)
    return getitem(flat, index)


def masked_select(x: Any, mask: Any) -> Any:
    """The elements where ``mask`` is True, as a vector (x and mask broadcast together)."""
    mask = _mask("masked_select", mask)
    try:
        shape = np.broadcast_shapes(_shape(x), mask.shape)
    except ValueError:
        raise RuntimeError(f"masked_select: the mask's shape {mask.shape} does not broadcast "
                           f"with the tensor's {_shape(x)}") from None
    return getitem(broadcast_to(x, shape), np.broadcast_to(mask, shape))


def unfold(x: Any, dimension: int, size: int, step: int) -> Any:
    """Sliding windows of ``size`` elements, ``step`` apart, along ``dimension``: that axis
    becomes the number of windows and a new last axis holds each window (a time series
    of length n into (n - size) // step + 1 windows)."""
    shape = _shape(x)
    x1 = _at_least(x, 1)
    dim = _check_axis("unfold", dimension, len(_shape(x1)))
    n = _shape(x1)[dim]
    if size < 0 or size > n:
        raise RuntimeError(f"unfold: the window size {size} must be in 0..{n}, the size of "
                           f"dimension {dim}")
    if step <= 0:
        raise RuntimeError(f"unfold: the step must be positive, got {step}")
    count = (n - size) // step + 1
    windows = np.arange(count)[:, None] * step + np.arange(size)  # (count, size) positions
    picked = getitem(x1, _along(dim, windows))  # the window axis lands at dim + 1
    out = movedim(picked, dim + 1, -1)
    return reshape(out, (size,)) if not shape else out


# --- writing --------------------------------------------------------------------------------


def _src_part(op: str, x: Any, src: Any, index: np.ndarray) -> Any:
    """The corner of src that scatter writes (the index's shape), in x's dtype."""
    if not isinstance(src, TensorBase):
        src = np.asarray(src)
    if len(_shape(src)) != index.ndim:
        raise RuntimeError(f"{op}: src has {len(_shape(src))} dimensions but the index "
                           f"{index.ndim}; they must have the same number")
    if raw(src).dtype != raw(x).dtype:
        raise RuntimeError(f"{op}: src has dtype {raw(src).dtype} but the tensor {raw(x).dtype}; "
                           "convert src with .to(x.dtype)")
    corner = tuple(slice(0, n) for n in index.shape)
    return src if _shape(src) == index.shape else getitem(src, corner)


def scatter(x: Any, dim: int, index: Any, src: Any = None, value: Any = None,
            reduce: str | None = None) -> Any:
    """A copy of x with ``out[i][index[i][j]] = src[i][j]`` for dim 1 (likewise for any
    dim), or ``= value`` everywhere the index points. Where an index repeats, one of the
    written values wins (which is not defined in PyTorch); use scatter_add to add them."""
    if reduce is not None:
        if reduce != "add" or src is None:
            raise ValueError(f"scatter: reduce={reduce!r} is not supported here; use "
                             "scatter_add (reduce='add' with src) or compute the product yourself")
        return scatter_add(x, dim, index, src)
    if (src is None) == (value is None):
        raise TypeError("scatter: give either src (a tensor) or value (a number)")
    index = as_index("scatter", index)
    dim = _check_axis("scatter", dim, len(_shape(x)))
    if src is not None and not isinstance(src, TensorBase) and np.ndim(src) == 0:
        value, src = src, None  # scatter(dim, index, 2.0): PyTorch's value spelling
    x1, i1 = _scalar_case(x, index)
    others = () if src is None else (_shape(src) or (1,),)
    where_to = _positions("scatter", _shape(x1), dim, i1, others)
    if src is None:
        new = np.asarray(value).astype(raw(x).dtype)
    else:
        new = _src_part("scatter", x, _at_least(src, 1), i1)
    out = put(x1, where_to, new)
    return reshape(out, ()) if not _shape(x) else out


def scatter_add(x: Any, dim: int, index: Any, src: Any) -> Any:
    """A copy of x with ``out[i][index[i][j]] += src[i][j]`` for dim 1 (likewise for any
    dim); repeated indices add up (a histogram, a sum per group)."""
    index = as_index("scatter_add", index)
    dim = _check_axis("scatter_add", dim, len(_shape(x)))
    x1, i1 = _scalar_case(x, index)
    src1 = _at_least(src, 1)
    where_to = _positions("scatter_add", _shape(x1), dim, i1, (_shape(src1),))
    out = add(x1, _add_at(_src_part("scatter_add", x, src1, i1), where_to, _shape(x1)))
    return reshape(out, ()) if not _shape(x) else out


def index_add(x: Any, dim: int, index: Any, source: Any, alpha: Any = 1) -> Any:
    """A copy of x with ``alpha * source[j]`` added to slice ``index[j]`` along ``dim``
    (repeated indices add up)."""
    index = as_index("index_add", index).reshape(-1)
    x1, src1 = _at_least(x, 1), _at_least(source, 1)
    dim = _check_axis("index_add", dim, len(_shape(x1)))
    want = _shape(x1)[:dim] + (index.size,) + _shape(x1)[dim + 1:]
    if _shape(src1) != want:
        raise RuntimeError(f"index_add: source has shape {_shape(source)} but needs {want}: the "
                           f"tensor's shape with {index.size} (the number of indices) at "
                           f"dimension {dim}")
    _check_bounds("index_add", index, _shape(x1)[dim], dim)
    if alpha != 1:
        src1 = mul(src1, alpha)
    out = add(x1, _add_at(src1, _along(dim, index), _shape(x1)))
    return reshape(out, ()) if not _shape(x) else out


def index_fill(x: Any, dim: int, index: Any, value: Any) -> Any:
    """A copy of x with the slices at ``index`` along ``dim`` set to ``value``."""
    index = as_index("index_fill", index).reshape(-1)
    shape = _shape(x)
    dim = _check_axis("index_fill", dim, len(shape))
    n = shape[dim] if shape else 1
    _check_bounds("index_fill", index, n, dim, negative=True)
    hit = np.zeros(n, dtype=bool)
    hit[index] = True
    hit = hit.reshape([n if d == dim else 1 for d in range(len(shape))])
    return where(hit, _fill_value("index_fill", x, value), x)


def masked_fill(x: Any, mask: Any, value: Any) -> Any:
    """A copy of x with ``value`` where ``mask`` is True (``scores.masked_fill(pad, -inf)``);
    the filled elements get no gradient, the value (a 0-d tensor) their sum."""
    mask = _mask("masked_fill", mask)
    try:
        np.broadcast_shapes(_shape(x), mask.shape)
    except ValueError:
        raise RuntimeError(f"masked_fill: the mask's shape {mask.shape} does not broadcast with "
                           f"the tensor's {_shape(x)}") from None
    return where(mask, _fill_value("masked_fill", x, value), x)
