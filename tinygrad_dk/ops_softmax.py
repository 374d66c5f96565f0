"""The softmax family: ``softmax``, ``log_softmax`` and ``logsumexp``, stably, with derivatives.

All three work on x minus its maximum along the axis (``_shift``), so ``exp`` never
overflows (logits of 1000) and nothing is rounded away (logits of 1e30 keep their
differences); ``log_softmax`` is computed as ``(x - m) - log sum e^(x - m)`` and never
as ``x - (m + log sum ...)``, which rounds ``m + log(...)`` back to ``m``. The fused
cross-entropy (``ops_nn.softmax_cross_entropy``) uses the same shift.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_dk.ops import _expand_back, _keepdims_shape, exp, sum
from tinygrad_dk.primitive import Primitive, quiet
from tinygrad_dk.tensor_base import constant_vector


def _short_rows(x: np.ndarray, axis: Any) -> bool:
    """True for many short rows reduced along the last axis: (256, 10) class scores.

    numpy reduces such an array one short row at a time, so its ``max(axis=1)`` and
    ``sum(axis=1)`` cost 3-4x more than the same work arranged column-wise (below). For
    long rows numpy's own reduction is the faster one.
    """
    return (x.ndim == 2 and (axis == 1 or axis == -1) and x.shape[1] <= 32
            and x.shape[0] >= 64 and x.dtype.kind == "f")


def _row_max(x: np.ndarray, axis: Any) -> np.ndarray:
    """``x.max(axis, keepdims=True)``; short rows are copied to columns first, so the
    comparison runs down all the rows at once."""
    if _short_rows(x, axis):
        return np.ascontiguousarray(x.T).max(axis=0)[:, None]
    return x.max(axis=axis, keepdims=True)  # the method: np.max's Python wrapper costs 2x more


def _row_sum(e: np.ndarray, axis: Any) -> np.ndarray:
    """``e.sum(axis, keepdims=True)`` for the exponentials of a softmax; short rows are
    summed as a matrix-vector product with ones (one BLAS call)."""
    if _short_rows(e, axis) and e.dtype.itemsize >= 4:  # BLAS has no float16 products
        return (e @ constant_vector(1.0, e.shape[1], e.dtype))[:, None]
    return e.sum(axis=axis, keepdims=True)


def _shift(x: np.ndarray, axis: int | tuple | None) -> np.ndarray:
    """x minus its maximum along ``axis``, so that every exp(x - max) is at most 1.

    Any shift gives the same softmax; the maximum keeps e^1000 from overflowing. A row
    that is all -inf (or empty) is shifted by 0, so it stays -inf instead of nan.
    """
    if x.size == 0:
        return x
    m = _row_max(x, axis)
    return x - np.where(np.isfinite(m), m, 0.0)


def _logsumexp_forward(x: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:
    # log sum e^x = m + log sum e^(x - m), with m the maximum: no overflow for x = 1000.
    if x.size:
        m = np.max(x, axis=axis, keepdims=True)
    else:  # nothing to shift (and keep float32 float32)
        m = np.zeros(_keepdims_shape(x, axis), x.dtype)
    m = np.where(np.isfinite(m), m, 0.0)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)  # drop the kept axes


logsumexp = Primitive(
    "logsumexp",
    quiet(_logsumexp_forward),
    # d/dx_i log sum e^x = e^x_i / sum e^x = softmax(x)_i (computed by the stable softmax)
    lambda g, out, x, axis=None, keepdims=False: _expand_back(g, x, axis, keepdims)
    * softmax(x, axis=axis),
)


def _log_softmax_forward(x: np.ndarray, axis: int = -1) -> np.ndarray:
    # (x - m) - log sum e^(x - m): computed on the shifted numbers, so logits of 1e30
    # keep their differences (x - (m + log s) would round m + log s back to m).
    z = _shift(x, axis)
    return z - np.log(_row_sum(np.exp(z), axis))


log_softmax = Primitive(
    "log_softmax",
    quiet(_log_softmax_forward),
    # y = x - lse(x): dy_j/dx_i = [i = j] - softmax_i, so the vjp is g - softmax * sum(g)
    lambda g, out, x, axis=-1: g - exp(out) * sum(g, axis=axis, keepdims=True),
)


def _softmax_forward(x: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(_shift(x, axis))
    e /= _row_sum(e, axis)  # in place: e is ours
    return e


softmax = Primitive(
    "softmax",
    quiet(_softmax_forward),
    # ds_j/dx_i = s_j ([i = j] - s_i), so the vjp is s * (g - sum(g * s))
    lambda g, out, x, axis=-1: out * (g - sum(g * out, axis=axis, keepdims=True)),
)
