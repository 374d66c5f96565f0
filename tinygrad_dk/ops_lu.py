"""LU factorisation with partial pivoting and the triangular solves built on it:
``solve_triangular``, ``lu_factor``, ``lu`` (P, L, U), ``lu_solve`` (``tinygrad_dk.linalg``
gives them PyTorch's arguments and result types).

**The algorithm** (numpy has no LU of its own, so here it is, for a whole batch at once):
for each column j, swap the row with the largest |value| at or below the diagonal into
row j (partial pivoting: it keeps every multiplier <= 1, so rounding errors stay small),
divide the entries below the pivot by it (these multipliers are L's column j), and
subtract multiplier * pivot row from every row below (the Schur complement: what is
left to factorise). The result is P^T A = L U, L unit lower triangular, U upper, stored
as LAPACK does: one matrix holding L below the diagonal and U on and above it, and the
row swaps as 1-based ``pivots`` (row j was swapped with row pivots[j] at step j).

**Several results, one Primitive** (as in ``ops_decomp``): the forward packs the LU matrix
and the pivots (as one extra row) into one array; the caller slices them apart.

**The derivative** (square A = P L U): with gL, gU the gradients of L and U,
gA = P L^-T (tril(L^T gL, -1) + triu(gU U^T)) U^-T. A wide or tall A reduces to the
square case on its first k = min(m, n) columns or rows (see ``_lu_vjp``). It is written
with ``solve_triangular``, itself a composition of differentiable ops, so second
derivatives work.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_dk import ops
from tinygrad_dk.ops import where
from tinygrad_dk.ops_decomp import check_matrix
from tinygrad_dk.ops_layout import mT, tril, triu
from tinygrad_dk.ops_matrix import solve
from tinygrad_dk.ops_shape import broadcast_to, concatenate, getitem
from tinygrad_dk.primitive import Primitive, quiet, raw

# --- triangular solves ----------------------------------------------------------------------


def _triangle(a: Any, upper: bool, unitriangular: bool) -> Any:
    """The triangle of A that a triangular solve reads (the other entries count as 0; with
    ``unitriangular`` the diagonal counts as 1 and gets no gradient)."""
    t = triu(a) if upper else tril(a)
    if unitriangular:
        t = where(np.eye(np.shape(raw(a))[-1], dtype=bool), 1.0, t)
    return t


def solve_triangular(a: Any, b: Any, upper: bool, left: bool = True,
                     unitriangular: bool = False) -> Any:
    """X with T X = B (``left=False``: X T = B), T the upper or lower triangle of A.

    A composition (triangle, then ``solve``), so its derivative is solve's, restricted to
    the triangle: no new derivative rule. A zero on the diagonal is a ValueError.
    """
    sa, sb = np.shape(raw(a)), np.shape(raw(b))
    if len(sa) < 2 or sa[-1] != sa[-2]:
        raise ValueError(f"solve_triangular: A must be a square matrix or a batch of them "
                         f"(..., n, n), got shape {sa}")
    if len(sb) < 2:
        raise ValueError(f"solve_triangular: B must be a matrix or a batch of them (..., n, k), "
                         f"got shape {sb}; for a vector b use b.unsqueeze(-1)")
    n = sa[-1]
    if (sb[-2] if left else sb[-1]) != n:
        side = "rows" if left else "columns"
        raise ValueError(f"solve_triangular: A of shape {sa} and B of shape {sb} do not fit: B "
                         f"needs {n} {side} (left={left})")
    t = _triangle(a, upper, unitriangular)
    lead = np.broadcast_shapes(sa[:-2], sb[:-2])
    t, b = broadcast_to(t, lead + sa[-2:]), broadcast_to(b, lead + sb[-2:])
    if left:
        return solve(t, b)
    # X T = B is T^T X^T = B^T
    return mT(solve(mT(t), mT(b)))


# --- the factorisation ----------------------------------------------------------------------


def _factorise(a: np.ndarray, pivot: bool) -> tuple[np.ndarray, np.ndarray]:
    """(LU, pivots) of every matrix in the batch, pivots 0-based (see the module)."""
    m, n = a.shape[-2:]
    k = min(m, n)
    count = int(np.prod(a.shape[:-2]))  # not reshape(-1, ...): an empty matrix has no -1
    lu = np.array(a.reshape(count, m, n), dtype=a.dtype)  # a copy, one matrix per batch entry
    batch = np.arange(count)
    pivots = np.tile(np.arange(k), (lu.shape[0], 1))
    for j in range(k):
        if pivot:  # bring the largest |value| of column j (at or below row j) to row j
            p = j + np.argmax(np.abs(lu[:, j:, j]), axis=1)
            pivots[:, j] = p
            row_j, row_p = lu[batch, j].copy(), lu[batch, p].copy()
            lu[batch, j], lu[batch, p] = row_p, row_j
        d = lu[:, j, j]
        if not pivot and np.any((d == 0) & np.any(lu[:, j + 1:, j] != 0, axis=1)):
            raise ValueError(f"lu_factor: pivot=False met a 0 pivot at row {j} (a nonzero "
                             "below it); use pivot=True")
        # a 0 pivot with zeros below (a singular A): nothing to eliminate, as LAPACK
        lu[:, j + 1:, j] /= np.where(d == 0, 1, d)[:, None]
        lu[:, j + 1:, j + 1:] -= lu[:, j + 1:, j:j + 1] * lu[:, j:j + 1, j + 1:]
    lead = a.shape[:-2]
    return lu.reshape(lead + (m, n)), pivots.reshape(lead + (k,))


def _lu_forward(a: np.ndarray, pivot: bool) -> np.ndarray:
    """[LU; pivots] stacked by rows: shape (..., m + 1, n), the pivots 0-based floats."""
    lu, pivots = _factorise(a, pivot)
    m, k = a.shape[-2], pivots.shape[-1]
    packed = np.zeros(a.shape[:-2] + (m + 1,) + a.shape[-1:], a.dtype)
    packed[..., :m, :] = lu
    packed[..., m, :k] = pivots
    return packed


def permutation(pivots: np.ndarray, m: int, dtype: Any) -> np.ndarray:
    """The matrix P (A = P L U) of 1-based LAPACK ``pivots`` (..., k), as a constant."""
    pivots = np.asarray(pivots).astype(np.int64) - 1
    count = int(np.prod(pivots.shape[:-1]))  # not reshape(-1, ...): k may be 0
    flat = pivots.reshape(count, pivots.shape[-1])
    batch = np.arange(count)
    perm = np.tile(np.arange(m), (flat.shape[0], 1))  # row i of P^T A is row perm[i] of A
    for j in range(flat.shape[1]):  # replay the swaps in order
        p = flat[:, j]
        perm_j, perm_p = perm[batch, j].copy(), perm[batch, p].copy()
        perm[batch, j], perm[batch, p] = perm_p, perm_j
    pt = np.eye(m, dtype=dtype)[perm]  # P^T: its row i is e_perm[i]
    return np.swapaxes(pt, -1, -2).reshape(pivots.shape[:-1] + (m, m))


def unpack(lu: Any, k: int) -> tuple[Any, Any]:
    """(L, U) of a packed LU matrix: L (m, k) unit lower, U (k, n) upper."""
    m = np.shape(raw(lu))[-2]
    low = getitem(lu, (Ellipsis, slice(None), slice(0, k)))
    low = where(np.eye(m, k, dtype=bool), 1.0, tril(low, -1))
    return low, triu(getitem(lu, (Ellipsis, slice(0, k), slice(None))))


def _square_grad(low: Any, up: Any, g_low: Any, g_up: Any) -> Any:
    """The gradient of B = L U (square) from those of L and U:
    L^-T (tril(L^T gL, -1) + triu(gU U^T)) U^-T."""
    phi = tril(mT(low) @ g_low, -1) + triu(g_up @ mT(up))
    x = solve_triangular(mT(low), phi, upper=True, unitriangular=True)
    return solve_triangular(mT(up), x, upper=False, left=False)


def _lu_vjp(g: Any, out: Any, a: Any, pivot: bool) -> Any:
    m, n = np.shape(raw(a))[-2:]
    k = min(m, n)
    lu, g_lu = (getitem(x, (Ellipsis, slice(0, m), slice(None))) for x in (out, g))
    low, up = unpack(lu, k)
    g_low = tril(getitem(g_lu, (Ellipsis, slice(None), slice(0, k))), -1)
    g_up = triu(getitem(g_lu, (Ellipsis, slice(0, k), slice(None))))
    first, rest = slice(0, k), slice(k, None)
    if m < n:  # wide: A = P L [U1 U2]; U2 = L^-1 P^T A2 adds to gA2 and, through L, to gL
        up1, up2 = (getitem(up, (Ellipsis, slice(None), s)) for s in (first, rest))
        g_up1, g_up2 = (getitem(g_up, (Ellipsis, slice(None), s)) for s in (first, rest))
        g_b2 = solve_triangular(mT(low), g_up2, upper=True, unitriangular=True)
        g_b1 = _square_grad(low, up1, g_low - g_b2 @ mT(up2), g_up1)
        g_b = concatenate([g_b1, g_b2], axis=-1)
    elif m > n:  # tall: P^T A = [L1; L2] U; L2 = B2 U^-1 adds to gB2 and, through U, to gU
        low1, low2 = (getitem(low, (Ellipsis, s, slice(None))) for s in (first, rest))
        g_low1, g_low2 = (getitem(g_low, (Ellipsis, s, slice(None))) for s in (first, rest))
        g_b2 = solve_triangular(mT(up), g_low2, upper=False, left=False)  # gL2 U^-T
        g_b1 = _square_grad(low1, up, g_low1, g_up - mT(low2) @ g_b2)
        g_b = concatenate([g_b1, g_b2], axis=-2)
    else:
        g_b = _square_grad(low, up, g_low, g_up)
    pivots = raw(out)[..., m, :k] + 1
    # B = P^T A, so gA = P gB
    return ops.matmul(permutation(pivots, m, raw(a).dtype), g_b)


_lu = Primitive("lu_factor", quiet(_lu_forward), _lu_vjp)


def _constant(like: Any, data: np.ndarray) -> Any:
    """``data`` as a Tensor of ``like``'s class outside the graph (an array for an array)."""
    return type(like)._from_op(data) if hasattr(type(like), "_from_op") else data


def lu_factor_ex(a: Any, pivot: bool = True) -> tuple[Any, Any, Any]:
    """(LU, pivots, info): LU holds L (unit diagonal, not stored) and U; pivots are 1-based
    int32 row swaps; info is 0, or i where U[i-1, i-1] is 0 (A is singular)."""
    data = check_matrix("lu_factor", a)
    m, n = data.shape[-2:]
    k = min(m, n)
    packed = _lu(a, pivot=pivot)
    lu = getitem(packed, (Ellipsis, slice(0, m), slice(None)))
    pivots = raw(packed)[..., m, :k].astype(np.int32) + 1
    zero = np.diagonal(raw(lu), axis1=-2, axis2=-1) == 0
    first = np.argmax(zero, -1) if k else np.zeros(zero.shape[:-1], np.int64)  # k = 0: none
    info = np.where(zero.any(-1), first + 1, 0).astype(np.int32)
    return lu, _constant(lu, pivots), _constant(lu, info)


def check_info(info: Any) -> None:
    """A ValueError if ``lu_factor_ex``'s info reports a singular matrix (as PyTorch, since
    ``lu_solve`` would divide by the zero on U's diagonal)."""
    bad = np.asarray(raw(info))
    if bad.any():
        i = int(bad[bad > 0].flat[0]) - 1
        raise ValueError(f"lu_factor: U[{i}, {i}] is 0: the matrix is singular, and lu_solve "
                         "would divide by 0; use linalg.lu or lu_factor_ex to factorise it "
                         "anyway, or linalg.lstsq / pinv to solve")


def lu_factor(a: Any, pivot: bool = True) -> tuple[Any, Any]:
    """(LU, pivots) as ``lu_factor_ex``; a singular A is a ValueError (``check_info``)."""
    lu, pivots, info = lu_factor_ex(a, pivot)
    check_info(info)
    return lu, pivots


def lu(a: Any, pivot: bool = True) -> tuple[Any, Any, Any]:
    """(P, L, U) with A = P L U: P a permutation matrix, L (m, k) unit lower triangular,
    U (k, n) upper triangular, k = min(m, n). Singular matrices are fine here."""
    lu_, pivots, _ = lu_factor_ex(a, pivot)
    return lu_unpack(lu_, pivots)


def lu_unpack(lu_data: Any, pivots: Any, unpack_data: bool = True,
              unpack_pivots: bool = True) -> tuple[Any, Any, Any]:
    """(P, L, U) from ``lu_factor``'s (LU, pivots); as PyTorch, a part not asked for
    (``unpack_data=False``: L and U; ``unpack_pivots=False``: P) is an empty tensor."""
    m, n = np.shape(raw(lu_data))[-2:]
    dtype = raw(lu_data).dtype
    empty = _constant(lu_data, np.zeros((0,), dtype))
    p = _constant(lu_data, permutation(raw(pivots), m, dtype)) if unpack_pivots else empty
    low, up = unpack(lu_data, min(m, n)) if unpack_data else (empty, empty)
    return p, low, up


def lu_solve(lu_data: Any, pivots: Any, b: Any, left: bool = True,
             adjoint: bool = False) -> Any:
    """X with A X = B (``adjoint``: A^T X = B; ``left=False``: X A = B or X A^T = B) from
    A's factorisation A = P L U: two triangular solves and a row permutation."""
    sa = np.shape(raw(lu_data))
    if len(sa) < 2 or sa[-1] != sa[-2]:
        raise ValueError(f"lu_solve: LU must be the factorisation of a square matrix (..., n, "
                         f"n), got shape {sa}")
    if not left:  # X A = B  <=>  A^T X^T = B^T
        return mT(lu_solve(lu_data, pivots, mT(b), True, not adjoint))
    p = permutation(raw(pivots), sa[-1], raw(lu_data).dtype)
    if adjoint:  # U^T L^T P^T X = B: X = P L^-T U^-T B
        y = solve_triangular(mT(lu_data), b, upper=False)  # reads U^T, the lower triangle
        return ops.matmul(p, solve_triangular(mT(lu_data), y, upper=True, unitriangular=True))
    y = solve_triangular(lu_data, ops.matmul(np.swapaxes(p, -1, -2), b), upper=False,
                         unitriangular=True)
    return solve_triangular(lu_data, y, upper=True)


__all__ = ["solve_triangular", "lu_factor", "lu_factor_ex", "lu", "lu_unpack",
           "lu_solve", "permutation", "unpack"]
