"""What a forward pass saves for its derivative (``Primitive(..., residual=True)``).

The fused cross-entropy computes the softmax on its way to the loss and keeps it, so
the plain backward pass does not compute it again. These tests check the mechanism
itself (what a plain call returns, what reaches the vjp in a plain and in a recorded
backward) and that the saved numbers are used without being changed: backward may
run through the same graph again, and must then give the same gradient.
"""

import numpy as np
import pytest

import nn
import tinygrad_dk as tg
from tinygrad_dk import Primitive, Tensor

seen: list = []


def _square_forward(x):
    # x^2, with 2x as the residual the derivative needs
    return x * x, 2 * x


def _square_vjp(g, out, x, residual=None):
    seen.append(None if residual is None else residual.copy())
    slope = residual if residual is not None else 2 * x
    return g * slope


square = Primitive("square_with_residual", _square_forward, _square_vjp, residual=True)


def test_a_plain_call_returns_the_result_only():
    out = square(np.array([1.0, 3.0]))
    assert isinstance(out, np.ndarray)
    np.testing.assert_array_equal(out, [1.0, 9.0])


def test_the_recorded_op_keeps_the_residual_and_the_plain_backward_gets_it():
    seen.clear()
    x = Tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
    y = square(x)
    np.testing.assert_array_equal(y.data, [1.0, 4.0, 9.0])
    np.testing.assert_array_equal(y._ctx.residual, [2.0, -4.0, 6.0])
    y.sum().backward()
    assert len(seen) == 1 and seen[0] is not None
    np.testing.assert_array_equal(seen[0], [2.0, -4.0, 6.0])
    np.testing.assert_array_equal(x.grad.data, [2.0, -4.0, 6.0])


def test_a_recorded_backward_gets_no_residual_and_can_differentiate_again():
    seen.clear()
    x = Tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
    (g,) = tg.autograd.grad(square(x).sum(), [x], create_graph=True)
    assert seen == [None]  # the Tensor path, so that the derivative is recorded
    np.testing.assert_array_equal(g.data, [2.0, -4.0, 6.0])
    g.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 2.0, 2.0])


def test_an_op_without_a_grad_keeps_no_residual():
    x = Tensor(np.array([1.0, 2.0]))
    assert square(x)._ctx is None


def _softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(256, 10), (5, 3)])  # the short-rows path and the plain one
def test_cross_entropy_saves_its_softmax_and_keeps_it_across_backward_passes(reduction, shape):
    rng = np.random.default_rng(1)
    logits = rng.standard_normal(shape) * 3
    labels = rng.integers(0, shape[1], shape[0])
    x = Tensor(logits, requires_grad=True)
    loss = tg.softmax_cross_entropy(x, labels, reduction=reduction)
    np.testing.assert_allclose(loss._ctx.residual, _softmax(logits), rtol=1e-12)
    saved = loss._ctx.residual.copy()
    upstream = np.ones(shape[0]) if reduction == "none" else None
    expected = _softmax(logits)
    expected[np.arange(shape[0]), labels] -= 1
    if reduction == "mean":
        expected /= shape[0]
    loss.backward(upstream)
    np.testing.assert_allclose(x.grad.data, expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(loss._ctx.residual, saved)  # the vjp worked on a copy
    loss.backward(upstream)  # through the same graph again: leaves accumulate
    np.testing.assert_allclose(x.grad.data, 2 * expected, rtol=1e-12, atol=1e-15)


def test_cross_entropy_refuses_a_stale_residual():
    # the residual belongs to the logits as they were: changed in place, backward refuses
    logits = Tensor(np.random.default_rng(2).standard_normal((4, 3)), requires_grad=True)
    hidden = logits * 1.0
    loss = tg.softmax_cross_entropy(hidden, np.array([0, 1, 2, 0]), reduction="mean")
    hidden.data[0, 0] = 100.0
    with pytest.raises(RuntimeError):
        loss.backward()


def test_relu_mask_from_the_output_is_the_mask_of_the_input():
    # relu's derivative reads x > 0 off relu(x) > 0: the same, also for -0, nan and inf
    values = np.array([-np.inf, -1.0, -0.0, 0.0, 1e-45, 2.0, np.inf, np.nan], np.float32)
    x = Tensor(values, requires_grad=True)
    y = x.relu()
    y.backward(np.full(values.shape, 3.0, np.float32))
    np.testing.assert_array_equal(x.grad.data, np.where(values > 0, 3.0, 0.0))


def test_a_training_step_with_the_saved_softmax_matches_the_textbook():
    # nn.CrossEntropyLoss on a Linear layer: the weight gradient is x^T (softmax - onehot)/N
    rng = np.random.default_rng(3)
    X = rng.standard_normal((64, 5))
    y = rng.integers(0, 4, 64)
    layer = nn.Linear(5, 4).double()
    loss = nn.CrossEntropyLoss()(layer(Tensor(X)), Tensor(y))
    loss.backward()
    z = X @ layer.weight.data.T + layer.bias.data
    d = _softmax(z)
    d[np.arange(64), y] -= 1
    d /= 64
    np.testing.assert_allclose(layer.weight.grad.data, d.T @ X, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(layer.bias.grad.data, d.sum(axis=0), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("op", ["relu", "clip", "maximum"])
@pytest.mark.parametrize("extreme", [False, True])
def test_kink_gradients_are_g_where_kept_and_zero_elsewhere(dtype, op, extreme):
    # the mask multiplies as uint8 (faster than bool); the answer stays np.where's, also
    # where the upstream gradient is inf or nan and the kink sends 0 (extreme=True: that
    # case takes np.where itself; False: the product alone)
    rng = np.random.default_rng(4)
    x = rng.standard_normal((64, 33)).astype(dtype)
    upstream = rng.standard_normal((64, 33)).astype(dtype)
    if extreme:
        upstream[0, :4] = upstream[1, :4] = [np.inf, -np.inf, np.nan, -0.0]
        x[0, :4] = -1.0  # cut off: the gradient is 0 even for an inf or nan upstream
        x[1, :4] = 1.0  # kept: the upstream passes as it is
    t = Tensor(x, requires_grad=True)
    if op == "relu":
        y, keep = t.relu(), x > 0
    elif op == "clip":
        y, keep = tg.clip(t, -0.5, 0.5), (x >= -0.5) & (x <= 0.5)
    else:
        y, keep = tg.maximum(t, np.zeros_like(x)), x > 0
    y.backward(upstream)
    expected = np.where(keep, upstream, np.zeros((), dtype))
    assert t.grad.data.dtype == dtype
    np.testing.assert_array_equal(t.grad.data, expected)  # (nan where expected is nan)
