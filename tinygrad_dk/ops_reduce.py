"""Reductions, scans and order statistics with PyTorch's names: ``prod``, ``cumsum``,
``cumprod``, ``logcumsumexp``, ``cummax``/``cummin``, ``diff``, ``argsort``, ``median``,
``kthvalue``, ``mode``, ``quantile``, ``nansum``, ``count_nonzero``, ...

Three ideas carry most of them:

* **the product of the others.** The derivative of a product with respect to one factor
  is the product of all the other factors. ``out / x`` says that in one line, but not
  where ``x`` is 0; there the others are multiplied out directly, with that factor
  replaced by 1 (``_others_last``). Written with engine operations, so second derivatives
  come out right with zeros too.
* **a statistic of sorted values is picked out of the input.** ``median``, ``kthvalue``,
  ``quantile``, ``msort`` find *positions* with numpy (no gradient) and then take the
  values at those positions with ``getitem``, whose derivative puts the gradient back
  on exactly the element that was picked, as PyTorch does.
* **one axis at a time, as rows.** An order statistic along ``dim`` moves that axis to
  the end and flattens the rest into rows (``_rows``): shape ``(rows, n)``; the answer
  per row is then shaped back.

NaN sorts as the largest number (as in PyTorch); ``median``/``quantile`` give NaN for a
row holding one, ``nanmedian``/``nanquantile`` ignore them.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from tinygrad_dk import ops, ops_shape
from tinygrad_dk.ops import _axes, _expand_back, pass_where, where
from tinygrad_dk.ops_elementwise import lerp
from tinygrad_dk.ops_gather import gather
from tinygrad_dk.ops_index import _check_axis, _positions
from tinygrad_dk.ops_layout import flip, movedim
from tinygrad_dk.ops_shape import concatenate, getitem, reshape, transpose
from tinygrad_dk.primitive import Primitive, quiet, raw

# --- products ------------------------------------------------------------------------------


def _others_last(x: Any, scan: bool) -> Any:
    """For each position i along the last axis, the product of every factor but x_i:
    a matrix ``M[..., i, j]`` = x_j with the diagonal set to 1, multiplied along j.

    ``scan=False``: the whole product (prod's derivative), shape (..., n);
    ``scan=True``: the running products (cumprod's), shape (..., n_i, n_j).
    Quadratic in n, so used only where a factor is 0 (elsewhere out / x says it).
    """
    n = np.shape(raw(x))[-1]
    m = where(np.eye(n, dtype=bool), 1.0, ops_shape.expand_dims(x, -2))
    return cumprod(m, axis=-1) if scan else prod(m, axis=-1)


def _prod_forward(x: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:
    return np.prod(x, axis=axis, keepdims=keepdims)


def _prod_vjp(g: Any, out: Any, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    # d prod / dx_i = the product of the other factors
    gg = _expand_back(g, x, axis, keepdims)
    if np.ndim(raw(x)) == 0:  # a number: the identity (as PyTorch)
        return gg
    if not (raw(x) == 0).any():
        return gg * (_expand_back(out, x, axis, keepdims) / x)
    # a zero factor: out / x is 0 / 0 there. Multiply the others out along one axis (the
    # reduced axes moved to the end and merged into one)
    shape = np.shape(raw(x))
    axes = _axes(axis, len(shape))
    kept = tuple(a for a in range(len(shape)) if a not in axes)
    rows = reshape(transpose(x, kept + axes), tuple(shape[a] for a in kept) + (
        math.prod(shape[a] for a in axes),))

    def back(r: Any) -> Any:  # rows of the others, in x's shape again
        r = reshape(r, tuple(shape[a] for a in kept + axes))
        return transpose(r, tuple(int(i) for i in np.argsort(kept + axes)))

    if type(rows) is not np.ndarray:  # recorded: differentiable products of the others
        return gg * back(_others_last(rows, scan=False))
    # plain backward: in float64 for float32 input (1e38 * 1e38 * 0 is 0, not inf * 0), and
    # where another factor is 0 the product of the others is exactly 0: it passes nothing,
    # even an infinite g (as PyTorch gives zeros for two zeros in a row)
    wide = rows.astype(np.float64) if rows.dtype == np.float32 else rows
    zero_elsewhere = (np.sum(wide == 0, axis=-1, keepdims=True) - (wide == 0)) > 0
    others = np.where(zero_elsewhere, 0.0, _others_last(wide, scan=False)).astype(rows.dtype)
    return pass_where(~back(zero_elsewhere), gg) * back(others)


prod = Primitive("prod", quiet(_prod_forward), _prod_vjp)

# --- scans ----------------------------------------------------------------------------------


def _reverse_cumsum(g: Any, axis: int) -> Any:
    """sum_{j >= i} g_j: the derivative of a running sum runs backwards."""
    return flip(cumsum(flip(g, axis), axis), axis)


def _running(accumulate: Any) -> Any:
    """A running sum or product that keeps float32's partial results in float64 (as
    PyTorch does on the CPU): 1e38 * 10 * 0.1 stays 1e38 instead of passing through inf."""
    def forward(x: np.ndarray, axis: int) -> np.ndarray:
        if x.dtype.kind == "f" and x.dtype.itemsize < 8:
            return accumulate(x, axis=axis, dtype=np.float64).astype(x.dtype)
        return accumulate(x, axis=axis)

    return quiet(forward)


cumsum = Primitive(
    "cumsum",
    _running(np.cumsum),
    lambda g, out, x, axis: _reverse_cumsum(g, axis),
)


def _cumprod_vjp(g: Any, out: Any, x: Any, axis: int) -> Any:
    # d out_j / dx_i = (product of x_k, k <= j, k != i) for j >= i
    if np.shape(raw(x))[axis] == 1:  # one element per row: the identity (as PyTorch;
        return g  # out / x could overflow on the way)
    if type(g) is np.ndarray and x.dtype == np.float32:  # plain backward of float32: in
        # float64, as the forward (no overflow or underflow of the partial products)
        wide = _cumprod_vjp(g.astype(np.float64), _running(np.cumprod)(x, axis).astype(
            np.float64), x.astype(np.float64), axis)
        return wide.astype(np.float32)
    if not (raw(x) == 0).any():  # = out_j / x_i
        return _reverse_cumsum(g * out, axis) / x
    xl, gl = movedim(x, axis, -1), movedim(g, axis, -1)
    n = np.shape(raw(xl))[-1]
    later = np.triu(np.ones((n, n), dtype=bool))  # [i, j]: j >= i
    if type(gl) is np.ndarray:  # plain backward (nothing to differentiate later)
        # a product of others with a factor 0 in it passes nothing, even an infinite g
        others_have_zero = np.cumsum(np.where(np.eye(n, dtype=bool), 1.0, xl[..., None, :])
                                     == 0, axis=-1) > 0
        later = later & ~others_have_zero
    terms = where(later, ops_shape.expand_dims(gl, -2) * _others_last(xl, scan=True), 0.0)
    return movedim(ops.sum(terms, axis=-1), -1, axis)


cumprod = Primitive("cumprod", _running(np.cumprod), _cumprod_vjp)


def _logcumsumexp_vjp(g: Any, out: Any, x: Any, axis: int) -> Any:
    # d out_j / dx_i = exp(x_i - out_j) for j >= i: never above 1 (out_j >= x_i), so no
    # overflow. An element x_i = -inf adds nothing: its weight is 0 (not exp(-inf + inf)).
    if np.shape(raw(x))[axis] == 1:  # one element per row: the identity
        return g
    xl, gl, ol = (movedim(t, axis, -1) for t in (x, g, out))
    n = np.shape(raw(xl))[-1]
    later = np.triu(np.ones((n, n), dtype=bool)) & (raw(xl) > -np.inf)[..., :, None]
    gap = where(later, ops_shape.expand_dims(xl, -1) - ops_shape.expand_dims(ol, -2), -np.inf)
    weights = ops.exp(gap)
    return movedim(ops.sum(where(later, weights * ops_shape.expand_dims(gl, -2), 0.0), axis=-1),
                   -1, axis)


logcumsumexp = Primitive(
    "logcumsumexp",
    quiet(lambda x, axis: np.logaddexp.accumulate(x, axis=axis) if x.size else x.copy()),
    _logcumsumexp_vjp,
)


def cumulative_extreme(x: Any, axis: Any, largest: bool) -> tuple[Any, Any]:
    """``cummax``/``cummin``: the running max (min) and the position it came from; on a
    tie the later position, as PyTorch. NaN, once seen, is the extreme from then on."""
    op = "cummax" if largest else "cummin"
    data = raw(x)
    if data.ndim == 0:
        return x, _positions(x, np.zeros((), np.int64))
    axis = _check_axis(op, axis, data.ndim)
    running = np.maximum if largest else np.minimum  # (numpy's keep NaN, as PyTorch)
    best = running.accumulate(data, axis=axis) if data.size else data
    here = (data == best) | (np.isnan(data) & np.isnan(best))  # x_i is the running extreme
    steps = np.arange(data.shape[axis]).reshape([-1 if a == axis else 1
                                                 for a in range(data.ndim)])
    picked = np.maximum.accumulate(np.where(here, steps, 0), axis=axis) if data.size else \
        np.zeros(data.shape, np.int64)
    return gather(x, axis, picked), _positions(x, picked)


def diff(x: Any, n: int = 1, axis: int = -1, prepend: Any = None, append: Any = None) -> Any:
    """The n-th difference along ``axis``: out_i = x_{i+1} - x_i, n times; ``prepend`` and
    ``append`` are joined on first (as PyTorch)."""
    nd = np.ndim(raw(x))
    if nd == 0:
        raise ValueError("diff expects a tensor of at least 1 dimension (got a scalar)")
    axis = _check_axis("diff", axis, nd)
    parts = [p for p in (prepend, x, append) if p is not None]
    y = concatenate(parts, axis=axis) if len(parts) > 1 else x
    head = (slice(None),) * axis
    for _ in range(n):
        if np.shape(raw(y))[axis] == 0:
            break
        if raw(y).dtype == np.bool_:  # PyTorch: the difference of bools is "not equal"
            y = type(x)._from_op(raw(y)[head + (slice(1, None),)] != raw(y)[head + (slice(-1),)])
        else:
            y = getitem(y, head + (slice(1, None),)) - getitem(y, head + (slice(-1),))
    return y


# --- sorting and order statistics -----------------------------------------------------------


def order(data: np.ndarray, axis: int, descending: bool = False) -> np.ndarray:
    """The stable sorting permutation along ``axis``, NaN as the largest number."""
    if not descending:
        return np.argsort(data, axis=axis, kind="stable")  # numpy puts NaN last too
    moved = np.moveaxis(data, axis, -1)
    # descending and stable: sort by -x, NaN first, equal values in their original order
    perm = np.lexsort((-moved, ~np.isnan(moved)), axis=-1) if moved.size else np.zeros(
        moved.shape, np.int64)
    return np.moveaxis(perm, -1, axis)


def argsort(x: Any, axis: int = -1, descending: bool = False) -> Any:
    """The positions that sort ``x`` along ``axis`` (int64, no gradient)."""
    data = raw(x)
    if data.ndim == 0:
        return _positions(x, np.zeros((), np.int64))
    return _positions(x, order(data, _check_axis("argsort", axis, data.ndim), descending))


def msort(x: Any) -> Any:
    """x sorted along its first axis (values only; the gradient follows the elements)."""
    data = raw(x)
    if data.ndim == 0:
        return x
    return gather(x, 0, order(data, 0))


def _rows(op: str, x: Any, axis: Any) -> tuple[Any, tuple[int, ...], int | None]:
    """x as a matrix of rows (rows, n): ``axis`` moved last and the others flattened
    (None: one row of everything). Also the rows' shape and the normalised axis."""
    shape = np.shape(raw(x))
    if axis is None:
        return reshape(x, (1, math.prod(shape))), (), None
    axis = _check_axis(op, axis, len(shape))
    if not shape:
        return reshape(x, (1, 1)), (), axis
    rest = shape[:axis] + shape[axis + 1:]
    return reshape(movedim(x, axis, -1), (math.prod(rest), shape[axis])), rest, axis


def _shape_back(r: Any, rest: tuple, axis: int | None, ndim: int, keepdims: bool,
                lead: tuple = ()) -> Any:
    """A per-row result of shape ``lead + (rows,)`` in the shape of the reduction."""
    if axis is None:
        return reshape(r, lead + ((1,) * ndim if keepdims else ()))
    if keepdims and ndim:
        rest = rest[:axis] + (1,) + rest[axis:]
    return reshape(r, lead + rest)


def _pick_rows(x: Any, axis: Any, keepdims: bool, choose: Any, op: str) -> tuple[Any, Any]:
    """``(values, indices)`` of the element each row's ``choose(sorted_rows)`` picks (a
    position into the sorted row), taken out of x so the gradient goes to it."""
    rows, rest, ax = _rows(op, x, axis)
    data = raw(rows)
    if data.shape[1] == 0:
        raise IndexError(f"{op}: the dimension is empty (shape {np.shape(raw(x))}); there is "
                         "no element to pick")
    perm = order(data, 1)
    at = choose(np.take_along_axis(data, perm, axis=1))  # a position per row, into the sort
    picked = perm[np.arange(len(perm)), at]  # the same position in the row itself
    values = _shape_back(getitem(rows, (np.arange(len(perm)), picked)), rest, ax,
                         np.ndim(raw(x)), keepdims)
    return values, _positions(x, np.reshape(picked, np.shape(raw(values))))


def _median_at(ignore_nan: bool) -> Any:
    def at(s: np.ndarray) -> np.ndarray:
        valid = np.sum(~np.isnan(s), axis=1)
        lower = np.maximum(valid - 1, 0) // 2  # the lower of the two middle ones (PyTorch)
        if ignore_nan:
            return lower
        return np.where(valid < s.shape[1], valid, lower)  # a NaN in the row: the first NaN

    return at


def _shared(x: Any, mask: np.ndarray, value: float) -> Any:
    """``value`` (the value of x wherever ``mask`` holds) with the gradient shared evenly
    among those elements, as PyTorch's median() without dim: the max of x where ``mask``
    (the rest filled with -inf; with +inf and min when the value itself is -inf)."""
    if value == -np.inf:
        return ops.min(where(mask, x, np.inf))
    return ops.max(where(mask, x, -np.inf))


def median(x: Any, axis: Any = None, keepdims: bool = False, ignore_nan: bool = False) -> Any:
    """The lower median: without ``axis`` the value (its gradient shared among the elements
    equal to it, as PyTorch), with ``axis`` ``(values, indices)`` (the gradient goes to the
    element at the index)."""
    op = "nanmedian" if ignore_nan else "median"
    if axis is None:
        data = raw(x)
        if data.size == 0:  # PyTorch: nan
            return ops.sum(x) * np.nan
        value = raw(_pick_rows(x, None, False, _median_at(ignore_nan), op)[0])
        mask = (data == value) | (np.isnan(data) & np.isnan(value))
        return _shared(x, mask, float(value))
    return _pick_rows(x, axis, keepdims, _median_at(ignore_nan), op)


def kthvalue(x: Any, k: int, axis: int = -1, keepdims: bool = False) -> tuple[Any, Any]:
    """``(values, indices)`` of the k-th smallest element (k = 1: the smallest) along ``axis``."""
    data = raw(x)
    n = data.shape[_check_axis("kthvalue", axis, data.ndim)] if data.ndim else 1
    if not 1 <= k <= n:
        raise IndexError(f"kthvalue: k={k} is out of range for a dimension of length {n}; "
                         f"k counts from 1 (the smallest) to {n}")
    return _pick_rows(x, axis, keepdims, lambda s: np.full(len(s), k - 1), "kthvalue")


def mode(x: Any, axis: int = -1, keepdims: bool = False) -> tuple[Any, Any]:
    """``(values, indices)`` of the most frequent value along ``axis`` (the smallest of
    equally frequent ones, at its last position, as PyTorch)."""
    rows, rest, ax = _rows("mode", x, axis)
    data = raw(rows)
    if data.shape[1] == 0:
        raise IndexError(f"mode: the dimension is empty (shape {np.shape(raw(x))})")
    picked = np.empty(len(data), np.int64)
    for r, row in enumerate(data):  # one row at a time: clearer than a vectorised count
        values, counts = np.unique(row, return_counts=True)
        best = values[np.argmax(counts)]  # argmax: the first (smallest) of the most frequent
        picked[r] = np.flatnonzero((row == best) | (np.isnan(row) & np.isnan(best)))[-1]
    values = _shape_back(getitem(rows, (np.arange(len(data)), picked)), rest, ax,
                         np.ndim(raw(x)), keepdims)
    return values, _positions(x, np.reshape(picked, np.shape(raw(values))))


INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def quantile(x: Any, q: Any, axis: Any = None, keepdims: bool = False,
             interpolation: str = "linear", ignore_nan: bool = False) -> Any:
    """The q-th quantile along ``axis`` (None: of everything), interpolating between the
    two nearest sorted values; a tensor of q's puts its axis first (as PyTorch)."""
    op = "nanquantile" if ignore_nan else "quantile"
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"{op}: interpolation={interpolation!r} is not one of {INTERPOLATIONS}")
    dtype = raw(x).dtype
    if dtype.kind != "f":
        raise TypeError(f"{op}: the input must be a float tensor (got {dtype}); convert with "
                        ".float()")
    qs = np.asarray(raw(q))
    if qs.ndim > 1:
        raise ValueError(f"{op}: q must be a number or a 1-D tensor (got shape {qs.shape})")
    if qs.size and not ((qs >= 0) & (qs <= 1)).all():
        raise ValueError(f"{op}: q must be in [0, 1] (got {qs.tolist()})")
    if raw(x).size == 0:
        raise IndexError(f"{op}: the input is empty (shape {np.shape(raw(x))}); there is "
                         "nothing to take a quantile of (PyTorch refuses too)")
    rows, rest, ax = _rows(op, x, axis)
    data = raw(rows)
    n = data.shape[1]
    perm = order(data, 1)
    ranked = getitem(rows, (np.arange(len(data))[:, None], perm))  # sorted, NaN last
    valid = np.sum(~np.isnan(data), axis=1) if ignore_nan else np.full(len(data), n)
    # where in the sorted row q falls (in x's dtype, as PyTorch), per q (axis 0) and row
    pos = (qs.reshape(-1, 1).astype(dtype) * (valid - 1).astype(dtype)).clip(0)
    if not ignore_nan:  # a row with NaN: its last sorted element, a NaN (as PyTorch)
        pos = np.where(np.isnan(data).any(axis=1), np.asarray(n - 1, dtype), pos)
    if interpolation == "nearest":
        pos = np.round(pos)  # halves to even, as PyTorch
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(np.ceil(pos).astype(np.int64), n - 1)
    lo = np.minimum(lo, n - 1)
    every = np.arange(len(data))[None, :]
    below, above = getitem(ranked, (every, lo)), getitem(ranked, (every, hi))
    if interpolation in ("lower", "nearest"):
        out = below
    elif interpolation == "higher":
        out = above
    else:
        w = (pos - lo).astype(dtype) if interpolation == "linear" else np.full_like(pos, 0.5)
        out = lerp(below, above, w)  # (1 - w) g and w g back: no inf - inf for an inf g
    out = _shape_back(out, rest, ax, np.ndim(raw(x)), keepdims, lead=(len(qs.reshape(-1)),))
    return reshape(out, np.shape(raw(out))[1:]) if qs.ndim == 0 else out


# --- nan-aware sums and counts --------------------------------------------------------------


def _without_nan(x: Any) -> Any:
    """x with its NaNs replaced by 0 (which then have gradient 0, as PyTorch)."""
    nan = np.isnan(raw(x))
    return where(nan, 0.0, x) if nan.any() else x


def nansum(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """The sum over ``axis``, NaN counted as 0."""
    if raw(x).dtype.kind != "f":
        return ops.sum(x, axis=axis, keepdims=keepdims)
    return ops.sum(_without_nan(x), axis=axis, keepdims=keepdims)


def nanmean(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """The mean over ``axis`` of the elements that are not NaN (NaN where there are none)."""
    if raw(x).dtype.kind != "f":
        raise TypeError(f"nanmean: the input must be a float tensor (got {raw(x).dtype})")
    count = np.sum(~np.isnan(raw(x)), axis=axis, keepdims=keepdims).astype(raw(x).dtype)
    return ops.div(nansum(x, axis, keepdims), count)


def count_nonzero(x: Any, axis: Any = None) -> Any:
    """How many elements (along ``axis``) are not 0: int64, no gradient."""
    data = raw(x)
    axes = _axes(axis, data.ndim) if axis is not None and data.ndim else None
    return _positions(x, np.count_nonzero(data, axis=axes))


class MinMax(NamedTuple):
    """What ``aminmax`` returns, as PyTorch: ``(min, max)``."""

    min: Any
    max: Any


def aminmax(x: Any, axis: Any = None, keepdims: bool = False) -> MinMax:
    """``(min, max)`` over ``axis`` (one int or None) in one call; ties share the gradient."""
    if isinstance(axis, tuple):
        raise TypeError("aminmax: dim must be one int or None (as PyTorch)")
    if axis is not None:
        axis = _check_axis("aminmax", axis, np.ndim(raw(x)))
        axis = axis if np.ndim(raw(x)) else None  # a number: dim 0 or -1 is the number
    return MinMax(ops.min(x, axis=axis, keepdims=keepdims),
                  ops.max(x, axis=axis, keepdims=keepdims))

