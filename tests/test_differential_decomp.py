"""Matrix decompositions and the ``torch.linalg`` functions built on them against PyTorch,
by the differential harness (``tests/differential.py``): ``svd``, ``svdvals``, ``eigh``,
``eigvalsh``, ``qr``, ``cholesky``, ``pinv``, ``lstsq``, ``matrix_rank``, ``cond``,
``matrix_power``, ``multi_dot``, ``vecdot``, ``diagonal``, ``logdet``, ``slogdet`` and
the matrix norms 2, -2 and 'nuc'.

Decisions:

* Singular vectors and eigenvectors are only defined up to sign (LAPACK's choice may
  differ between numpy and PyTorch), so the rows compare sign-invariant functions of
  them: U diag(S) Vh, U * U (each column's sign squared away), projections U U^T.
* The matrices are drawn as Q1 diag(s) Q2^T with well-separated s (ratios >= 1.5): the
  derivatives of the vectors divide by s_i^2 - s_j^2 (eigh: l_i - l_j) and blow up at
  repeated values, in PyTorch as here. Only finite, moderate numbers: a factorisation of
  a matrix with inf or nan is an error in both libraries (checked in
  ``tests/test_decompositions.py``).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

import differential as D  # noqa: E402
from differential import Case, Op  # noqa: E402

import tinygrad_dk as tg  # noqa: E402

D.use_torch(torch)

SEPARATED = ("drawn with well-separated singular values / eigenvalues: the derivatives of the "
             "vectors divide by their differences (inf at repeated ones, in PyTorch too)")


def _orthogonal(rng, n):
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def _spread(data, k, rng, signed=False):
    """k well-separated values (ratio >= 1.5) times a drawn scale."""
    s = 1.5 ** np.arange(k)[::-1] * rng.uniform(1.0, 1.2, k)
    if signed:
        s = s * rng.choice([-1.0, 1.0], k)
    return s * data.draw(st.sampled_from([1.0, 1.0, 0.01, 100.0]), label="scale")


def _lead(data):
    return tuple(data.draw(st.sampled_from([1, 2])) for _ in range(
        data.draw(st.integers(0, 1), label="batch dims")))


def _matrix(data, square=False, min_n=1):
    """Q1 diag(s) Q2^T with separated singular values, of a drawn shape (..., m, n)."""
    m = data.draw(st.integers(min_n, 4), label="m")
    n = m if square else data.draw(st.integers(min_n, 4), label="n")
    lead = _lead(data)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    out = np.empty(lead + (m, n))
    for idx in np.ndindex(*lead):
        k = min(m, n)
        left, right = _orthogonal(rng, m)[:, :k], _orthogonal(rng, n)[:, :k]
        out[idx] = (left * _spread(data, k, rng)) @ right.T
    return out


def _symmetric(data, positive=False):
    n = data.draw(st.integers(1, 4), label="n")
    lead = _lead(data)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    out = np.empty(lead + (n, n))
    for idx in np.ndindex(*lead):
        q = _orthogonal(rng, n)
        w = np.abs(_spread(data, n, rng)) if positive else _spread(data, n, rng, signed=True)
        out[idx] = (q * w) @ q.T
        out[idx] = (out[idx] + out[idx].T) / 2
    return out


def _flat(lib, parts):
    """The parts, each flattened over its matrix axes, joined: one tensor to compare."""
    return lib.cat([p.reshape(p.shape[:-2] + (-1,)) if p.ndim >= 2 else p for p in parts], -1)


def _invariants(lib, u, s, v):
    """Sign-invariant functions of an svd (U, S, V with k columns)."""
    k = s.shape[-1]
    u, v = u[..., :k], v[..., :k]
    return _flat(lib, [s, (u * s.unsqueeze(-2)) @ v.mT, u * u, v @ v.mT, u @ u.mT])


# --- svd ------------------------------------------------------------------------------------


def _svd_case(data):
    return Case([_matrix(data)], {"form": data.draw(st.sampled_from(
        ["linalg.svd", "linalg.svd full", "svd", "svd some=False", "method svd"]))})


def _svd_run(lib):
    def run(a, form):
        if form.startswith("linalg.svd"):
            u, s, vh = lib.linalg.svd(a, full_matrices=form.endswith("full"))
            return _invariants(lib, u, s, vh.mT)
        some = form != "svd some=False"
        u, s, v = a.svd() if form == "method svd" else lib.svd(a, some=some)
        return _invariants(lib, u, s, v)
    return run


def _values_case(data):
    form = data.draw(st.sampled_from(["svdvals", "norm 2", "norm -2", "norm nuc", "cond",
                                      "cond -2", "linalg.norm nuc"]))
    return Case([_matrix(data)], {"form": form, "keepdim": data.draw(st.booleans())})


def _values_run(lib):
    def run(a, form, keepdim):
        la = lib.linalg
        if form == "svdvals":
            return la.svdvals(a)
        if form.startswith("norm"):
            ord_ = {"2": 2, "-2": -2, "nuc": "nuc"}[form.split()[1]]
            return la.matrix_norm(a, ord_, keepdim=keepdim)
        if form == "linalg.norm nuc":
            return la.norm(a, "nuc", dim=(-1, -2), keepdim=keepdim)
        return la.cond(a, -2 if form == "cond -2" else None)
    return run


# --- eigh -----------------------------------------------------------------------------------


def _eigh_case(data):
    return Case([_symmetric(data)], {"form": data.draw(st.sampled_from(["eigh", "eigvalsh"])),
                                     "uplo": data.draw(st.sampled_from(["L", "U"]))})


def _eigh_run(lib):
    def run(a, form, uplo):
        if form == "eigvalsh":
            return lib.linalg.eigvalsh(a, UPLO=uplo)
        w, v = lib.linalg.eigh(a, UPLO=uplo)
        return _flat(lib, [w, (v * w.unsqueeze(-2)) @ v.mT, v * v])
    return run


# --- qr, cholesky ---------------------------------------------------------------------------


def _qr_case(data):
    a = _matrix(data)
    m, n = a.shape[-2:]
    modes = ["reduced", "complete"] if m <= n else ["reduced"]  # PyTorch: no derivative for
    return Case([a], {"mode": data.draw(st.sampled_from(modes))})  # complete with m > n


def _qr_run(lib):
    def run(a, mode):
        q, r = lib.linalg.qr(a, mode=mode)
        return _flat(lib, [q @ r, q * q, r * r, q @ q.mT])
    return run


def _cholesky_case(data):
    a = _symmetric(data, positive=True)
    if data.draw(st.integers(0, 5), label="not positive definite") == 0:
        a = a - 2 * np.abs(a).sum(axis=(-2, -1), keepdims=True) * np.eye(a.shape[-1])
    return Case([a], {"form": data.draw(st.sampled_from(
        ["linalg", "linalg upper", "cholesky", "cholesky upper", "method"]))})


def _cholesky_run(lib):
    def run(a, form):
        if form.startswith("linalg"):
            return lib.linalg.cholesky(a, upper=form.endswith("upper"))
        if form == "method":
            return a.cholesky()
        return lib.cholesky(a, upper=form.endswith("upper"))
    return run


# --- pinv, lstsq, matrix_rank ---------------------------------------------------------------


def _pinv_case(data):
    form = data.draw(st.sampled_from(["pinv", "hermitian", "pinverse", "method"]))
    a = _symmetric(data) if form == "hermitian" else _matrix(data)
    return Case([a], {"form": form})


def _pinv_run(lib):
    def run(a, form):
        if form in ("pinv", "hermitian"):
            return lib.linalg.pinv(a, hermitian=form == "hermitian")
        return a.pinverse() if form == "method" else lib.pinverse(a)
    return run


def _lstsq_case(data):
    a = _matrix(data)
    m = a.shape[-2]
    vector = data.draw(st.booleans(), label="vector b") and a.ndim == 2
    b = D.values(data, (m,) if vector else a.shape[:-2] + (m, data.draw(st.integers(1, 3))),
                 D.MODERATE)
    return Case([a, b])


def _rank_case(data):
    a = _matrix(data)
    if data.draw(st.booleans(), label="rank-deficient") and a.shape[-1] > 1:
        a[..., -1] = a[..., 0]  # a repeated column
    return Case([a], {"hermitian": False}, grads=(False,))


# --- powers, products, determinants ---------------------------------------------------------


def _power_case(data):
    a = _matrix(data, square=True)
    return Case([a], {"n": data.draw(st.integers(-3, 4), label="n"),
                      "form": data.draw(st.sampled_from(["linalg", "tg", "method"]))})


def _power_run(lib):
    def run(a, n, form):
        if form == "method":
            return a.matrix_power(n)
        return (lib.linalg.matrix_power if form == "linalg" else lib.matrix_power)(a, n)
    return run


def _exp_case(data):
    # entries of moderate size: exp of a matrix with norm 1e3 overflows, in an order of
    # overflow (inf or nan) each library picks for itself
    n = data.draw(st.integers(1, 4), label="n")
    scale = data.draw(st.sampled_from([1e-8, 0.3, 1.0, 4.0]), label="scale")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    return Case([rng.standard_normal(_lead(data) + (n, n)) * scale],
                {"form": data.draw(st.sampled_from(["linalg", "tg", "method"]))})


def _exp_run(lib):
    def run(a, form):
        if form == "method":
            return a.matrix_exp()
        return (lib.linalg.matrix_exp if form == "linalg" else lib.matrix_exp)(a)
    return run


def _multi_dot_case(data):
    sizes = [data.draw(st.integers(1, 4)) for _ in range(data.draw(st.integers(3, 5)))]
    arrays = [D.values(data, (p, q), D.MODERATE) for p, q in zip(sizes, sizes[1:])]
    if data.draw(st.booleans(), label="vector first"):
        arrays[0] = arrays[0][0]
    if data.draw(st.booleans(), label="vector last"):
        arrays[-1] = arrays[-1][:, 0]
    return Case(arrays)


def _vecdot_case(data):
    shapes = D.broadcast_shapes(data, 2, min_dims=1)
    n = max(s[-1] for s in shapes)
    shapes = [s[:-1] + (n,) for s in shapes]
    nd = min(len(s) for s in shapes)
    return Case([D.values(data, s, D.REAL) for s in shapes],
                {"dim": data.draw(st.integers(-nd, -1), label="dim")})


def _diagonal_case(data):
    s = D.shape(data, min_dims=2)
    return Case([D.values(data, s, D.REAL)], {"offset": data.draw(st.integers(-2, 2))})


def _logdet_case(data):
    a = _matrix(data, square=True)
    return Case([a], {"form": data.draw(st.sampled_from(
        ["logdet", "method logdet", "slogdet", "method slogdet"]))})


def _logdet_run(lib):
    def run(a, form):
        if form.endswith("slogdet"):
            sign, logabs = a.slogdet() if form.startswith("method") else lib.slogdet(a)
            return lib.stack([sign, logabs])
        return a.logdet() if form.startswith("method") else lib.logdet(a)
    return run


def _chain(*ts):
    """The product left to right (PyTorch's multi_dot picks its own order)."""
    out = ts[0]
    for t in ts[1:]:
        out = out @ t
    return out


class _CholeskyDense(torch.autograd.Function):
    """PyTorch's cholesky with its derivative formula through a dense solve (as ours):
    where the upstream gradient holds inf, a triangular solve and a dense one spread the
    infinities differently (nan or a number)."""

    @staticmethod
    def forward(ctx, a):
        low = torch.linalg.cholesky(a)
        ctx.save_for_backward(low)
        return low

    @staticmethod
    def backward(ctx, g):
        (low,) = ctx.saved_tensors
        phi = low.mT @ g.tril()
        phi = phi.tril() - 0.5 * torch.diag_embed(phi.diagonal(0, -2, -1))
        y = torch.linalg.solve(low.mT, phi)
        ga = torch.linalg.solve(low.mT, y.mT).mT
        return 0.5 * (ga + ga.mT)


def _cholesky_alt(a, form):
    low = _CholeskyDense.apply(a)
    if form == "method":
        return low
    return low.mT if form.endswith("upper") else low


INF_G = ("where the upstream gradient is inf, PyTorch's formula multiplies or solves with it "
         "(nan over whole rows); we give the infinities our formula gives")

DECOMP_OPS = [
    Op("linalg.svd, svd, Tensor.svd (sign-invariant parts)", _svd_run(tg), _svd_run(torch),
       _svd_case, sums=3, grad_sums=True, nan_ok=INF_G, rtol=1e-6,
       covers=("linalg.svd", "tg.svd", "Tensor.svd", "ops_decomp.svd", "linalg.svd_old")),
    Op("svdvals, matrix_norm 2/-2/nuc, cond", _values_run(tg), _values_run(torch), _values_case,
       sums=1, grad_sums=True, nan_ok=INF_G, rtol=1e-6,
       covers=("linalg.svdvals", "ops_decomp.svdvals", "linalg.cond")),
    Op("linalg.eigh, eigvalsh (" + SEPARATED + ")", _eigh_run(tg), _eigh_run(torch), _eigh_case,
       sums=3, grad_sums=True, nan_ok=INF_G, rtol=1e-6,
       covers=("linalg.eigh", "linalg.eigvalsh", "ops_decomp.eigh", "ops_decomp.eigvalsh")),
    Op("linalg.qr (sign-invariant parts)", _qr_run(tg), _qr_run(torch), _qr_case, sums=3,
       grad_sums=True, nan_ok=INF_G, rtol=1e-6, covers=("linalg.qr", "ops_decomp.qr")),
    Op("linalg.cholesky, cholesky, Tensor.cholesky", _cholesky_run(tg), _cholesky_run(torch),
       _cholesky_case, sums=2, grad_sums=True, nan_ok=INF_G, rtol=1e-6, alt=_cholesky_alt,
       alt_why="with an inf upstream gradient, PyTorch's triangular solves and our dense ones "
       "give nan in different places (the same formula)",
       covers=("linalg.cholesky", "tg.cholesky", "Tensor.cholesky", "ops_decomp.cholesky",
               "linalg.cholesky_old")),
    Op("linalg.pinv, pinverse", _pinv_run(tg), _pinv_run(torch), _pinv_case, sums=3,
       grad_sums=True, nan_ok=INF_G, rtol=1e-6,
       finite_upstream="the gradient adds six products of the upstream gradient, in an "
       "order of its own (PyTorch arranges them by the matrix's shape): an inf upstream "
       "gives nan here where PyTorch's order gives inf, and the other way round",
       covers=("linalg.pinv", "tg.pinverse", "Tensor.pinverse", "ops_decomp.pinv",
               "linalg.pinverse")),
    Op("linalg.lstsq (solution)", lambda a, b: tg.linalg.lstsq(a, b).solution,
       lambda a, b: torch.linalg.lstsq(a, b).solution, _lstsq_case, sums=3, grad_sums=True,
       nan_ok=INF_G, rtol=1e-6, covers=("linalg.lstsq",)),
    Op("linalg.matrix_rank", lambda a, hermitian: tg.linalg.matrix_rank(a, hermitian=hermitian),
       lambda a, hermitian: torch.linalg.matrix_rank(a, hermitian=hermitian), _rank_case,
       covers=("linalg.matrix_rank", "ops_decomp.matrix_rank")),
    Op("linalg.matrix_power, matrix_power", _power_run(tg), _power_run(torch), _power_case,
       sums=4, grad_sums=True, nan_ok=INF_G, rtol=1e-6,
       finite_upstream="A's gradient adds one product of the upstream gradient per factor "
       "of A^n, in an order of its own: an inf upstream gives nan here where PyTorch's order "
       "of accumulation gives -inf, and the other way round",
       covers=("linalg.matrix_power", "tg.matrix_power", "Tensor.matrix_power")),
    Op("linalg.matrix_exp, matrix_exp", _exp_run(tg), _exp_run(torch), _exp_case, sums=4,
       grad_sums=True, rtol=1e-6,
       finite_upstream="the gradient sums products of the upstream gradient through every "
       "squaring, in an order of its own: an inf there gives nan or inf by that order",
       covers=("linalg.matrix_exp", "tg.matrix_exp", "Tensor.matrix_exp")),
    Op("linalg.multi_dot", lambda *ts: tg.linalg.multi_dot(ts),
       lambda *ts: torch.linalg.multi_dot(ts), _multi_dot_case, sums=3, grad_sums=True,
       alt=_chain, alt_why="PyTorch multiplies in its own order; with an inf upstream gradient "
       "the order decides where nan (inf * 0) appears",
       covers=("linalg.multi_dot",)),
    Op("linalg.vecdot", lambda x, y, dim: tg.linalg.vecdot(x, y, dim=dim),
       lambda x, y, dim: torch.linalg.vecdot(x, y, dim=dim), _vecdot_case, sums=1,
       covers=("linalg.vecdot",)),
    Op("linalg.diagonal", lambda x, offset: tg.linalg.diagonal(x, offset=offset),
       lambda x, offset: torch.linalg.diagonal(x, offset=offset), _diagonal_case,
       covers=("linalg.diagonal",)),
    Op("logdet, slogdet", _logdet_run(tg), _logdet_run(torch), _logdet_case, sums=1,
       grad_sums=True, nan_ok=INF_G, rtol=1e-6,
       covers=("tg.logdet", "Tensor.logdet", "linalg.logdet", "tg.slogdet", "Tensor.slogdet",
               "linalg.slogdet_method")),
]


@pytest.mark.parametrize("op", DECOMP_OPS, ids=lambda op: op.name)
@D.SETTINGS
@given(data=st.data())
def test_decomp_matches_torch(op, data):
    D.check(op, data)
