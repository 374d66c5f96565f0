"""Reductions, scans, order statistics, products and ``linalg``: known values, the
gradients where they are delicate (zeros in a product, singular matrices, ties), the
errors for bad input, and both spellings (``dim=``/``keepdim=`` and ``axis=``/``keepdims=``).
The comparison with PyTorch on random inputs is ``test_differential_reduce.py``.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_dk as tg
from tinygrad_dk import Tensor, gradcheck

HAS_TORCH = importlib.util.find_spec("torch") is not None


def t64(data, grad=True):
    return Tensor(np.asarray(data, dtype=np.float64), requires_grad=grad)


def grad_of(f, x):
    """The gradient of sum(f(x) * weights) w.r.t. x, recorded (for second derivatives;
    gradcheck's numeric steps run in no_grad, where this still needs the graph)."""
    with tg.enable_grad():
        y = f(x)
        w = Tensor(np.arange(1.0, y.data.size + 1).reshape(y.shape))
        return tg.autograd.grad((y * w).sum(), x, create_graph=True)[0]


# --- prod and the scans ------------------------------------------------------------------------


def test_prod_gradient_is_the_product_of_the_others_with_zeros():
    x = t64([[2.0, 0.0, 3.0], [0.0, 0.0, 5.0], [1.0, 2.0, 4.0]])
    x.prod(dim=1).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[0, 6, 0], [0, 0, 0], [8, 4, 2]])


@pytest.mark.parametrize("data", [[2.0, 0.0, 3.0], [0.0, 0.0, 5.0], [1.5, -2.0, 4.0],
                                  [0.0, 0.0, 0.0]])
def test_prod_second_derivatives_with_zeros(data):
    x = t64(data)
    assert gradcheck(lambda v: v.prod(), [x])
    assert gradcheck(lambda v: grad_of(lambda u: u.prod(), v), [x])


def test_prod_keepdim_dtype_and_both_spellings():
    x = tg.tensor([[1, 2], [3, 4]])
    assert x.prod().item() == 24
    assert x.prod(1, keepdim=True).shape == (2, 1)
    np.testing.assert_array_equal(x.prod(axis=0, keepdims=False).data, [3, 8])
    assert tg.prod(x, dim=0, dtype=tg.float64).dtype == np.float64
    with pytest.raises(TypeError, match="keepdim"):
        x.prod(dim=0, keepdm=True)


@pytest.mark.parametrize("data", [[2.0, 0.0, 3.0, 4.0], [0.0, 2.0, 0.0, 3.0], [1.5, -2.0, 0.5]])
def test_cumprod_first_and_second_derivatives_with_zeros(data):
    x = t64(data)
    assert gradcheck(lambda v: v.cumprod(0), [x])
    assert gradcheck(lambda v: grad_of(lambda u: u.cumprod(dim=0), v), [x])


def test_cumsum_values_and_gradient_along_a_dim():
    x = t64([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    np.testing.assert_array_equal(tg.cumsum(x, dim=1).data, [[1, 3, 6], [4, 9, 15]])
    x.cumsum(0).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[2, 2, 2], [1, 1, 1]])
    np.testing.assert_array_equal(x.cumsum(axis=None).data, [1, 3, 6, 10, 15, 21])  # numpy
    with pytest.raises(TypeError, match="needs dim"):
        x.cumsum()


def test_logcumsumexp_is_stable_at_large_numbers():
    x = t64([1000.0, 1000.0, -1e30, 1e30])
    out = x.logcumsumexp(0)
    assert out.data[0] == 1000.0
    np.testing.assert_allclose(out.data[1:3], 1000 + np.log(2))
    assert out.data[3] == 1e30
    assert gradcheck(lambda v: v.logcumsumexp(0), [t64([0.5, -1.0, 3.0])])
    assert gradcheck(lambda v: grad_of(lambda u: u.logcumsumexp(0), v), [t64([0.5, -1.0, 3.0])])


def test_cummax_cummin_give_values_and_indices_with_later_ties():
    x = tg.tensor([1.0, 3.0, 3.0, 2.0, 3.0, 0.0])
    values, indices = x.cummax(0)
    np.testing.assert_array_equal(values.data, [1, 3, 3, 3, 3, 3])
    np.testing.assert_array_equal(indices.data, [0, 1, 2, 2, 4, 4])
    assert tg.cummin(x, dim=0).indices.data.tolist() == [0, 0, 0, 0, 0, 5]
    with pytest.raises(AttributeError, match="values"):
        x.cummax(0).sum()


def test_diff_with_prepend_and_append():
    x = tg.tensor([1.0, 4.0, 9.0])
    np.testing.assert_array_equal(x.diff().data, [3, 5])
    np.testing.assert_array_equal(tg.diff(x, n=2).data, [2])
    np.testing.assert_array_equal(x.diff(prepend=tg.tensor([0.0]),
                                         append=tg.tensor([16.0])).data, [1, 3, 5, 7])
    with pytest.raises(ValueError, match="at least 1 dimension"):
        tg.tensor(1.0).diff()


# --- order statistics --------------------------------------------------------------------------


def test_argsort_is_stable_and_puts_nan_largest():
    x = tg.tensor([2.0, np.nan, 1.0, 2.0])
    assert x.argsort().data.tolist() == [2, 0, 3, 1]
    assert tg.argsort(x, descending=True).data.tolist() == [1, 0, 3, 2]
    np.testing.assert_array_equal(tg.msort(tg.tensor([[3.0, 1.0], [1.0, 2.0]])).data,
                                  [[1, 1], [3, 2]])


def test_median_is_the_lower_median_and_nan_aware():
    x = tg.tensor([[1.0, 4.0, 2.0, 3.0], [5.0, np.nan, 1.0, 2.0]])
    assert tg.median(tg.tensor([1.0, 4.0, 2.0, 3.0])).item() == 2.0  # lower of 2 and 3
    values, indices = x.median(dim=1)
    assert values.data[0] == 2.0 and np.isnan(values.data[1])
    assert indices.data.tolist() == [2, 1]
    assert x.nanmedian(1).values.data.tolist() == [2.0, 2.0]
    assert np.isnan(x.median().item())


def test_median_without_dim_shares_the_gradient_among_ties():
    x = t64([1.0, 2.0, 2.0, 5.0, 2.0])
    x.median().backward()
    np.testing.assert_allclose(x.grad.data, [0, 1 / 3, 1 / 3, 0, 1 / 3])


def test_kthvalue_and_mode():
    x = tg.tensor([[3.0, 1.0, 2.0], [2.0, 2.0, 1.0]])
    assert x.kthvalue(2, 1).values.data.tolist() == [2.0, 2.0]
    values, indices = tg.mode(tg.tensor([2.0, 1.0, 2.0, 1.0, 3.0]))
    assert values.item() == 1.0 and indices.item() == 3  # smallest mode, last position
    with pytest.raises(IndexError, match="k=4"):
        x.kthvalue(4, 1)


def test_quantile_values_interpolations_and_gradient():
    x = t64([1.0, 2.0, 4.0, 8.0])
    assert x.quantile(0.5).item() == 3.0
    # (nearest: position 1.5 rounds half to even, to 2, as PyTorch)
    for how, want in [("lower", 2.0), ("higher", 4.0), ("midpoint", 3.0), ("nearest", 4.0)]:
        assert tg.quantile(x, 0.5, interpolation=how).item() == want
    q = x.quantile(tg.tensor([0.0, 1.0], dtype=tg.float64), dim=0, keepdim=True)
    assert q.shape == (2, 1) and q.data.ravel().tolist() == [1.0, 8.0]
    assert gradcheck(lambda v: v.quantile(0.4), [t64([0.3, -1.0, 2.0, 5.0])])
    assert np.isnan(tg.tensor([1.0, np.nan]).quantile(0.5).item())
    assert tg.tensor([1.0, np.nan, 3.0]).nanquantile(0.5).item() == 2.0
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        x.quantile(1.5)
    with pytest.raises(ValueError, match="interpolation"):
        x.quantile(0.5, interpolation="cubic")


def test_aminmax_nan_sums_and_counts():
    x = tg.tensor([[1.0, np.nan], [3.0, 0.0]])
    mn, mx = tg.aminmax(tg.tensor([1.0, 3.0, -2.0]))
    assert (mn.item(), mx.item()) == (-2.0, 3.0)
    assert tg.aminmax(tg.tensor([[1.0, 5.0]]), dim=1).max.data.tolist() == [5.0]
    assert x.nansum().item() == 4.0
    np.testing.assert_array_equal(x.nanmean(dim=0).data, [2.0, 0.0])
    assert x.count_nonzero().item() == 3  # NaN is not zero
    assert tg.count_nonzero(x, dim=1).data.tolist() == [2, 1]


def test_std_mean_var_mean_use_var_s_rules():
    x = tg.tensor([1.0, 2.0, 4.0])
    s, m = tg.std_mean(x)
    np.testing.assert_allclose([s.item(), m.item()], [np.std([1, 2, 4], ddof=1), 7 / 3],
                               rtol=1e-6)
    v, _ = x.var_mean(correction=0)
    np.testing.assert_allclose(v.item(), np.var([1, 2, 4]), rtol=1e-6)
    v, _ = x.var_mean(axis=0)  # numpy's spelling: divided by n
    np.testing.assert_allclose(v.item(), np.var([1, 2, 4]), rtol=1e-6)


# --- products ----------------------------------------------------------------------------------


def test_vector_products_and_their_errors():
    a, b = tg.tensor([1.0, 2.0, 3.0]), tg.tensor([4.0, 5.0, 6.0])
    assert a.dot(b).item() == 32 == tg.vdot(a, b).item() == tg.inner(a, b).item()
    assert tg.outer(a, b).shape == (3, 3) and a.ger(b).data[2, 0] == 12
    np.testing.assert_array_equal(tg.cross(a, b, dim=0).data, [-3, 6, -3])
    with pytest.warns(UserWarning, match="linalg.cross"):  # PyTorch's deprecated default
        tg.cross(a, b)
    np.testing.assert_array_equal(tg.linalg.cross(a, b).data, [-3, 6, -3])
    with pytest.raises(ValueError, match="1-D"):
        tg.dot(a.reshape(3, 1), b)
    with pytest.raises(ValueError, match="different lengths"):
        a.dot(b[:2])


def test_matrix_products_scaled_sums():
    c, a, b = tg.ones(2, 2), tg.eye(2) * 2, tg.tensor([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(tg.addmm(c, a, b, beta=0.5, alpha=2.0).data,
                                  [[4.5, 8.5], [12.5, 16.5]])
    nan = tg.full((2, 2), np.nan)
    assert not np.isnan(nan.addmm(a, b, beta=0).data).any()  # beta = 0 ignores c
    np.testing.assert_array_equal(nan.addmm(a, b, beta=0).data, a.data @ b.data)
    assert tg.bmm(tg.ones(3, 2, 4), tg.ones(3, 4, 5)).shape == (3, 2, 5)
    with pytest.raises(ValueError, match="batch"):
        tg.bmm(tg.ones(3, 2, 4), tg.ones(2, 4, 5))
    assert tg.mv(b, tg.tensor([1.0, 1.0])).data.tolist() == [3.0, 7.0]
    assert tg.trace(b).item() == 5.0
    assert tg.kron(tg.eye(2), b).shape == (4, 4)
    np.testing.assert_array_equal(tg.kron(tg.eye(2), b).data, np.kron(np.eye(2), b.data))
    np.testing.assert_array_equal(tg.kron(b, tg.ones(3)).data, np.kron(b.data, np.ones(3)))


def test_einsum_forms_and_gradients():
    rng = np.random.default_rng(0)
    a, b = t64(rng.normal(size=(2, 3))), t64(rng.normal(size=(3, 4)))
    np.testing.assert_allclose(tg.einsum("ij,jk->ik", a, b).data, a.data @ b.data)
    np.testing.assert_allclose(tg.einsum("ij,jk", [a, b]).data, a.data @ b.data)
    sq = t64(rng.normal(size=(3, 3)))
    assert tg.einsum("ii", sq).item() == pytest.approx(np.trace(sq.data))
    batch = t64(rng.normal(size=(5, 2, 3)))
    assert tg.einsum("...ij,jk->...ik", batch, b).shape == (5, 2, 4)
    for eq, ops in [("ij,jk->ik", (a, b)), ("ii->i", (sq,)), ("ij->", (a,)),
                    ("iij->j", (t64(rng.normal(size=(2, 2, 3))),)),
                    ("...ij,jk->...ik", (batch, b))]:
        assert gradcheck(lambda *v, eq=eq: tg.einsum(eq, *v), list(ops))
        first = ops[0]
        assert gradcheck(lambda v, eq=eq, ops=ops: grad_of(
            lambda u: tg.einsum(eq, u, *ops[1:]), v), [first])
    with pytest.raises(ValueError, match="operand"):
        tg.einsum("ij,jk->ik", a)
    with pytest.raises(ValueError, match="length"):
        tg.einsum("ij,jk->ik", a, a)


def test_tensordot_with_an_int_and_with_lists():
    a, b = tg.ones(2, 3, 4), tg.ones(3, 4, 5)
    assert tg.tensordot(a, b, 2).shape == (2, 5)
    assert tg.tensordot(a, b, dims=([1], [0])).shape == (2, 4, 4, 5)
    rng = np.random.default_rng(1)  # which axes meet: numbers that differ show it
    a, b = t64(rng.normal(size=(2, 3, 4))), t64(rng.normal(size=(4, 3, 5)))
    np.testing.assert_allclose(tg.tensordot(a, b, dims=([1, 2], [1, 0])).data,
                               np.tensordot(a.data, b.data, axes=([1, 2], [1, 0])))
    np.testing.assert_allclose(tg.tensordot(a, b, 1).data, np.tensordot(a.data, b.data, 1))


def test_cdist_gradient_is_zero_at_zero_distance():
    x = t64([[0.0, 0.0], [3.0, 4.0]])
    y = t64([[0.0, 0.0]])
    d = tg.cdist(x, y)
    np.testing.assert_allclose(d.data.ravel(), [0.0, 5.0])
    d.sum().backward()
    assert np.isfinite(x.grad.data).all()
    np.testing.assert_allclose(x.grad.data, [[0, 0], [0.6, 0.8]])
    huge = tg.cdist(tg.tensor([[3e30, 4e30]]), tg.tensor([[0.0, 0.0]]))  # no overflow
    np.testing.assert_allclose(huge.data, [[5e30]], rtol=1e-6)


def test_dist_and_norms():
    a = tg.tensor([[3.0, 4.0], [0.0, 0.0]])
    assert tg.dist(a, tg.zeros(2, 2)).item() == 5.0
    assert tg.linalg.norm(a).item() == 5.0
    assert tg.linalg.norm(a, ord=1).item() == 4.0  # largest column sum
    assert tg.linalg.matrix_norm(a, ord=np.inf).item() == 7.0  # largest row sum
    assert tg.linalg.vector_norm(a, ord=0).item() == 2.0
    # 'nuc' (the sum of the singular values) is supported since the decompositions
    np.testing.assert_allclose(tg.linalg.matrix_norm(a, ord="nuc").numpy(),
                               np.linalg.norm(a.numpy(), "nuc"), rtol=1e-5)


# --- linalg ------------------------------------------------------------------------------------


def test_inv_det_solve_values_and_gradients():
    a = t64([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]])
    b = t64([[1.0, 2.0], [0.0, 1.0], [3.0, 1.0]])
    np.testing.assert_allclose((a.inverse() @ a).data, np.eye(3), atol=1e-12)
    assert a.det().item() == pytest.approx(np.linalg.det(a.data))
    np.testing.assert_allclose(tg.linalg.solve(a, b).data, np.linalg.solve(a.data, b.data))
    assert tg.linalg.solve(a, tg.tensor(np.ones(3))).shape == (3,)
    for f, inputs in [(tg.linalg.inv, [a]), (tg.det, [a]), (tg.linalg.solve, [a, b]),
                      (lambda m: tg.linalg.slogdet(m).logabsdet, [a])]:
        assert gradcheck(f, inputs)
        assert gradcheck(lambda m, f=f, rest=inputs[1:]: grad_of(lambda u: f(u, *rest), m),
                         [inputs[0]])


@pytest.mark.parametrize("data", [[[1.0, 2.0], [2.0, 4.0]], [[0.0, 0.0], [0.0, 4.0]],
                                  [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]],
                                  [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]])
def test_det_gradient_at_a_singular_matrix_is_the_adjugate(data):
    a = t64(data)
    assert gradcheck(tg.det, [a])  # (PyTorch 2.13 gives 0 here)
    assert gradcheck(lambda m: grad_of(tg.det, m), [a])


def test_singular_matrices_give_a_clear_error():
    singular = tg.tensor([[1.0, 2.0], [2.0, 4.0]])
    with pytest.raises(ValueError, match="singular"):
        tg.inverse(singular)
    with pytest.raises(ValueError, match="singular"):
        tg.linalg.solve(singular, tg.ones(2))
    assert tg.det(singular).item() == 0.0
    assert tg.linalg.slogdet(singular).logabsdet.item() == -np.inf
    with pytest.raises(ValueError, match="square"):
        tg.linalg.inv(tg.ones(2, 3))


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 4), st.integers(0, 2**32 - 1))
def test_inverse_times_matrix_is_identity_and_det_multiplies(n, seed):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n, n)) + 3 * np.eye(n)
    b = rng.normal(size=(n, n)) + 3 * np.eye(n)
    ta, tb = Tensor(a), Tensor(b)
    np.testing.assert_allclose((tg.inverse(ta) @ ta).data, np.eye(n), atol=1e-9)
    assert tg.det(ta @ tb).item() == pytest.approx(tg.det(ta).item() * tg.det(tb).item(),
                                                   rel=1e-9)


@pytest.mark.parametrize("name, call", [
    ("median", lambda x: x.median(dim=5)), ("nanmedian", lambda x: x.nanmedian(dim=-4)),
    ("mode", lambda x: x.mode(5)), ("quantile", lambda x: x.quantile(0.5, dim=5)),
    ("nanquantile", lambda x: x.nanquantile(0.5, dim=5)),
])
def test_an_order_statistic_with_a_wrong_dim_names_itself(name, call):
    with pytest.raises(IndexError, match=f"^{name}: dim -?[45] is out of range"):
        call(tg.ones(2, 3))



NUMBER_DIM_CALLS = {  # name: the call, with tinygrad_dk or torch as ``lib``
    "sum": lambda lib, x, d: x.sum(d),
    "mean": lambda lib, x, d: x.mean(dim=d),
    "lib.mean": lambda lib, x, d: lib.mean(x, d, keepdim=True),
    "var": lambda lib, x, d: x.var(d, correction=0),
    "std": lambda lib, x, d: x.std(dim=d, unbiased=False),
    "var_mean": lambda lib, x, d: lib.var_mean(x, d, correction=0)[1],
    "logsumexp": lambda lib, x, d: x.logsumexp(d),
    "amax": lambda lib, x, d: x.amax(d),
    "flip": lambda lib, x, d: x.flip(d),
    "vector_norm": lambda lib, x, d: lib.linalg.vector_norm(x, dim=d),
}


@pytest.mark.parametrize("name", NUMBER_DIM_CALLS)
@pytest.mark.parametrize("dim", [0, -1])
def test_a_numbers_only_dim_is_all_of_it(name, dim):
    # PyTorch accepts dim 0 (or -1) for a 0-d tensor and reduces over it; numpy refuses
    call = NUMBER_DIM_CALLS[name]
    x = t64(-3.0)
    y = call(tg, x, dim)
    expected = {"var": 0.0, "std": 0.0, "vector_norm": 3.0}.get(name, -3.0)
    assert y.shape == () and y.item() == expected
    y.backward()
    assert x.grad is not None and x.grad.shape == ()
    if HAS_TORCH:
        import torch

        tx = torch.tensor(-3.0, dtype=torch.float64, requires_grad=True)
        ty = call(torch, tx, dim)
        ty.backward()
        assert ty.item() == expected and tx.grad.item() == x.grad.item()
