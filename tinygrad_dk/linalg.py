"""``torch.linalg`` here: ``import tinygrad_dk as torch; torch.linalg.norm(x)``.

Norms, inverse, determinant and linear solves, with PyTorch's names and arguments
(``ord=``, ``dim=``, ``keepdim=``). The operations and their derivatives are in
``tinygrad_dk.ops_matrix`` and ``ops_linalg``; this module only takes PyTorch's arguments.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from tinygrad_dk import ops, ops_decomp, ops_layout, ops_linalg, ops_matrix
from tinygrad_dk.ops import where
from tinygrad_dk.ops_matrix import det, inv, solve
from tinygrad_dk.primitive import raw
from tinygrad_dk.spelling import UNSET, axis_args


def vector_norm(x: Any, ord: Any = 2, dim: Any = None, keepdim: bool = False, *,  # noqa: A002
                dtype: Any = None, axis: Any = UNSET, keepdims: Any = UNSET) -> Any:
    """The vector ord-norm over ``dim`` (None: all elements): 2, 1, inf, -inf, 0, p > 0."""
    dim, keepdim = axis_args("vector_norm", dim, keepdim, axis, keepdims)
    x = x if dtype is None else x.to(dtype)
    return ops_linalg.vector_norm(x, ord, dim, keepdim)


def matrix_norm(a: Any, ord: Any = "fro", dim: Any = (-2, -1), keepdim: bool = False,  # noqa: A002
                *, dtype: Any = None) -> Any:
    """A matrix norm over the two axes ``dim``: 'fro', 1, -1, inf, -inf."""
    a = a if dtype is None else a.to(dtype)
    return ops_matrix.matrix_norm(a, ord, tuple(dim), keepdim)


def norm(a: Any, ord: Any = None, dim: Any = None, keepdim: bool = False, *,  # noqa: A002
         dtype: Any = None) -> Any:
    """A vector norm (1-D input or one dim) or a matrix norm (2-D input or two dims)."""
    a = a if dtype is None else a.to(dtype)
    return ops_matrix.norm(a, ord, tuple(dim) if isinstance(dim, list) else dim, keepdim)


class SignLogAbsDet(NamedTuple):
    """What ``slogdet`` returns, as PyTorch: ``(sign, logabsdet)``."""

    sign: Any
    logabsdet: Any


def slogdet(a: Any) -> SignLogAbsDet:
    """``(sign, logabsdet)`` with det(A) = sign * exp(logabsdet)."""
    return SignLogAbsDet(*ops_matrix.slogdet(a))


def cross(a: Any, b: Any, dim: int = -1) -> Any:
    """The cross product along ``dim`` (default the last, unlike ``torch.cross``)."""
    return ops_linalg.cross(a, b, dim)


__all__ = ["vector_norm", "matrix_norm", "norm", "inv", "det", "slogdet", "solve", "cross"]

# --- PyTorch names: linalg2 (decompositions: tinygrad_dk.ops_decomp) ---
# Each result type is a named tuple with PyTorch's field names. The compositions below
# (lstsq, cond, matrix_power, ...) need no derivative of their own.


class SVDResult(NamedTuple):
    """What ``linalg.svd`` returns: A = U diag(S) Vh."""

    U: Any
    S: Any
    Vh: Any


class SVDOld(NamedTuple):
    """What the old ``torch.svd`` returns: V, not Vh (A = U diag(S) V^T)."""

    U: Any
    S: Any
    V: Any


class EighResult(NamedTuple):
    """What ``linalg.eigh`` returns: ascending eigenvalues, eigenvectors as columns."""

    eigenvalues: Any
    eigenvectors: Any


class QRResult(NamedTuple):
    """What ``linalg.qr`` returns: A = Q R."""

    Q: Any
    R: Any


class LstsqResult(NamedTuple):
    """What ``linalg.lstsq`` returns; only ``solution`` has a gradient (as PyTorch)."""

    solution: Any
    residuals: Any
    rank: Any
    singular_values: Any


def svd(a: Any, full_matrices: bool = True, *, driver: Any = None) -> SVDResult:
    """(U, S, Vh) with A = U diag(S) Vh; singular vectors only up to sign (compare
    U diag(S) Vh or U U^T, not U). With ``full_matrices=True`` the extra columns of U or
    rows of Vh get no gradient (PyTorch leaves them out too)."""
    return SVDResult(*ops_decomp.svd(a, full_matrices))


def svdvals(a: Any, *, driver: Any = None) -> Any:
    """The singular values, descending (for PCA's explained variance, norms, cond)."""
    return ops_decomp.svdvals(a)


def svd_old(a: Any, some: bool = True, compute_uv: bool = True) -> SVDOld:
    """``torch.svd``: (U, S, V), reduced unless ``some=False``; ``compute_uv=False`` gives
    zero U and V (as PyTorch)."""
    if not compute_uv:
        m, n = ops_decomp.check_matrix("svd", a).shape[-2:]
        lead = tuple(a.shape[:-2])
        zeros = [type(a)._from_op(np.zeros(lead + (k, k), raw(a).dtype)) for k in (m, n)]
        return SVDOld(zeros[0], ops_decomp.svdvals(a), zeros[1])
    u, s, vh = ops_decomp.svd(a, not some)
    return SVDOld(u, s, ops_layout.mT(vh))


def eigh(a: Any, UPLO: str = "L") -> EighResult:  # noqa: N803 - PyTorch's name
    """Eigenvalues (ascending) and eigenvectors of a symmetric matrix, from one triangle."""
    return EighResult(*ops_decomp.eigh(a, UPLO))


def eigvalsh(a: Any, UPLO: str = "L") -> Any:  # noqa: N803 - PyTorch's name
    """The eigenvalues of a symmetric matrix, ascending."""
    return ops_decomp.eigvalsh(a, UPLO)


def qr(a: Any, mode: str = "reduced") -> QRResult:
    """(Q, R) with A = Q R: 'reduced', 'complete' or 'r' (R only)."""
    return QRResult(*ops_decomp.qr(a, mode))


def cholesky(a: Any, *, upper: bool = False) -> Any:
    """L with A = L L^T for a symmetric positive definite A (``upper``: U = L^T)."""
    return ops_decomp.cholesky(a, upper)


def cholesky_old(a: Any, upper: bool = False) -> Any:
    """``torch.cholesky(A, upper=False)``, the old name of ``linalg.cholesky``."""
    return ops_decomp.cholesky(a, upper)


def pinv(a: Any, *, atol: Any = None, rtol: Any = None, hermitian: bool = False) -> Any:
    """The pseudo-inverse (singular values below max(atol, rtol * largest) count as 0)."""
    return ops_decomp.pinv(a, atol, rtol, hermitian)


def pinverse(a: Any, rcond: float = 1e-15) -> Any:
    """``torch.pinverse``: the pseudo-inverse with the relative cut-off ``rcond``."""
    return ops_decomp.pinv(a, None, rcond)


def matrix_rank(a: Any, *, atol: Any = None, rtol: Any = None, hermitian: bool = False) -> Any:
    """The numerical rank (int64): singular values above max(atol, rtol * largest)."""
    return ops_decomp.matrix_rank(a, atol, rtol, hermitian)


def lstsq(a: Any, b: Any, rcond: Any = None, *, driver: Any = None) -> LstsqResult:
    """The least-squares solution X of min |A X - B| (minimum norm if A is rank-deficient),
    as pinv(A) @ B, the formula PyTorch differentiates. ``residuals`` (squared, per column)
    for m > n and full rank, ``rank`` and ``singular_values`` follow ``driver`` as in
    PyTorch ('gelsy', the default: rank only; 'gels': residuals only; 'gelsd'/'gelss': all)."""
    data = ops_decomp.check_matrix("linalg.lstsq", a)
    driver = driver or "gelsy"
    if driver not in ("gels", "gelsy", "gelsd", "gelss"):
        raise ValueError(f"linalg.lstsq: driver must be 'gels', 'gelsy', 'gelsd' or 'gelss', "
                         f"got {driver!r}")
    vector = np.ndim(raw(b)) == data.ndim - 1
    rows = np.shape(raw(b))[-1] if vector else (np.shape(raw(b))[-2] if np.ndim(raw(b)) > 1
                                                 else None)
    if rows != data.shape[-2]:
        raise ValueError(f"linalg.lstsq: A of shape {data.shape} and B of shape "
                         f"{np.shape(raw(b))} do not fit: B needs {data.shape[-2]} rows")
    p = ops_decomp.pinv(a, None, rcond)
    x = ops.matmul(p, b)
    s = np.linalg.svd(data, compute_uv=False)
    rank = np.sum(s > ops_decomp.tolerance(s, data.shape, data.dtype, None, rcond),
                  axis=-1).astype(np.int64)
    m, n = data.shape[-2:]
    empty = np.zeros((0,), data.dtype)
    residuals = empty
    if driver != "gelsy" and m > n and np.all(rank == n):
        r = data @ raw(x)[..., None] - raw(b)[..., None] if vector else data @ raw(x) - raw(b)
        residuals = np.sum(r * r, axis=-2)
        residuals = residuals[..., 0] if vector else residuals
    const = type(a)._from_op
    return LstsqResult(x, const(residuals), const(rank if driver != "gels" else
                                                  np.zeros((0,), np.int64)),
                       const(s if driver in ("gelsd", "gelss") else empty))


def cond(a: Any, p: Any = None) -> Any:
    """The condition number: largest / smallest singular value (p None or 2; -2 the
    inverse), or norm(A, p) * norm(inv(A), p) for 'fro', 'nuc', 1, -1, inf, -inf."""
    if p in (None, 2, -2):
        s = ops_decomp.svdvals(a)
        big, small = ops.max(s, axis=-1), ops.min(s, axis=-1)
        return ops.div(small, big) if p == -2 else ops.div(big, small)
    return ops.mul(ops_matrix.matrix_norm(a, p), ops_matrix.matrix_norm(inv(a), p))


def matrix_power(a: Any, n: int) -> Any:
    """A^n by repeated squaring; n = 0 gives the identity, n < 0 powers of inv(A)."""
    shape = np.shape(raw(a))
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise ValueError(f"linalg.matrix_power: expected a square matrix or a batch of them "
                         f"(..., n, n), got shape {shape}")
    if not isinstance(n, (int, np.integer)):
        raise TypeError(f"linalg.matrix_power: n must be an integer, got {n!r}")
    if n == 0:  # the identity; where() keeps A in the graph with a zero gradient
        eye = np.broadcast_to(np.eye(shape[-1], dtype=raw(a).dtype), shape)
        return where(np.zeros(shape, bool), a, eye)
    base, n = (inv(a), -n) if n < 0 else (a, n)
    result = None
    while n:  # binary powers: A^13 = A^8 A^4 A
        if n & 1:
            result = ops.mul(base, 1.0) if result is None else ops.matmul(result, base)
        n >>= 1
        if n:
            base = ops.matmul(base, base)
    return result


def matrix_exp(a: Any) -> Any:
    """exp(A) = I + A + A^2/2! + ... of square matrices (the last two dims): the Taylor
    series of A / 2^s, with s chosen so that its norm is at most 1/2 (18 terms are then
    exact to rounding), squared s times. Built from matrix products only, so its gradient
    and second derivative come from theirs."""
    shape = np.shape(raw(a))
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise ValueError(f"linalg.matrix_exp: expected a square matrix or a batch of them "
                         f"(..., n, n), got shape {shape}")
    data = np.asarray(raw(a))
    if data.dtype.kind != "f":
        raise TypeError(f"linalg.matrix_exp: expected a float matrix, got {data.dtype}; "
                        "convert it first, e.g. a.float()")
    # the largest column-sum norm over the batch (inf or nan: no scaling, the series says so)
    norm = float(np.abs(data).sum(axis=-2).max()) if data.size else 0.0
    s = int(np.ceil(np.log2(norm / 0.5))) if np.isfinite(norm) and norm > 0.5 else 0
    x = ops.div(a, float(2 ** s))
    result = term = x
    for k in range(2, 19):
        term = ops.div(ops.matmul(term, x), float(k))
        result = ops.add(result, term)
    result = ops.add(result, np.eye(shape[-1], dtype=data.dtype))
    for _ in range(s):
        result = ops.matmul(result, result)
    return result


def multi_dot(tensors: Any) -> Any:
    """The product of a chain of matrices (the first and last may be vectors)."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise ValueError("linalg.multi_dot: needs at least 2 tensors")
    for i, t in enumerate(tensors):
        nd = np.ndim(raw(t))
        if nd != 2 and not (nd == 1 and i in (0, len(tensors) - 1)):
            raise ValueError(f"linalg.multi_dot: tensor {i} has shape {np.shape(raw(t))}; all "
                             "must be matrices, except the first and last, which may be vectors")
    out = tensors[0]
    for t in tensors[1:]:
        out = ops.matmul(out, t)
    return out


def vecdot(x: Any, y: Any, *, dim: int = -1) -> Any:
    """The dot product of vectors along ``dim`` (broadcast): sum(x * y, dim)."""
    return ops.sum(ops.mul(x, y), axis=dim)


def diagonal(a: Any, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Any:
    """The diagonal of each matrix (the last two dims by default, unlike ``torch.diagonal``)."""
    return ops_layout.diagonal(a, offset, dim1, dim2)


def logdet(a: Any) -> Any:
    """log(det(A)): nan for a negative determinant, -inf for 0 (as PyTorch)."""
    sign, logabs = ops_matrix.slogdet(a)
    with np.errstate(divide="ignore", invalid="ignore"):
        # det <= 0: the constant log(sign) (nan or -inf) with gradient 0, as PyTorch
        return where(raw(sign) > 0, logabs, np.log(raw(sign)))


def slogdet_method(a: Any) -> SignLogAbsDet:
    """``torch.slogdet`` / ``x.slogdet()``: the same as ``linalg.slogdet``."""
    return slogdet(a)


__all__ += ["svd", "svdvals", "eigh", "eigvalsh", "qr", "cholesky", "pinv", "matrix_rank",
            "lstsq", "cond", "matrix_power", "matrix_exp", "multi_dot", "vecdot", "diagonal",
            "SVDResult", "EighResult", "QRResult", "LstsqResult"]
# --- end linalg2 ---

# --- PyTorch names: lu3d (LU and triangular solves: tinygrad_dk.ops_lu; low-rank svd/pca) ---
from tinygrad_dk import ops_lu  # noqa: E402


class LUFactorResult(NamedTuple):
    """What ``linalg.lu_factor`` returns: L and U in one matrix, 1-based int32 pivots."""

    LU: Any
    pivots: Any


class LUFactorExResult(NamedTuple):
    """What ``linalg.lu_factor_ex`` returns: ``info`` > 0 where U has a 0 on its diagonal."""

    LU: Any
    pivots: Any
    info: Any


class LUResult(NamedTuple):
    """What ``linalg.lu`` and ``lu_unpack`` return: A = P L U."""

    P: Any
    L: Any
    U: Any


def solve_triangular(a: Any, b: Any, *, upper: bool, left: bool = True,
                     unitriangular: bool = False) -> Any:
    """X with T X = B (``left=False``: X T = B), T the upper or lower triangle of A (its
    diagonal taken as 1 with ``unitriangular``)."""
    return ops_lu.solve_triangular(a, b, upper, left, unitriangular)


def lu_factor(a: Any, *, pivot: bool = True) -> LUFactorResult:
    """(LU, pivots) with A = P L U (partial pivoting); a singular A is an error."""
    return LUFactorResult(*ops_lu.lu_factor(a, pivot))


def lu_factor_ex(a: Any, *, pivot: bool = True, check_errors: bool = False) -> LUFactorExResult:
    """(LU, pivots, info): as ``lu_factor``, singular matrices allowed (info says where)."""
    result = LUFactorExResult(*ops_lu.lu_factor_ex(a, pivot))
    if check_errors:
        ops_lu.check_info(result.info)  # the clear error for a singular A
    return result


def lu(a: Any, *, pivot: bool = True) -> LUResult:
    """(P, L, U) with A = P L U, L unit lower triangular, U upper triangular."""
    return LUResult(*ops_lu.lu(a, pivot))


def lu_solve(lu_data: Any, pivots: Any, b: Any, *, left: bool = True,
             adjoint: bool = False) -> Any:
    """X with A X = B from ``lu_factor(A)`` (``adjoint``: A^T X = B; ``left=False``: X A)."""
    return ops_lu.lu_solve(lu_data, pivots, b, left, adjoint)


def lu_unpack(lu_data: Any, lu_pivots: Any, unpack_data: bool = True,
              unpack_pivots: bool = True) -> LUResult:
    """``torch.lu_unpack``: (P, L, U) from ``lu_factor``'s (LU, pivots)."""
    return LUResult(*ops_lu.lu_unpack(lu_data, lu_pivots, unpack_data, unpack_pivots))


def lu_old(a: Any, pivot: bool = True, get_infos: bool = False) -> tuple:
    """``torch.lu`` / ``x.lu()``, the old name of ``lu_factor``: (LU, pivots[, infos])."""
    lu_data, pivots, info = ops_lu.lu_factor_ex(a, pivot)
    return (lu_data, pivots, info) if get_infos else (lu_data, pivots)


def lu_solve_old(b: Any, lu_data: Any, lu_pivots: Any) -> Any:
    """``torch.lu_solve(b, LU_data, LU_pivots)``, the old argument order of ``lu_solve``."""
    return ops_lu.lu_solve(lu_data, lu_pivots, b)


def qr_old(a: Any, some: bool = True) -> QRResult:
    """``torch.qr(A, some=True)`` / ``x.qr()``: reduced QR, or complete with ``some=False``."""
    return qr(a, "reduced" if some else "complete")


__all__ += ["solve_triangular", "lu_factor", "lu_factor_ex", "lu", "lu_solve",
            "LUFactorResult", "LUFactorExResult", "LUResult"]
# --- end lu3d ---
