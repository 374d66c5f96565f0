"""Matrix decompositions with their derivatives: ``svd``, ``svdvals``, ``eigh``,
``eigvalsh``, ``qr``, ``cholesky`` and ``pinv`` (``tinygrad_dk.linalg`` gives them
PyTorch's arguments and result types).

numpy's ``np.linalg`` computes each factorisation; the derivatives are written with
engine ops (matmul, transposes, ``solve``), so they can be differentiated again.

**Several results, one Primitive.** A Primitive has one output, but ``svd`` has three
(U, S, V). So the forward *packs* them into one array, one block of rows each (S as
one row, V rather than Vh so that all blocks have the same columns), and the caller
slices the blocks out with ``getitem``. Backward then hands the vjp the packed
gradient: the gradients of U, S and V side by side (zeros for a result not used).
``eigh`` packs (eigenvalues, eigenvectors), ``qr`` packs (Q, R^T) the same way.

**Where the derivatives blow up.** Singular vectors and eigenvectors are only defined
up to sign, and their derivatives divide by s_j^2 - s_i^2 (svd) or l_j - l_i (eigh):
at repeated singular values or eigenvalues the gradient of the *vectors* is inf or
nan, as in PyTorch. When only the values are used (their gradient is well defined
everywhere), the vector terms are left out, again as PyTorch does.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_dk.ops import where
from tinygrad_dk.ops_layout import diag_embed, diagonal, mT, tril, triu
from tinygrad_dk.ops_matrix import solve
from tinygrad_dk.ops_shape import concatenate, expand_dims, getitem
from tinygrad_dk.primitive import Primitive, quiet, raw

# --- argument checks ------------------------------------------------------------------------


def check_matrix(op: str, a: Any, square: bool = False) -> np.ndarray:
    """The data of a real float matrix or batch of them (..., m, n); clear errors else."""
    data = np.asarray(raw(a))
    if data.dtype.kind == "c":
        raise TypeError(f"{op}: complex matrices are not supported here (real float32/float64 "
                        "only)")
    if data.dtype.kind != "f":
        raise TypeError(f"{op}: expected a float tensor, got {data.dtype}; use .float()")
    if data.ndim < 2 or (square and data.shape[-1] != data.shape[-2]):
        what = "a square matrix or a batch of them (..., n, n)" if square else (
            "a matrix or a batch of them (..., m, n)")
        raise ValueError(f"{op}: expected {what}, got shape {data.shape}")
    if not np.isfinite(data).all():
        raise ValueError(f"{op}: the matrix holds inf or nan, which no factorisation can use "
                         "(PyTorch fails to converge too); check the input for overflow")
    return data


def _rows(x: Any, start: int, stop: int | None, cols: int) -> Any:
    """Rows start:stop and the first ``cols`` columns of each (packed) matrix."""
    return getitem(x, (Ellipsis, slice(start, stop), slice(0, cols)))


def _gap(v: Any) -> Any:
    """E[i, j] = v[j] - v[i], with 1 on the diagonal (where the formulas never divide)."""
    e = expand_dims(v, -2) - expand_dims(v, -1)
    return where(np.eye(np.shape(raw(v))[-1], dtype=bool), 1.0, e)


def _skew(x: Any) -> Any:
    """x - x^T, with an exact 0 diagonal (not inf - inf = nan for an inf gradient)."""
    return where(np.eye(np.shape(raw(x))[-1], dtype=bool), 0.0, x - mT(x))


def _distinct(v: np.ndarray) -> bool:
    """Whether every matrix's values (sorted along the last axis) are distinct."""
    return bool(np.all(np.diff(np.sort(v, axis=-1), axis=-1) != 0))


def _vectors_used(*grads: Any) -> bool:
    return any(np.any(raw(g) != 0) for g in grads)


# --- svd ------------------------------------------------------------------------------------


def _svd_forward(a: np.ndarray, full: bool) -> np.ndarray:
    """[U; S; V] stacked by rows: shape (..., m + 1 + n, columns)."""
    u, s, vh = np.linalg.svd(a, full_matrices=full)
    m, n = a.shape[-2:]
    packed = np.zeros(a.shape[:-2] + (m + 1 + n, max(m, n) if full else min(m, n)), a.dtype)
    packed[..., :m, :u.shape[-1]] = u
    packed[..., m, :s.shape[-1]] = s
    packed[..., m + 1:, :vh.shape[-2]] = np.swapaxes(vh, -1, -2)
    return packed


def _svd_grad(u: Any, s: Any, v: Any, gu: Any, gs: Any, gv: Any) -> Any:
    """The gradient of A = U diag(S) V^T (reduced) from those of U, S and V (PyTorch's
    formula, real case): U [(skew(U^T gU) S + S skew(V^T gV)) / E + diag(gS)] V^T, plus
    the parts of gU and gV outside the spans of U and V for a non-square A."""
    m, n, k = np.shape(raw(u))[-2], np.shape(raw(v))[-2], np.shape(raw(s))[-1]
    inner = diag_embed(gs)
    # Vectors unused (their gradients 0) at repeated singular values: leave their terms
    # out, or 0 * inf = nan would spoil the values' well-defined gradient
    if k and (_vectors_used(gu, gv) or _distinct(raw(s))):
        utgu, vtgv = mT(u) @ gu, mT(v) @ gv
        s_row, s_col = expand_dims(s, -2), expand_dims(s, -1)
        inner = inner + (_skew(utgu) * s_row + s_col * _skew(vtgv)) / _gap(s * s)
        if m > k:  # the part of gU outside span(U), through S^-1
            gu_s = gu / s_row
            return (u @ inner + gu_s - u @ (mT(u) @ gu_s)) @ mT(v)
        if n > k:  # the same for V
            s_gv = mT(gv) / s_col
            return u @ (inner @ mT(v) + s_gv - (s_gv @ v) @ mT(v))
    return u @ inner @ mT(v)


def _svd_blocks(x: Any, m: int, k: int, cu: int, cv: int) -> tuple[Any, Any, Any]:
    """(U, S, V) sliced out of the packed rows [U; S; V]: U's first ``cu`` columns, the
    ``k`` singular values, V's first ``cv`` columns."""
    return _rows(x, 0, m, cu), getitem(x, (Ellipsis, m, slice(0, k))), _rows(x, m + 1, None, cv)


def _svd_vjp(g: Any, out: Any, a: Any, full: bool) -> Any:
    m, n = np.shape(raw(a))[-2:]
    k = min(m, n)  # full_matrices: the extra columns are left out, as PyTorch does
    return _svd_grad(*_svd_blocks(out, m, k, k, k), *_svd_blocks(g, m, k, k, k))


_svd = Primitive("svd", quiet(_svd_forward), _svd_vjp)


def svd(a: Any, full_matrices: bool = True) -> tuple[Any, Any, Any]:
    """(U, S, Vh) with A = U diag(S) Vh, S descending. Singular vectors are only defined
    up to sign; their gradient is inf at repeated singular values (see the module)."""
    data = check_matrix("linalg.svd", a)
    m, n = data.shape[-2:]
    k = min(m, n)
    cu, cv = (m, n) if full_matrices else (k, k)
    u, s, v = _svd_blocks(_svd(a, full=full_matrices), m, k, cu, cv)
    return u, s, mT(v)


def _svd_parts(a: Any) -> tuple[Any, Any, Any]:
    """(U, S, V) reduced, differentiable: for the derivatives of svdvals and pinv."""
    m, n = np.shape(raw(a))[-2:]
    k = min(m, n)
    return _svd_blocks(_svd(a, full=False), m, k, k, k)


def _svdvals_vjp(g: Any, out: Any, a: Any) -> Any:
    u, _, v = _svd_parts(a)  # d s_i = u_i^T dA v_i
    return (u * expand_dims(g, -2)) @ mT(v)


_svdvals = Primitive("svdvals", quiet(lambda a: np.linalg.svd(a, compute_uv=False)),
                     _svdvals_vjp)


def svdvals(a: Any) -> Any:
    """The singular values, descending; differentiable everywhere except at 0 (a kink)."""
    check_matrix("linalg.svdvals", a)
    return _svdvals(a)


# --- eigh -----------------------------------------------------------------------------------


def _eigh_forward(a: np.ndarray, uplo: str) -> np.ndarray:
    w, v = np.linalg.eigh(a, UPLO=uplo)
    return np.concatenate([w[..., None, :], v], axis=-2)  # [eigenvalues; eigenvectors]


def _eigh_blocks(x: Any, n: int) -> tuple[Any, Any]:
    """(eigenvalues, eigenvectors) sliced out of the packed rows [w; V]."""
    return getitem(x, (Ellipsis, 0, slice(None))), _rows(x, 1, None, n)


def _eigh_vjp(g: Any, out: Any, a: Any, uplo: str) -> Any:
    n = np.shape(raw(a))[-1]
    return _eigh_grad(*_eigh_blocks(out, n), *_eigh_blocks(g, n))


def _eigh_grad(w: Any, v: Any, gw: Any, gv: Any) -> Any:
    """The gradient of A = V diag(w) V^T: V [skew(V^T gV) / 2E + diag(gw)] V^T, E[i, j] =
    w[j] - w[i] (PyTorch's formula: symmetric, for a symmetric perturbation)."""
    inner = diag_embed(gw)
    if np.shape(raw(w))[-1] and (_vectors_used(gv) or _distinct(raw(w))):  # as in _svd_grad
        inner = inner + _skew(mT(v) @ gv) * 0.5 / _gap(w)
    return v @ inner @ mT(v)


_eigh = Primitive("eigh", quiet(_eigh_forward), _eigh_vjp)


def eigh(a: Any, uplo: str = "L") -> tuple[Any, Any]:
    """(eigenvalues ascending, eigenvectors as columns) of a symmetric matrix, from its
    lower (``"L"``) or upper (``"U"``) triangle. The gradient is PyTorch's: symmetric,
    and inf at repeated eigenvalues when the eigenvectors are used."""
    check_matrix("linalg.eigh", a, square=True)
    if uplo not in ("L", "U"):
        raise ValueError(f"linalg.eigh: UPLO must be 'L' or 'U', got {uplo!r}")
    return _eigh_blocks(_eigh(a, uplo=uplo), np.shape(raw(a))[-1])


def _eigvalsh_vjp(g: Any, out: Any, a: Any, uplo: str) -> Any:
    _, v = eigh(a, uplo)  # d w_i = v_i^T dA v_i
    return (v * expand_dims(g, -2)) @ mT(v)


_eigvalsh = Primitive("eigvalsh", quiet(lambda a, uplo: np.linalg.eigvalsh(a, UPLO=uplo)),
                      _eigvalsh_vjp)


def eigvalsh(a: Any, uplo: str = "L") -> Any:
    """The eigenvalues of a symmetric matrix, ascending (differentiable where distinct)."""
    check_matrix("linalg.eigvalsh", a, square=True)
    if uplo not in ("L", "U"):
        raise ValueError(f"linalg.eigvalsh: UPLO must be 'L' or 'U', got {uplo!r}")
    return _eigvalsh(a, uplo=uplo)


# --- qr -------------------------------------------------------------------------------------


def _qr_forward(a: np.ndarray, mode: str) -> np.ndarray:
    q, r = np.linalg.qr(a, mode=mode)
    return np.concatenate([q, np.swapaxes(r, -1, -2)], axis=-2)  # [Q; R^T]


def _copyltu(m: Any) -> Any:
    """The symmetric matrix with m's lower triangle (copied to the upper one)."""
    return tril(m) + mT(tril(m, -1))


def _qr_grad_tall(q: Any, r: Any, gq: Any, gr: Any) -> Any:
    """A = QR with R square (m >= n): gA = (gQ + Q copyltu(R gR^T - gQ^T Q)) R^-T."""
    b = gq + q @ _copyltu(r @ mT(gr) - mT(gq) @ q)
    return mT(solve(r, mT(b)))


def _qr_vjp(g: Any, out: Any, a: Any, mode: str) -> Any:
    m, n = np.shape(raw(a))[-2:]
    if mode == "complete" and m > n:
        raise RuntimeError("linalg.qr: the derivative with mode='complete' and more rows than "
                           "columns is not defined (the extra columns of Q are not unique), as "
                           "in PyTorch; use mode='reduced'")
    k = min(m, n)
    (q, rt), (gq, grt) = ((_rows(x, 0, m, k), _rows(x, m, None, k)) for x in (out, g))
    r, gr = mT(rt), triu(mT(grt))  # (R's lower triangle is 0 whatever A is)
    if m >= n:
        return _qr_grad_tall(q, r, gq, gr)
    # wide (m < n): Q is square, so Q^T dQ is skew-symmetric and only the skew part of
    # M = Q^T gQ - gR R^T counts: gA = Q gR + [Q tril(M - M^T) R_x^-T, 0], R_x the square
    # left block of R. Taking the skew part first cancels, exactly, what cancels in exact
    # arithmetic (everything, for one row) before R_x^-T can amplify its rounding.
    cols = (Ellipsis, slice(None), slice(0, m))
    rest = (Ellipsis, slice(None), slice(m, None))
    mm = mT(q) @ gq - gr @ mT(r)
    lead = mT(solve(getitem(r, cols), mT(q @ tril(mm - mT(mm)))))
    qgr = q @ gr
    return concatenate([getitem(qgr, cols) + lead, getitem(qgr, rest)], axis=-1)


_qr = Primitive("qr", quiet(_qr_forward), _qr_vjp)


def qr(a: Any, mode: str = "reduced") -> tuple[Any, Any]:
    """(Q, R) with A = QR, Q with orthonormal columns, R upper triangular ('reduced':
    k = min(m, n) columns of Q; 'complete': Q square; 'r': R only, Q empty)."""
    data = check_matrix("linalg.qr", a)
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(f"linalg.qr: mode must be 'reduced', 'complete' or 'r', got {mode!r}")
    m = data.shape[-2]
    packed = _qr(a, mode="complete" if mode == "complete" else "reduced")
    cols = np.shape(raw(packed))[-1]
    q, r = _rows(packed, 0, m, cols), mT(_rows(packed, m, None, cols))
    if mode == "r":  # as PyTorch: an empty Q (R keeps its gradient here)
        q = type(a)._from_op(np.zeros((0,), data.dtype)) if hasattr(type(a), "_from_op") \
            else np.zeros((0,), data.dtype)
    return q, r


# --- cholesky -------------------------------------------------------------------------------


def _cholesky_forward(a: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.cholesky(a)
    except np.linalg.LinAlgError:
        raise ValueError("cholesky: the matrix is not positive definite (a symmetric matrix "
                         "with all eigenvalues > 0 is needed); for a covariance matrix add a "
                         "small multiple of the identity, eps * I") from None


def _cholesky_vjp(g: Any, out: Any, a: Any) -> Any:
    """gA = sym(L^-T Phi(L^T gL) L^-1), Phi: the lower triangle with half the diagonal."""
    phi = mT(out) @ tril(g)  # (L's upper triangle is 0 whatever A is: its g is ignored)
    phi = tril(phi) - 0.5 * diag_embed(diagonal(phi, 0, -2, -1))
    y = solve(mT(out), phi)
    ga = mT(solve(mT(out), mT(y)))
    return 0.5 * (ga + mT(ga))


_cholesky = Primitive("cholesky", quiet(_cholesky_forward), _cholesky_vjp)


def cholesky(a: Any, upper: bool = False) -> Any:
    """L lower triangular with A = L L^T (``upper=True``: U = L^T, A = U^T U), from A's
    lower triangle; a matrix that is not positive definite is a ValueError."""
    check_matrix("linalg.cholesky", a, square=True)
    low = _cholesky(a)
    return mT(low) if upper else low


# --- pinv -----------------------------------------------------------------------------------


def tolerance(s: np.ndarray, shape: tuple, dtype: Any, atol: Any, rtol: Any) -> np.ndarray:
    """PyTorch's cut-off for "zero" singular values ``s`` (last axis): max(atol, rtol * the
    largest), rtol by default eps * max(m, n) (0 when only atol is given)."""
    if rtol is None:
        rtol = 0.0 if atol is not None and np.any(np.asarray(atol) > 0) else (
            np.finfo(dtype).eps * max(shape[-2:], default=1))
    return np.maximum(0.0 if atol is None else np.asarray(raw(atol)),
                      rtol * s.max(-1, initial=0)[..., None])


def _pinv_forward(a: np.ndarray, atol: Any, rtol: Any, hermitian: bool) -> np.ndarray:
    """V diag(1/s) U^T over the kept singular values (A = U diag(s) V^T)."""
    if hermitian:  # A = V diag(w) V^T: the eigenvalues' magnitudes are the singular values
        vals, u = np.linalg.eigh(a)
        vh = np.swapaxes(u, -1, -2)
    else:
        u, vals, vh = np.linalg.svd(a, full_matrices=False)
    s = np.abs(vals)
    keep = s > tolerance(s, a.shape, a.dtype, atol, rtol)
    inverse = np.where(keep, 1 / np.where(keep, vals, 1), 0)
    return (np.swapaxes(vh, -1, -2) * inverse[..., None, :]) @ np.swapaxes(u, -1, -2)


def _pinv_vjp(g: Any, out: Any, a: Any, atol: Any, rtol: Any, hermitian: bool) -> Any:
    """dP = -P dA P + P P^T dA^T (I - A P) + (I - P A) dA^T P^T P (for a constant rank),
    so gA = -P^T g P^T + (I - A P) g^T P P^T + P^T P g^T (I - P A)."""
    p, gt = out, mT(g)
    x = gt @ p @ mT(p)
    y = mT(p) @ p @ gt
    return -(mT(p) @ g @ mT(p)) + (x - a @ (p @ x)) + (y - (y @ p) @ a)


_pinv = Primitive("pinv", quiet(_pinv_forward), _pinv_vjp)


def pinv(a: Any, atol: Any = None, rtol: Any = None, hermitian: bool = False) -> Any:
    """The Moore-Penrose pseudo-inverse; singular values at or below the tolerance count
    as 0. Differentiable where the rank does not change (PyTorch's formula)."""
    check_matrix("linalg.pinv", a, square=hermitian)
    return _pinv(a, atol=atol, rtol=rtol, hermitian=hermitian)


def matrix_rank(a: Any, atol: Any = None, rtol: Any = None, hermitian: bool = False) -> Any:
    """The number of singular values above the tolerance (an int64 count, no gradient)."""
    data = check_matrix("linalg.matrix_rank", a, square=hermitian)
    s = np.abs(np.linalg.eigvalsh(data)) if hermitian else np.linalg.svd(data, compute_uv=False)
    rank = np.asarray(np.sum(s > tolerance(s, data.shape, data.dtype, atol, rtol), axis=-1),
                      dtype=np.int64)
    return type(a)._from_op(rank) if hasattr(type(a), "_from_op") else rank


__all__ = ["svd", "svdvals", "eigh", "eigvalsh", "qr", "cholesky", "pinv", "matrix_rank",
           "check_matrix", "tolerance"]
