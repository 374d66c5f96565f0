"""The Tensor methods for reductions, scans, order statistics and products, with
PyTorch's signatures (``x.prod(dim=1)``, ``x.cumsum(0)``, ``x.median(dim=0)``,
``a.addmm(b, c, beta=0.5)``) and numpy's ``axis=``/``keepdims=`` alike.

They only translate arguments (``tinygrad_dk.spelling``) and call the operations in
``ops_reduce``, ``ops_linalg`` and ``ops_matrix``; ``Tensor`` lists them by name, and
``tinygrad_dk.toplevel`` makes each one a ``torch.<name>(x, ...)`` function too.
"""

from __future__ import annotations

from typing import Any

from tinygrad_dk import ops, ops_linalg, ops_matrix, ops_reduce, spelling
from tinygrad_dk.spelling import UNSET, ValuesIndices, axis_args


def _dtype(x: Any, dtype: Any) -> Any:
    """x converted first when a ``dtype=`` is given (PyTorch's prod/sum/cumsum argument)."""
    return x if dtype is None else x.to(dtype)


def _scan_axis(op: str, x: Any, dim: Any, axis: Any, wrong: dict) -> tuple[Any, int]:
    """The one axis of a scan: PyTorch requires ``dim``; numpy's ``axis=None`` flattens."""
    if wrong:
        raise spelling.reject(op, wrong, ("dim", "axis", "dtype"))
    if axis is None and dim is None:  # numpy's spelling of "the flattened array"
        return x.reshape(-1), 0
    dim, _ = axis_args(op, dim, None, axis, UNSET)
    if dim is None:
        raise TypeError(f"{op}() needs dim (the axis to run along), as in PyTorch: x.{op}(dim=0)")
    return x, int(dim)


def prod(self: Any, dim: Any = None, keepdim: bool | None = None, *, dtype: Any = None,
         axis: Any = UNSET, keepdims: Any = UNSET, **wrong: Any) -> Any:
    """The product over ``dim`` (None: everything); gradient right with zeros too."""
    axis, keepdims = axis_args("prod", dim, keepdim, axis, keepdims, wrong)
    return ops_reduce.prod(_dtype(self, dtype), axis=axis, keepdims=keepdims)


def _scan(op: Any, name: str, doc: str) -> Any:
    def method(self: Any, dim: Any = None, *, dtype: Any = None, axis: Any = UNSET,
               **wrong: Any) -> Any:
        x, d = _scan_axis(name, _dtype(self, dtype), dim, axis, wrong)
        if x.ndim == 0:
            return op(x.reshape(1), axis=0).reshape(())
        return op(x, axis=d % x.ndim if -x.ndim <= d < x.ndim else d)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = doc
    return method


cumsum = _scan(ops_reduce.cumsum, "cumsum", "Running sums along ``dim``.")
cumprod = _scan(ops_reduce.cumprod, "cumprod",
                "Running products along ``dim`` (gradient right with zeros too).")
logcumsumexp = _scan(ops_reduce.logcumsumexp, "logcumsumexp",
                     "log(cumsum(exp(x))) along ``dim``, computed stably.")


def cummax(self: Any, dim: Any = None, *, axis: Any = UNSET, **wrong: Any) -> ValuesIndices:
    """``(values, indices)`` of the running maximum along ``dim``."""
    x, d = _scan_axis("cummax", self, dim, axis, wrong)
    return ValuesIndices(*ops_reduce.cumulative_extreme(x, d, True))


def cummin(self: Any, dim: Any = None, *, axis: Any = UNSET, **wrong: Any) -> ValuesIndices:
    """``(values, indices)`` of the running minimum along ``dim``."""
    x, d = _scan_axis("cummin", self, dim, axis, wrong)
    return ValuesIndices(*ops_reduce.cumulative_extreme(x, d, False))


def diff(self: Any, n: int = 1, dim: int = -1, prepend: Any = None, append: Any = None, *,
         axis: Any = UNSET) -> Any:
    """The n-th forward difference x[i+1] - x[i] along ``dim``."""
    d, _ = axis_args("diff", None if axis is not UNSET else dim, None, axis, UNSET)
    return ops_reduce.diff(self, n, d, prepend, append)


def argsort(self: Any, dim: int = -1, descending: bool = False, stable: bool = False, *,
            axis: Any = UNSET) -> Any:
    """The positions that sort ``dim`` (always stable here: equal values keep their order)."""
    d, _ = axis_args("argsort", None if axis is not UNSET else dim, None, axis, UNSET)
    return ops_reduce.argsort(self, d, descending)


def msort(self: Any) -> Any:
    """Sorted along the first axis (values)."""
    return ops_reduce.msort(self)


def _median(name: str, ignore_nan: bool) -> Any:
    def method(self: Any, dim: Any = None, keepdim: bool | None = None, *, axis: Any = UNSET,
               keepdims: Any = UNSET, **wrong: Any) -> Any:
        axis, keepdims = axis_args(name, dim, keepdim, axis, keepdims, wrong)
        out = ops_reduce.median(self, axis, keepdims, ignore_nan)
        return out if axis is None else ValuesIndices(*out)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = ("The lower median (" + ("NaN ignored" if ignore_nan else "NaN if any")
                      + "); with ``dim``: ``(values, indices)``.")
    return method


median = _median("median", False)
nanmedian = _median("nanmedian", True)


def kthvalue(self: Any, k: int, dim: int = -1, keepdim: bool = False) -> ValuesIndices:
    """``(values, indices)`` of the k-th smallest element along ``dim`` (k from 1)."""
    return ValuesIndices(*ops_reduce.kthvalue(self, k, dim, keepdim))


def mode(self: Any, dim: int = -1, keepdim: bool = False) -> ValuesIndices:
    """``(values, indices)`` of the most frequent value along ``dim``."""
    return ValuesIndices(*ops_reduce.mode(self, dim, keepdim))


def _quantile(name: str, ignore_nan: bool) -> Any:
    def method(self: Any, q: Any, dim: Any = None, keepdim: bool | None = None, *,
               interpolation: str = "linear", axis: Any = UNSET, keepdims: Any = UNSET,
               **wrong: Any) -> Any:
        axis, keepdims = axis_args(name, dim, keepdim, axis, keepdims, wrong)
        return ops_reduce.quantile(self, q, axis, keepdims, interpolation, ignore_nan)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = ("The q-th quantile along ``dim`` (q a number or a 1-D tensor in [0, 1])"
                      + (", NaN ignored." if ignore_nan else "; NaN if the row holds one."))
    return method


quantile = _quantile("quantile", False)
nanquantile = _quantile("nanquantile", True)


def aminmax(self: Any, *, dim: Any = None, keepdim: bool | None = None, axis: Any = UNSET,
            keepdims: Any = UNSET, **wrong: Any) -> ops_reduce.MinMax:
    """``(min, max)`` over ``dim`` (None: everything)."""
    axis, keepdims = axis_args("aminmax", dim, keepdim, axis, keepdims, wrong)
    return ops_reduce.aminmax(self, axis, keepdims)


def nansum(self: Any, dim: Any = None, keepdim: bool | None = None, *, dtype: Any = None,
           axis: Any = UNSET, keepdims: Any = UNSET, **wrong: Any) -> Any:
    """The sum over ``dim``, NaN counted as 0."""
    axis, keepdims = axis_args("nansum", dim, keepdim, axis, keepdims, wrong)
    return ops_reduce.nansum(_dtype(self, dtype), axis, keepdims)


def nanmean(self: Any, dim: Any = None, keepdim: bool | None = None, *, dtype: Any = None,
            axis: Any = UNSET, keepdims: Any = UNSET, **wrong: Any) -> Any:
    """The mean over ``dim`` of the elements that are not NaN."""
    axis, keepdims = axis_args("nanmean", dim, keepdim, axis, keepdims, wrong)
    return ops_reduce.nanmean(_dtype(self, dtype), axis, keepdims)


def count_nonzero(self: Any, dim: Any = None, *, axis: Any = UNSET, **wrong: Any) -> Any:
    """How many elements along ``dim`` (None: all) are not 0."""
    axis, _ = axis_args("count_nonzero", dim, None, axis, UNSET, wrong)
    return ops_reduce.count_nonzero(self, axis)


def _with_mean(name: str, op: Any) -> Any:
    def method(self: Any, dim: Any = None, unbiased: bool | None = None,
               keepdim: bool | None = None, *, correction: int | None = None,
               axis: Any = UNSET, ddof: int | None = None, keepdims: Any = UNSET,
               **wrong: Any) -> tuple[Any, Any]:
        axis, keepdims, ddof = spelling.var_args(name, self.shape, dim, unbiased, keepdim,
                                                 correction, axis, ddof, keepdims, wrong)
        return (op(self, axis=axis, keepdims=keepdims, ddof=ddof),
                ops.mean(self, axis=axis, keepdims=keepdims))

    method.__name__ = method.__qualname__ = name
    method.__doc__ = (f"``({name.split('_')[0]}, mean)`` in one call, with ``var``'s "
                      "arguments (correction=1 by default, as PyTorch).")
    return method


std_mean = _with_mean("std_mean", ops.std)
var_mean = _with_mean("var_mean", ops.var)

# --- products ---------------------------------------------------------------------------------


def dot(self: Any, other: Any) -> Any:
    """The dot product of two vectors."""
    return ops_linalg.dot(self, other)


vdot = dot  # (for real numbers the same)


def inner(self: Any, other: Any) -> Any:
    """Sum over the last axes of both."""
    return ops_linalg.inner(self, other)


def outer(self: Any, vec2: Any) -> Any:
    """The outer product of two vectors."""
    return ops_linalg.outer(self, vec2)


ger = outer


def mv(self: Any, vec: Any) -> Any:
    """Matrix times vector."""
    return ops_linalg.mv(self, vec)


def bmm(self: Any, mat2: Any) -> Any:
    """Batched matrix product (b, n, k) @ (b, k, m)."""
    return ops_linalg.bmm(self, mat2)


def addmm(self: Any, mat1: Any, mat2: Any, *, beta: float = 1, alpha: float = 1) -> Any:
    """beta * self + alpha * (mat1 @ mat2)."""
    return ops_linalg.addmm(self, mat1, mat2, beta, alpha)


def addmv(self: Any, mat: Any, vec: Any, *, beta: float = 1, alpha: float = 1) -> Any:
    """beta * self + alpha * (mat @ vec)."""
    return ops_linalg.addmv(self, mat, vec, beta, alpha)


def baddbmm(self: Any, batch1: Any, batch2: Any, *, beta: float = 1, alpha: float = 1) -> Any:
    """beta * self + alpha * bmm(batch1, batch2)."""
    return ops_linalg.baddbmm(self, batch1, batch2, beta, alpha)


def kron(self: Any, other: Any) -> Any:
    """The Kronecker product."""
    return ops_linalg.kron(self, other)


def cross(self: Any, other: Any, dim: Any = None) -> Any:
    """The cross product of 3-vectors along ``dim`` (default: the first axis of length 3)."""
    return ops_linalg.cross(self, other, dim)


def trace(self: Any) -> Any:
    """The sum of the diagonal of a matrix."""
    return ops_linalg.trace(self)


def dist(self: Any, other: Any, p: float = 2) -> Any:
    """The p-norm of self - other."""
    return ops_linalg.dist(self, other, p)


def inverse(self: Any) -> Any:
    """The inverse matrix (``torch.linalg.inv``)."""
    return ops_matrix.inv(self)


def det(self: Any) -> Any:
    """The determinant (``torch.linalg.det``)."""
    return ops_matrix.det(self)

