"""LU, triangular solves and randomised low-rank svd / pca: known values, errors, seeds."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_dk as tg
from tinygrad_dk import gradcheck


def test_lu_known_pivots_and_reconstruction():
    a = tg.Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]))
    lu, piv = tg.linalg.lu_factor(a)
    assert piv.dtype == np.int32 and piv.tolist() == [2, 2]  # row 2 (3, 4) is the pivot
    p, low, up = tg.linalg.lu(a)
    assert np.allclose((p @ low @ up).numpy(), a.numpy())
    assert np.allclose(low.numpy(), [[1.0, 0.0], [1 / 3, 1.0]])


def test_lu_factor_refuses_singular_but_ex_reports_it():
    a = tg.Tensor(np.array([[1.0, 2.0], [2.0, 4.0]]))
    with pytest.raises(ValueError, match="singular"):
        tg.linalg.lu_factor(a)
    assert tg.linalg.lu_factor_ex(a).info.item() == 2


def test_solve_triangular_errors_name_the_fix():
    a = tg.Tensor(np.eye(3))
    with pytest.raises(ValueError, match="unsqueeze"):
        tg.linalg.solve_triangular(a, tg.Tensor(np.ones(3)), upper=True)
    with pytest.raises(ValueError, match="do not fit"):
        tg.linalg.solve_triangular(a, tg.Tensor(np.ones((2, 2))), upper=True)


def test_gradchecks_float64():
    rng = np.random.default_rng(0)
    a = tg.Tensor(rng.standard_normal((3, 3)) + 4 * np.eye(3), requires_grad=True)
    b = tg.Tensor(rng.standard_normal((3, 2)), requires_grad=True)
    assert gradcheck(lambda a, b: tg.linalg.solve_triangular(a, b, upper=False), [a, b])
    assert gradcheck(lambda a, b: tg.linalg.lu_solve(*tg.linalg.lu_factor(a), b), [a, b])
    w = tg.Tensor(rng.standard_normal((3, 5)), requires_grad=True)
    assert gradcheck(lambda w: tg.linalg.lu_factor(w).LU, [w])


def test_lowrank_is_seeded_and_spans_the_exact_subspace():
    a = np.random.default_rng(1).standard_normal((10, 4)) @ np.diag([5.0, 3.0, 1.0, 0.1])
    tg.manual_seed(3)
    u1, s1, v1 = tg.svd_lowrank(tg.Tensor(a), q=2)
    tg.manual_seed(3)
    u2, _, _ = tg.svd_lowrank(tg.Tensor(a), q=2)
    assert np.array_equal(u1.numpy(), u2.numpy())
    exact_v = np.linalg.svd(a)[2][:2].T
    proj = v1.numpy() @ v1.numpy().T
    assert np.allclose(proj, exact_v @ exact_v.T, atol=2e-2)  # subspaces, not signs
    assert np.allclose(s1.numpy(), np.linalg.svd(a)[1][:2], rtol=1e-2)
    with pytest.raises(ValueError, match="q must be"):
        tg.pca_lowrank(tg.Tensor(a), q=7)


@pytest.mark.parametrize("shape", [(0, 0), (2, 0, 0), (3, 0), (0, 3), (0, 3, 3)])
def test_lu_of_empty_matrices_has_torchs_shapes(shape):
    a = tg.Tensor(np.zeros(shape, np.float32))
    lu, piv, info = tg.linalg.lu_factor_ex(a)
    m, n = shape[-2:]
    assert lu.shape == shape and piv.shape == shape[:-2] + (min(m, n),)
    assert info.shape == shape[:-2] and not info.numpy().any()
    p, low, up = tg.linalg.lu(a)
    k = min(m, n)
    assert (p.shape, low.shape, up.shape) == tuple(shape[:-2] + s for s in [(m, m), (m, k), (k, n)])


def test_lu_unpack_leaves_out_what_is_not_asked_for_as_torch():
    lu, piv = tg.linalg.lu_factor(tg.Tensor(np.array([[1.0, 2.0], [3.0, 4.0]])))
    p, low, up = tg.lu_unpack(lu, piv, unpack_data=False)
    assert p.shape == (2, 2) and low.shape == up.shape == (0,)
    p, low, up = tg.lu_unpack(lu, piv, unpack_pivots=False)
    assert p.shape == (0,) and low.shape == up.shape == (2, 2)
