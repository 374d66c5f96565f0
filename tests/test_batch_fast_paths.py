"""The fast paths for a batch of short rows give the same numbers as the plain ones.

A classifier's scores are many short rows, (256, 10), and numpy reduces those one row
at a time, slowly. So the softmax family finds each row's maximum over a transposed
copy and sums each row as a matrix-vector product (``ops_softmax._row_max`` and
``_row_sum``), and a bias's gradient (N, C) -> (C,) is summed as ``1 @ g``
(``tensor_base.unbroadcast``). These tests check those paths against references that
do not use them: each row computed alone (below the batch size where the fast path
starts), sums in float64 with ``math.fsum``, the textbook formulas, and PyTorch when
it is installed. Extreme rows (all -inf, +inf, nan, 1e30, float32's largest) are mixed
into the batch, because a transposed copy or a BLAS call must not change what IEEE
arithmetic says about them.
"""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
import nn.functional as F
import tinygrad_dk as tg
from tinygrad_dk import Tensor
from tinygrad_dk.ops_softmax import _row_max, _row_sum, _short_rows
from tinygrad_dk.tensor_base import unbroadcast

INF = np.inf


def _scores(n: int, c: int, dtype, seed: int = 0, scale: float = 3.0) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal((n, c)) * scale).astype(dtype)


def _with_extreme_rows(x: np.ndarray) -> np.ndarray:
    """x with a few rows replaced by the cases IEEE arithmetic decides."""
    x = x.copy()
    big = np.finfo(x.dtype).max
    c = x.shape[1]
    x[0] = -INF  # every class impossible
    x[1, 0] = INF  # one certain class
    x[2] = np.nan
    x[3] = big  # all at the largest float: uniform
    if c > 1:
        x[4, :] = -INF
        x[4, 1] = 0.0  # one possible class among impossible ones
        x[5, 0] = 1e30 if x.dtype == np.float64 else big
    return x


def _one_row_at_a_time(fn, x: np.ndarray) -> np.ndarray:
    """fn applied to each row alone: a batch of one never takes the fast path."""
    assert not _short_rows(x[:1], 1)
    return np.concatenate([fn(x[i:i + 1]) for i in range(len(x))])


def test_the_fast_path_is_taken_for_a_classifier_batch_only():
    assert _short_rows(np.zeros((256, 10), np.float32), 1)
    assert _short_rows(np.zeros((256, 10), np.float64), -1)
    assert not _short_rows(np.zeros((256, 10), np.float32), 0)  # along the batch
    assert not _short_rows(np.zeros((256, 1000), np.float32), 1)  # long rows
    assert not _short_rows(np.zeros((8, 10), np.float32), 1)  # a few rows
    assert not _short_rows(np.zeros((256, 10), np.int64), 1)
    assert not _short_rows(np.zeros((4, 256, 10), np.float32), -1)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("c", [1, 2, 10, 32])
def test_row_max_and_sum_equal_numpy_row_by_row(dtype, c):
    x = _with_extreme_rows(_scores(300, c, dtype))
    np.testing.assert_array_equal(_row_max(x, 1), x.max(axis=1, keepdims=True))
    e = np.exp(x - np.nanmax(x[np.isfinite(x)]))
    e[~np.isfinite(e)] = 0.5
    e[0, 0] = np.nan
    if c > 1:
        e[1, 1] = INF
    exact = np.array([[math.fsum(row.astype(np.float64))] for row in e])
    got = _row_sum(e, 1)
    assert got.dtype == e.dtype and got.shape == (300, 1)
    np.testing.assert_allclose(got.astype(np.float64), exact,
                               rtol=4 * c * np.finfo(dtype).eps)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("c", [1, 3, 10, 32])
def test_softmax_and_log_softmax_of_a_batch_equal_the_rows_alone(dtype, c):
    x = _with_extreme_rows(_scores(256, c, dtype, seed=c))
    for fn in (tg.softmax, tg.log_softmax):
        batch = fn(Tensor(x), axis=1).numpy()
        alone = _one_row_at_a_time(lambda r, fn=fn: fn(Tensor(r), axis=1).numpy(), x)
        assert batch.dtype == dtype
        # a log-probability near 0 is a difference of numbers near 1: a few ulps of 1
        tol = 2 * c * np.finfo(dtype).eps
        np.testing.assert_allclose(batch, alone, rtol=tol, atol=8 * tol)


def test_softmax_of_the_extreme_rows_follows_ieee():
    x = _with_extreme_rows(_scores(128, 4, np.float32))
    p = tg.softmax(Tensor(x), axis=1).numpy()
    assert np.isnan(p[0]).all()  # all -inf: 0 / 0, as PyTorch
    # one +inf score: the row is not shifted (its maximum is not finite), so inf / inf
    # is nan and every finite score gets 0, as for the row alone
    assert np.isnan(p[1, 0]) and (p[1, 1:] == 0).all()
    assert np.isnan(p[2]).all()
    np.testing.assert_allclose(p[3], 0.25)
    np.testing.assert_array_equal(p[4], [0, 1, 0, 0])
    np.testing.assert_allclose(p[5], [1, 0, 0, 0])
    np.testing.assert_allclose(p[6:].sum(axis=1), 1, rtol=1e-6)


def _textbook_cross_entropy(x: np.ndarray, labels: np.ndarray):
    """Per-row loss and softmax - one_hot, in float64 with exact row sums."""
    x = x.astype(np.float64)
    m = x.max(axis=1, keepdims=True)
    e = np.exp(x - m)
    s = np.array([[math.fsum(row)] for row in e])
    loss = (np.log(s[:, 0]) + m[:, 0]) - x[np.arange(len(x)), labels]
    grad = e / s
    grad[np.arange(len(x)), labels] -= 1
    return loss, grad


@pytest.mark.parametrize("dtype,rtol", [(np.float32, 2e-5), (np.float64, 1e-12)])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_of_a_batch_against_the_textbook(dtype, rtol, reduction):
    n, c = 256, 10
    x = _scores(n, c, dtype, seed=7)
    labels = np.random.default_rng(8).integers(0, c, n)
    upstream = np.random.default_rng(9).standard_normal(n).astype(dtype)
    loss_rows, grad_rows = _textbook_cross_entropy(x, labels)
    t = Tensor(x, requires_grad=True)
    loss = F.cross_entropy(t, labels, reduction=reduction)
    if reduction == "none":
        loss.backward(upstream)
        want_loss, want_grad = loss_rows, grad_rows * upstream[:, None].astype(np.float64)
    elif reduction == "mean":
        loss.backward()
        want_loss, want_grad = loss_rows.mean(), grad_rows / n
    else:
        loss.backward()
        want_loss, want_grad = loss_rows.sum(), grad_rows
    assert loss.dtype == dtype and t.grad.dtype == dtype
    np.testing.assert_allclose(loss.numpy(), want_loss, rtol=rtol)
    np.testing.assert_allclose(t.grad.numpy(), want_grad, rtol=rtol, atol=rtol * 1e-3)


def test_cross_entropy_gradient_in_float64_passes_gradcheck_on_a_batch():
    x = Tensor(_scores(64, 3, np.float64, seed=3), requires_grad=True)
    labels = np.random.default_rng(4).integers(0, 3, 64)
    assert tg.gradcheck(lambda t: F.cross_entropy(t, labels), [x])
    assert tg.gradcheck(lambda t: tg.log_softmax(t, axis=1).sum(axis=1).std(), [x])


def test_second_derivative_of_cross_entropy_on_a_batch_still_recorded():
    """create_graph=True takes the recorded path, not the in-place one."""
    x = Tensor(_scores(64, 4, np.float64, seed=5), requires_grad=True)
    labels = np.random.default_rng(6).integers(0, 4, 64)
    loss = F.cross_entropy(x, labels, reduction="sum")
    (g,) = tg.autograd.grad(loss, [x], create_graph=True)
    (gg,) = tg.autograd.grad((g * g).sum(), [x])
    # d/dx sum((p - y)^2) = 2 J^T (p - y), J = diag(p) - p p^T per row
    p = tg.softmax(x, axis=1).numpy()
    d = p.copy()
    d[np.arange(64), labels] -= 1
    want = 2 * (p * d - p * (p * d).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(gg.numpy(), want, rtol=1e-10, atol=1e-14)


@given(n=st.integers(64, 200), c=st.integers(1, 32), scale=st.sampled_from([1e-3, 1.0, 1e3]),
       seed=st.integers(0, 2**16), dtype=st.sampled_from([np.float32, np.float64]))
def test_cross_entropy_batch_equals_rows_alone(n, c, scale, seed, dtype):
    x = _scores(n, c, dtype, seed, scale)
    labels = np.random.default_rng(seed + 1).integers(0, c, n)
    t = Tensor(x, requires_grad=True)
    F.cross_entropy(t, labels, reduction="sum").backward()
    per_row = np.concatenate([
        F.cross_entropy(Tensor(x[i:i + 1]), labels[i:i + 1], reduction="none").numpy()
        for i in range(n)])
    grads = []
    for i in range(n):
        r = Tensor(x[i:i + 1], requires_grad=True)
        F.cross_entropy(r, labels[i:i + 1], reduction="sum").backward()
        grads.append(r.grad.numpy())
    tol = 8 * c * np.finfo(dtype).eps
    np.testing.assert_allclose(F.cross_entropy(Tensor(x), labels, reduction="none").numpy(),
                               per_row, rtol=tol, atol=tol)
    np.testing.assert_allclose(t.grad.numpy(), np.concatenate(grads), rtol=tol, atol=tol)


# --- a bias's gradient: (N, C) summed to (C,) as 1 @ g ---------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(256, 10), (1, 7), (300, 1), (2048, 3)])
def test_bias_gradient_is_the_exact_column_sum(dtype, shape):
    g = _scores(*shape, dtype, seed=11)
    got = unbroadcast(g, shape[1:])
    assert got.shape == shape[1:] and got.dtype == dtype
    exact = [math.fsum(col) for col in g.astype(np.float64).T]
    np.testing.assert_allclose(got, exact, rtol=0, atol=shape[0] * np.finfo(dtype).eps * 4)


def test_bias_gradient_sum_keeps_ieee_results():
    g = np.ones((100, 4), np.float32)
    g[3, 0] = np.nan
    g[5, 1], g[6, 1] = INF, -INF
    g[7, 2] = INF
    g[:, 3] = np.finfo(np.float32).max  # overflows: inf, as a plain sum
    b = Tensor(np.zeros(4, np.float32), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and backward stays quiet about it
        (Tensor(np.zeros((100, 4), np.float32)) + b).backward(g)
    got = b.grad.numpy()
    assert np.isnan(got[0]) and np.isnan(got[1]) and got[2] == INF and got[3] == INF
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(got, g.sum(axis=0))


def test_linear_bias_gradient_in_a_training_step():
    layer = nn.Linear(5, 3, dtype=np.float64)
    x = Tensor(_scores(128, 5, np.float64, seed=12))
    upstream = _scores(128, 3, np.float64, seed=13)
    layer(x).backward(upstream)
    np.testing.assert_allclose(layer.bias.grad.numpy(),
                               [math.fsum(col) for col in upstream.T], rtol=1e-13)
    np.testing.assert_allclose(layer.weight.grad.numpy(), upstream.T @ x.numpy(), rtol=1e-12)
    b = Tensor(np.zeros(3), requires_grad=True)
    (x[:, :3] + b).sum().backward()  # the broadcasting add takes the same path
    np.testing.assert_array_equal(b.grad.numpy(), [128.0, 128.0, 128.0])


def test_batch_cross_entropy_matches_pytorch():
    torch = pytest.importorskip("torch")
    x = _with_extreme_rows(_scores(256, 10, np.float32, seed=14))[3:]  # finite rows
    x[0] = np.finfo(np.float32).max
    labels = np.random.default_rng(15).integers(0, 10, len(x))
    t = Tensor(x, requires_grad=True)
    loss = F.cross_entropy(t, labels)
    loss.backward()
    tt = torch.tensor(x, requires_grad=True)
    tl = torch.nn.functional.cross_entropy(tt, torch.tensor(labels))
    tl.backward()
    np.testing.assert_allclose(loss.item(), tl.item(), rtol=1e-6)
    np.testing.assert_allclose(t.grad.numpy(), tt.grad.numpy(), rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(tg.log_softmax(Tensor(x), axis=1).numpy(),
                               torch.log_softmax(torch.tensor(x), 1).numpy(), rtol=1e-6, atol=1e-6)


# --- relu: float32 max(x, 0) against a row of zeros ---------------------------------------


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("shape", [(), (7,), (256, 10), (3, 4, 5)])
def test_relu_is_max_with_zero_to_the_bit(dtype, shape):
    special = np.array([-0.0, 0.0, np.nan, np.inf, -np.inf, 1.5, -2.5,
                        np.finfo(dtype).tiny, -np.finfo(dtype).tiny], dtype)
    x = np.resize(np.concatenate([special, _scores(1, 50, dtype)[0]]), shape).astype(dtype)
    got = tg.relu(Tensor(x)).numpy()
    want = np.maximum(x, dtype(0))
    assert got.dtype == dtype and got.shape == want.shape
    bits = {2: np.uint16, 4: np.uint32, 8: np.uint64}[np.dtype(dtype).itemsize]
    np.testing.assert_array_equal(np.asarray(got).view(bits), np.asarray(want).view(bits))


# --- fit's check of the data: one vdot first, the full check only when it is not finite --


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_check_finite_takes_huge_numbers_and_finds_every_nan_and_inf(dtype):
    from nn.training.checks import check_finite
    big = np.finfo(dtype).max
    X = np.full((50, 4), big / 2, dtype)  # finite, but the sum of squares overflows
    X[::2] *= -1
    check_finite(X, "X")
    check_finite(X[:, ::2], "X")  # a strided view is checked too
    for bad in (np.nan, np.inf, -np.inf):
        Y = _scores(50, 4, dtype)
        Y[17, 2] = bad
        with pytest.raises(ValueError, match="1 of 50 rows"):
            check_finite(Y, "X")
        with pytest.raises(ValueError, match="1 of 50 rows"):
            check_finite(Y[:, 1:], "X")
