"""LU factorisation, triangular solves, the old ``torch.qr`` / ``torch.lu`` names and the
randomised low-rank svd / pca against PyTorch, by the differential harness
(``tests/differential.py``).

Decisions:

* Matrices are drawn well conditioned (Q1 diag(s) Q2^T with s in [1, 2] times a scale):
  LU's pivots (which row is largest) must be the same in both libraries, and near ties
  could pick different rows; a triangular solve needs a diagonal far from 0. Right-hand
  sides are finite (see SUBSTITUTION).
* ``svd_lowrank`` / ``pca_lowrank`` are random: the rows compare what does not depend on
  the random draw when q covers the whole rank (q = min(m, n)): the singular values and
  the product U diag(S) V^T (pca: only for m > n, where the centred matrix keeps full
  rank; below that its zero singular values repeat and the vectors' gradient is inf).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

import differential as D  # noqa: E402
from differential import Case, Op  # noqa: E402
from test_differential_decomp import INF_G, _flat, _matrix  # noqa: E402

import tinygrad_dk as tg  # noqa: E402

D.use_torch(torch)


def _triangular_case(data):
    a = _matrix(data, square=True)
    n = a.shape[-1]
    a = a + np.eye(n) * 3 * np.abs(a).max(initial=1.0)  # a diagonal far from 0
    left = data.draw(st.booleans(), label="left")
    k = data.draw(st.integers(1, 3), label="k")
    b = D.values(data, a.shape[:-2] + ((n, k) if left else (k, n)), D.MODERATE)
    return Case([a, b], {"upper": data.draw(st.booleans()), "left": left,
                         "unitriangular": data.draw(st.booleans())})


def _lu_case(data):
    return Case([_matrix(data)], {"form": data.draw(st.sampled_from(
        ["lu_factor", "lu_factor_ex", "lu_factor_ex check_errors", "linalg.lu", "lu",
         "method lu", "lu_unpack"]))})


def _lu_run(lib):
    def run(a, form):
        if form == "linalg.lu":
            return _flat(lib, list(lib.linalg.lu(a)))
        if form == "lu_unpack":
            return _flat(lib, list(lib.lu_unpack(*lib.linalg.lu_factor(a))))
        if form.startswith("lu_factor_ex"):
            return lib.linalg.lu_factor_ex(a, check_errors=form.endswith("errors")).LU
        lu, _ = (lib.linalg.lu_factor(a) if form == "lu_factor" else
                 a.lu() if form == "method lu" else lib.lu(a))
        return lu
    return run


def _lu_solve_case(data):
    a = _matrix(data, square=True)
    n = a.shape[-1]
    left = data.draw(st.booleans(), label="left")
    b = D.values(data, a.shape[:-2] + ((n, 2) if left else (2, n)), D.MODERATE)
    return Case([a, b], {"form": data.draw(st.sampled_from(["linalg", "old", "method"])),
                         "left": left, "adjoint": data.draw(st.booleans())})


def _lu_solve_run(lib):
    def run(a, b, form, left, adjoint):
        lu, piv = lib.linalg.lu_factor(a)
        if form == "linalg" or not left or adjoint:
            return lib.linalg.lu_solve(lu, piv, b, left=left, adjoint=adjoint)
        return b.lu_solve(lu, piv) if form == "method" else lib.lu_solve(b, lu, piv)
    return run


def _qr_case(data):
    return Case([_matrix(data)], {"form": data.draw(st.sampled_from(["qr", "method"]))})


def _qr_run(lib):
    def run(a, form):
        q, r = lib.qr(a) if form == "qr" else a.qr()
        return _flat(lib, [q @ r, q @ q.mT, r * r])  # sign-invariant
    return run


def _lowrank_case(data):
    a = _matrix(data)
    # pca centres the rows: rank min(m - 1, n), so full rank (distinct values) needs m > n
    forms = ["svd", "pca"] if a.shape[-2] > a.shape[-1] else ["svd"]
    return Case([a], {"form": data.draw(st.sampled_from(forms)),
                      "niter": data.draw(st.integers(0, 2))})


def _lowrank_run(lib):
    def run(a, form, niter):
        q = min(a.shape[-2:])
        u, s, v = (lib.svd_lowrank(a, q=q, niter=niter) if form == "svd"
                   else lib.pca_lowrank(a, q=q, niter=niter))
        return _flat(lib, [s, (u * s.unsqueeze(-2)) @ v.mT])
    return run


SUBSTITUTION = ("B and the upstream gradient are drawn finite: our triangular solve is a dense "
                "solve of the triangle (numpy has no substitution), where an inf meets the "
                "triangle's zeros (0 * inf = nan); PyTorch's substitution never touches them")

LU3D_OPS = [
    Op("linalg.solve_triangular", lambda a, b, **k: tg.linalg.solve_triangular(a, b, **k),
       lambda a, b, **k: torch.linalg.solve_triangular(a, b, **k), _triangular_case, sums=3,
       grad_sums=True, nan_ok=INF_G, rtol=1e-6,
       finite_upstream=SUBSTITUTION,
       covers=("linalg.solve_triangular", "ops_lu.solve_triangular")),
    Op("linalg.lu_factor, lu_factor_ex, lu, lu_unpack, torch.lu, Tensor.lu", _lu_run(tg),
       _lu_run(torch), _lu_case, sums=3, grad_sums=True, nan_ok=INF_G, rtol=1e-6,
       finite_upstream="the gradient solves with the upstream gradient twice; an inf there "
       "gives inf - inf in an order of its own",
       covers=("linalg.lu_factor", "linalg.lu_factor_ex", "linalg.lu", "tg.lu", "Tensor.lu",
               "linalg.lu_old", "linalg.lu_unpack", "tg.lu_unpack", "ops_lu.lu_factor",
               "ops_lu.lu_factor_ex", "ops_lu.check_info", "ops_lu.lu", "ops_lu.lu_unpack",
               "ops_lu.unpack")),
    Op("linalg.lu_solve, lu_solve, Tensor.lu_solve", _lu_solve_run(tg), _lu_solve_run(torch),
       _lu_solve_case, sums=3, grad_sums=True, nan_ok=INF_G, rtol=1e-6,
       finite_upstream="the gradient solves with the upstream gradient twice; an inf there "
       "gives inf - inf in an order of its own",
       covers=("linalg.lu_solve", "tg.lu_solve", "Tensor.lu_solve", "linalg.lu_solve_old",
               "ops_lu.lu_solve")),
    Op("qr, Tensor.qr (old API, sign-invariant parts)", _qr_run(tg), _qr_run(torch), _qr_case,
       sums=3, grad_sums=True, nan_ok=INF_G, rtol=1e-6,
       covers=("tg.qr", "Tensor.qr", "linalg.qr_old")),
    Op("svd_lowrank, pca_lowrank (q = full rank: values and U S V^T)", _lowrank_run(tg),
       _lowrank_run(torch), _lowrank_case, sums=3, grad_sums=True, nan_ok=INF_G, rtol=1e-6,
       finite_upstream="the gradient goes through qr and svd, several products of it",
       covers=("tg.svd_lowrank", "tg.pca_lowrank")),
]


@pytest.mark.parametrize("op", LU3D_OPS, ids=lambda op: op.name)
@D.SETTINGS
@given(data=st.data())
def test_lu3d_matches_torch(op, data):
    D.check(op, data)
