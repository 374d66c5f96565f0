"""The fused training operations after the speed work (issue 17): ``linear`` adds its bias
in place into its own product, ``softmax_cross_entropy`` can reduce inside the same
operation. Values, first and second derivatives against hand formulas, gradcheck and
PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import nn.functional as F
import tinygrad_dk as tg
from tinygrad_dk import Tensor, grad, gradcheck


def problem(seed: int = 0, n: int = 6, c: int = 4) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, c)) * 3, rng.integers(0, c, n)


def per_row(logits: np.ndarray, labels: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    return np.log(np.exp(z).sum(axis=1)) - z[np.arange(len(z)), labels]


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_cross_entropy_reductions_give_the_hand_values_and_gradients(reduction):
    logits, labels = problem()
    x = Tensor(logits, requires_grad=True)
    loss = tg.softmax_cross_entropy(x, labels, reduction=reduction)
    expected = {"none": per_row(logits, labels), "mean": per_row(logits, labels).mean(),
                "sum": per_row(logits, labels).sum()}[reduction]
    np.testing.assert_allclose(loss.data, expected, rtol=1e-13)
    assert loss.parents == (x,)  # one graph node, reduction included
    loss.backward(np.ones_like(loss.data))
    softmax = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    d = softmax - np.eye(logits.shape[1])[labels]
    np.testing.assert_allclose(x.grad.data, d / len(labels) if reduction == "mean" else d,
                               rtol=1e-12, atol=1e-15)
    assert gradcheck(lambda t: tg.softmax_cross_entropy(t, labels, reduction=reduction),
                     [Tensor(logits, requires_grad=True)])


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_cross_entropy_second_derivative_is_the_softmax_hessian(reduction):
    # d2 loss / dx_i dx_j for one row = diag(s) - s s^T (scaled by 1/N for the mean):
    # check a Hessian-vector product through create_graph against that formula.
    logits, labels = problem(1)
    v = np.random.default_rng(2).standard_normal(logits.shape)

    def loss(t):
        return tg.softmax_cross_entropy(t, labels, reduction=reduction)

    hvp = grad(lambda t: (grad(loss)(t) * v).sum())(Tensor(logits, requires_grad=True))
    s = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    expected = s * v - s * (s * v).sum(axis=1, keepdims=True)
    if reduction == "mean":
        expected /= len(labels)
    np.testing.assert_allclose(hvp.data, expected, rtol=1e-10, atol=1e-14)


def test_cross_entropy_mean_matches_torch_to_the_second_derivative():
    torch = pytest.importorskip("torch")
    logits, labels = problem(3, n=5, c=3)
    W0 = np.random.default_rng(4).standard_normal((3, 3))
    w = Tensor(W0, requires_grad=True)
    x = Tensor(logits)
    g = grad(lambda w: F.cross_entropy(F.linear(x, w), labels))(w)
    hvp = grad(lambda w: (grad(lambda u: F.cross_entropy(F.linear(x, u), labels))(w)
                          * W0).sum())(w)
    tw = torch.tensor(W0, requires_grad=True)
    t_loss = torch.nn.functional.cross_entropy(torch.tensor(logits) @ tw.T, torch.tensor(labels))
    (t_g,) = torch.autograd.grad(t_loss, tw, create_graph=True)
    (t_hvp,) = torch.autograd.grad((t_g * torch.tensor(W0)).sum(), tw)
    np.testing.assert_allclose(g.data, t_g.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(hvp.data, t_hvp.numpy(), rtol=1e-10, atol=1e-14)


def test_cross_entropy_rejects_an_unknown_reduction():
    logits, labels = problem()
    with pytest.raises(ValueError, match="'none', 'mean' or 'sum'"):
        tg.softmax_cross_entropy(Tensor(logits), labels, reduction="average")


def test_linear_adds_the_bias_without_touching_its_inputs():
    rng = np.random.default_rng(5)
    x0, w0, b0 = (rng.standard_normal(s).astype(np.float32) for s in ((4, 3), (2, 3), (2,)))
    x, w, b = Tensor(x0.copy()), Tensor(w0.copy(), requires_grad=True), Tensor(b0.copy())
    y = tg.linear(x, w, b)
    np.testing.assert_allclose(y.data, x0 @ w0.T + b0, rtol=1e-6)
    for t, original in ((x, x0), (w, w0), (b, b0)):
        np.testing.assert_array_equal(t.data, original)
    assert not np.shares_memory(y.data, b.data) and y.dtype == np.float32


def test_linear_with_mixed_dtypes_follows_numpy_promotion():
    x = Tensor(np.ones((2, 3), np.float32))
    w = Tensor(np.ones((2, 3), np.float32), requires_grad=True)
    y = tg.linear(x, w, np.array([0.5, 1.5]))  # a float64 bias: the result is float64
    assert y.dtype == np.float64
    np.testing.assert_array_equal(y.data, [[3.5, 4.5], [3.5, 4.5]])


@pytest.mark.parametrize("shape", [(3,), (4, 3), (2, 4, 3)])
def test_linear_gradients_for_one_example_a_batch_and_extra_axes(shape):
    rng = np.random.default_rng(6)
    assert gradcheck(tg.linear, [Tensor(rng.standard_normal(shape), requires_grad=True),
                                 Tensor(rng.standard_normal((2, 3)), requires_grad=True),
                                 Tensor(rng.standard_normal(2), requires_grad=True)])
    weight = rng.standard_normal((2, 3))
    hvp = grad(lambda w: (grad(lambda u: (tg.linear(Tensor(np.ones(shape)), u) ** 2).sum())(w)
                          * weight).sum())(Tensor(weight, requires_grad=True))
    x = np.ones(shape).reshape(-1, 3)
    np.testing.assert_allclose(hvp.data, 2 * weight @ x.T @ x, rtol=1e-12)
