"""Matrix functions with PyTorch's ``torch.linalg`` names: ``inv``, ``det``, ``slogdet``,
``solve`` and the matrix norms (``tinygrad_dk.linalg`` collects them for users).

Their derivatives come from matrix identities, written with the same functions, so
they can be differentiated again:

* ``d inv(A) = -inv(A) dA inv(A)``: the gradient is ``-inv(A)^T g inv(A)^T``;
* ``d det(A) = tr(adj(A) dA)``: the gradient is the matrix of cofactors, which is
  ``det(A) inv(A)^T`` for a matrix far from singular and the minors' determinants
  otherwise (at a singular matrix det * inv is 0 * inf, while the cofactors are fine);
* ``X = solve(A, B)``: ``gB = solve(A^T, g)`` and ``gA = -gB X^T``.

A singular matrix has no inverse: ``inv`` and ``solve`` say so in a ValueError (numpy's
LU finds the zero pivot), never return silent garbage for it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_dk import ops, ops_math
from tinygrad_dk.ops import where
from tinygrad_dk.ops_layout import movedim, mT
from tinygrad_dk.ops_linalg import vector_norm
from tinygrad_dk.ops_shape import broadcast_to, expand_dims, getitem, reshape
from tinygrad_dk.primitive import Primitive, quiet, raw


def _square(op: str, a: Any) -> np.ndarray:
    shape = np.shape(raw(a))
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise ValueError(f"{op}: expected a square matrix or a batch of them (..., n, n), got "
                         f"shape {shape}")
    if raw(a).dtype.kind != "f":
        raise TypeError(f"{op}: expected a float tensor, got {raw(a).dtype}; use .float()")
    return raw(a)


def _singular(op: str) -> ValueError:
    return ValueError(f"{op}: the matrix is singular (its determinant is 0), so it has no "
                      "inverse; check for linearly dependent rows, or use linalg.pinv")


def _inv_forward(a: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.inv(a)
    except np.linalg.LinAlgError:
        raise _singular("inv") from None


# d inv(A) = -inv(A) dA inv(A): the gradient is -inv(A)^T g inv(A)^T
_inv = Primitive("inv", _inv_forward, lambda g, out, a: -(mT(out) @ g @ mT(out)))


def inv(a: Any) -> Any:
    """The inverse of a square matrix (or of each in a batch); a singular one is an error."""
    _square("inv", a)
    return _inv(a)


def _cofactors(a: Any) -> Any:
    """The matrix of cofactors C (d det(A) / dA = C), from the minors' determinants: right
    for singular matrices too, where det(A) inv(A)^T is 0 * inf."""
    n = np.shape(raw(a))[-1]
    if n == 1:
        return where(np.ones(np.shape(raw(a)), bool), 1.0, a * 0.0)
    keep = np.array([[k for k in range(n) if k != i] for i in range(n)])  # (n, n-1)
    rows, cols = keep[:, None, :, None], keep[None, :, None, :]
    minors = getitem(a, (Ellipsis, rows, cols))  # (..., n, n, n-1, n-1): row i, col j out
    signs = (-1.0) ** np.add.outer(np.arange(n), np.arange(n))
    return det(minors) * signs.astype(raw(a).dtype)


def _far_from_singular(a: np.ndarray, d: np.ndarray) -> bool:
    """Whether every |det| is well above its rounding error, relative to Hadamard's bound
    (the product of the row lengths, which |det| never exceeds): then det * inv(A)^T is
    accurate. A matrix that is singular in exact arithmetic (integers, u u^T) has a
    computed det of rounding size, and its inverse is noise."""
    bound = np.prod(np.linalg.norm(a, axis=-1), axis=-1)
    eps = np.finfo(a.dtype).eps
    return bool(np.all(np.isfinite(d) & (np.abs(d) > 1e3 * eps * bound)))


def _det_vjp(g: Any, out: Any, a: Any) -> Any:
    gg = expand_dims(expand_dims(g, -1), -1)
    n = np.shape(raw(a))[-1]
    if n == 0:  # det of a 0 x 0 matrix is the constant 1
        return gg * a
    if n > 3 and _far_from_singular(raw(a), raw(out)):
        return gg * (expand_dims(expand_dims(out, -1), -1) * mT(inv(a)))
    # small (cofactors are cheap and exact) or near singular (det * inv is noise)
    return gg * _cofactors(a)


_det = Primitive("det", quiet(lambda a: np.asarray(np.linalg.det(a))), _det_vjp)


def det(a: Any) -> Any:
    """The determinant of a square matrix (or of each in a batch)."""
    _square("det", a)
    return _det(a)


def _logabsdet_vjp(g: Any, out: Any, a: Any) -> Any:
    if np.isneginf(raw(out)).any():
        raise _singular("slogdet's gradient")
    return expand_dims(expand_dims(g, -1), -1) * mT(inv(a))


_logabsdet = Primitive("logabsdet", quiet(lambda a: np.asarray(np.linalg.slogdet(a)[1])),
                       _logabsdet_vjp)


def slogdet(a: Any) -> tuple[Any, Any]:
    """``(sign, logabsdet)``: det(A) = sign * exp(logabsdet), without over- or underflow."""
    data = _square("slogdet", a)
    sign = type(a)._from_op(np.asarray(np.linalg.slogdet(data)[0]))
    return sign, _logabsdet(a)


def _solve_forward(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(a, b)
    except np.linalg.LinAlgError:
        raise _singular("solve") from None


def _solve_vjp_b(g: Any, out: Any, a: Any, b: Any) -> Any:
    return _solve(mT(a), g)


_solve = Primitive("solve", quiet(_solve_forward),
                   lambda g, out, a, b: -(_solve_vjp_b(g, out, a, b) @ mT(out)),
                   _solve_vjp_b)


def solve(a: Any, b: Any, left: bool = True) -> Any:
    """X with A X = B (a vector b of shape (..., n) gives a vector), without forming inv(A)."""
    if not left:
        raise ValueError("solve: left=False (X A = B) is not supported; solve A^T X^T = B^T")
    _square("solve", a)
    sa, sb = np.shape(raw(a)), np.shape(raw(b))
    vector = len(sb) == 1 or (len(sb) == len(sa) - 1 and sb == sa[:-1])
    if (sb[-1] if vector else sb[-2] if len(sb) > 1 else None) != sa[-1]:
        raise ValueError(f"solve: A of shape {sa} and B of shape {sb} do not fit: B needs "
                         f"{sa[-1]} rows")
    if vector:
        return getitem(_solve(a, expand_dims(b, -1)), (Ellipsis, 0))
    shape = np.broadcast_shapes(sa[:-2], sb[:-2])
    return _solve(broadcast_to(a, shape + sa[-2:]), broadcast_to(b, shape + sb[-2:]))


def matrix_norm(a: Any, ord: Any = "fro", axis: Any = (-2, -1),  # noqa: A002
                keepdims: bool = False) -> Any:
    """A matrix norm over the two axes ``axis``: 'fro' (Euclidean over all elements),
    1 / -1 (largest / smallest column sum of |a|), inf / -inf (the same over rows)."""
    nd = np.ndim(raw(a))
    if nd < 2 or len(axis) != 2:
        raise ValueError(f"matrix_norm: needs a matrix (..., m, n) and two dims, got shape "
                         f"{np.shape(raw(a))} and dim={axis}")
    r, c = (d % nd for d in axis)
    if ord == "fro":
        return ops_math.norm(a, 2, (r, c), keepdims)
    if ord in (1, -1, np.inf, -np.inf):
        summed, other = (r, c) if abs(ord) == 1 else (c, r)
        sums = ops.sum(ops.abs(a), axis=summed, keepdims=True)
        out = (ops.max if ord > 0 else ops.min)(sums, axis=other, keepdims=True)
        return out if keepdims else reshape(out, tuple(
            n for i, n in enumerate(np.shape(raw(out))) if i not in (r, c)))
    if ord in (2, -2, "nuc"):  # from the singular values (linalg2: tinygrad_dk.ops_decomp)
        from tinygrad_dk.ops_decomp import svdvals  # (ops_decomp imports this module)
        s = svdvals(movedim(a, (r, c), (-2, -1)))
        out = ops.sum(s, axis=-1) if ord == "nuc" else (ops.max if ord == 2 else ops.min)(
            s, axis=-1)
        return expand_dims(expand_dims(out, min(r, c)), max(r, c)) if keepdims else out
    raise ValueError(f"matrix_norm: ord={ord!r} is not supported; use 'fro', 'nuc', 2, -2, 1, "
                     "-1, inf or -inf")


def norm(a: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A002
    """``torch.linalg.norm``: a vector norm (1-D, or an int dim) or a matrix norm (2-D,
    or two dims); without ord and dim the Euclidean norm of all elements."""
    nd = np.ndim(raw(a))
    if isinstance(axis, (int, np.integer)):
        axis = (int(axis),)
    if axis is None and ord is not None:
        if nd not in (1, 2):
            raise ValueError(f"linalg.norm: with ord={ord!r} and no dim the input must be 1-D "
                             f"or 2-D, got shape {np.shape(raw(a))}; give dim")
        axis = tuple(range(nd))
    if axis is not None and len(axis) > 2:
        raise ValueError(f"linalg.norm: dim={axis} names more than 2 dims; use "
                         "linalg.vector_norm for a norm over several dims")
    if axis is not None and len(axis) == 2:
        return matrix_norm(a, "fro" if ord is None else ord, axis, keepdims)
    return vector_norm(a, 2 if ord is None else ord, axis if axis is None else axis[0],
                       keepdims)

