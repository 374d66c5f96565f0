"""Randomised low-rank SVD and PCA: ``torch.svd_lowrank`` and ``torch.pca_lowrank``.

The idea (Halko, Martinsson and Tropp, 2011): multiply A by a random n x q matrix; its
columns are random mixtures of A's columns, so they span (nearly) the space of A's q
largest singular directions. An orthonormal basis Q of that span (a QR) gives the small
matrix B = Q^T A (q x n), whose exact SVD is cheap: A ~ (Q U_B) S V^T. A few power
iterations (multiply by A^T, then A, orthonormalising in between) sharpen the basis when
the singular values decay slowly.

Everything is a composition of differentiable ops (matmul, ``linalg.qr``, ``linalg.svd``),
so gradients need no rule of their own. The random matrix comes from the shared
generator: ``tg.manual_seed`` makes the result repeatable (not equal to PyTorch's, whose
generator differs; the spans agree, the signs of the vectors may not).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_dk import ops
from tinygrad_dk.creation import randn
from tinygrad_dk.ops_decomp import check_matrix, qr, svd
from tinygrad_dk.ops_layout import mT
from tinygrad_dk.primitive import raw


def _basis(a: Any, q: int, niter: int, m_: Any) -> Any:
    """An orthonormal m x q basis Q with A ~ Q Q^T A (A minus M, when M is given)."""
    data = np.asarray(raw(a))
    r = randn(*data.shape[:-2], data.shape[-1], q, dtype=data.dtype)

    def times(x: Any, transpose: bool) -> Any:  # (A - M) x, or (A - M)^T x
        y = ops.matmul(mT(a) if transpose else a, x)
        return y if m_ is None else y - ops.matmul(mT(m_) if transpose else m_, x)

    basis = qr(times(r, False))[0]
    for _ in range(niter):  # power iterations: A^T then A, orthonormalised each time
        basis = qr(times(basis, True))[0]
        basis = qr(times(basis, False))[0]
    return basis


def svd_lowrank(a: Any, q: int | None = 6, niter: int = 2, M: Any = None  # noqa: N803
                ) -> tuple[Any, Any, Any]:
    """(U, S, V) with A - M ~ U diag(S) V^T, of rank q (V, not Vh, as ``torch.svd``)."""
    data = check_matrix("svd_lowrank", a)
    m, n = data.shape[-2:]
    q = 6 if q is None else q
    if not 0 < q <= min(m, n):
        raise ValueError(f"svd_lowrank: q must be in 1..min(m, n) = {min(m, n)} for a matrix of "
                         f"shape {data.shape}, got q={q}")
    if m < n:  # work on the tall A^T (its basis is the smaller one), then swap U and V
        v, s, u = svd_lowrank(mT(a), q, niter, None if M is None else mT(M))
        return u, s, v
    basis = _basis(a, q, niter, M)
    b = ops.matmul(mT(basis), a)
    if M is not None:
        b = b - ops.matmul(mT(basis), M)
    u, s, vh = svd(b, False)
    return ops.matmul(basis, u), s, mT(vh)


def pca_lowrank(a: Any, q: int | None = None, center: bool = True, niter: int = 2
                ) -> tuple[Any, Any, Any]:
    """(U, S, V) of the centred data: the columns of V are the principal directions,
    S**2 / (m - 1) the variances along them; q defaults to min(6, m, n)."""
    data = check_matrix("pca_lowrank", a)
    m, n = data.shape[-2:]
    q = min(6, m, n) if q is None else q
    if center:
        a = a - ops.mean(a, axis=-2, keepdims=True)
    return svd_lowrank(a, q, niter)


__all__ = ["svd_lowrank", "pca_lowrank"]
