"""nn.functional: activations, dropout and the fused linear primitive."""

import math

import numpy as np
import pytest

import nn.functional as F
import tinygrad_dk as tg
from tinygrad_dk import Tensor, Value, gradcheck


def f64(a, grad=True):
    return Tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


# --------------------------------------------------------------------- activations


def test_activation_values():
    x = Tensor([-2.0, 0.0, 3.0])
    np.testing.assert_allclose(F.relu(x).data, [0, 0, 3])
    np.testing.assert_allclose(F.leaky_relu(x).data, [-0.02, 0, 3])
    np.testing.assert_allclose(F.leaky_relu(x, negative_slope=0.5).data, [-1, 0, 3])
    np.testing.assert_allclose(F.sigmoid(x).data, 1 / (1 + np.exp([2.0, 0.0, -3.0])), rtol=1e-6)
    np.testing.assert_allclose(F.tanh(x).data, np.tanh([-2.0, 0.0, 3.0]), rtol=1e-6)


def test_activations_accept_values():
    v = Value(-2.0)
    assert F.relu(v).data == 0.0
    assert F.leaky_relu(v, 0.1).data == pytest.approx(-0.2)
    assert F.sigmoid(Value(0.0)).data == 0.5
    assert F.tanh(Value(0.5)).data == pytest.approx(math.tanh(0.5))


def test_softmax_and_log_softmax():
    # softmax([0, 0, ln 2]) = [1, 1, 2] / 4
    x = Tensor(np.array([[0.0, 0.0, math.log(2)]]))
    np.testing.assert_allclose(F.softmax(x).data, [[0.25, 0.25, 0.5]])
    np.testing.assert_allclose(F.log_softmax(x, axis=1).data, np.log([[0.25, 0.25, 0.5]]))
    big = Tensor(np.array([1000.0, -1000.0]))
    assert np.all(np.isfinite(F.log_softmax(big).data))
    np.testing.assert_allclose(F.softmax(big).data, [1.0, 0.0])


def test_softmax_axis_0_sums_columns_to_one():
    x = Tensor(np.random.default_rng(0).standard_normal((3, 4)))
    np.testing.assert_allclose(F.softmax(x, axis=0).data.sum(axis=0), np.ones(4))


# -------------------------------------------------------------------------- dropout


def test_dropout_eval_and_p0_return_input_unchanged():
    x = Tensor(np.ones((4, 4)))
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x


def test_dropout_p1_zeroes_everything():
    x = f64(np.ones((3, 3)))
    y = F.dropout(x, 1.0)
    np.testing.assert_array_equal(y.data, 0.0)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, 0.0)


def test_dropout_is_inverted_and_seeded():
    tg.manual_seed(0)
    x = f64(np.ones((200, 50)))
    y = F.dropout(x, p=0.2)
    kept = y.data != 0
    # survivors are scaled by 1 / (1 - 0.2) = 1.25, so the mean stays about 1
    np.testing.assert_allclose(y.data[kept], 1.25)
    assert abs(kept.mean() - 0.8) < 0.02
    assert abs(y.data.mean() - 1.0) < 0.03
    y.sum().backward()  # the gradient is the same mask times 1.25
    np.testing.assert_allclose(x.grad.data, np.where(kept, 1.25, 0.0))
    tg.manual_seed(0)
    np.testing.assert_array_equal(F.dropout(x, p=0.2).data, y.data)
    assert F.dropout(x, p=0.2).dtype == np.float64


def test_dropout_float32_stays_float32():
    assert F.dropout(Tensor(np.ones(5, np.float32)), 0.5).dtype == np.float32


@pytest.mark.parametrize("p", [-0.1, 1.5, True])
def test_dropout_rejects_bad_p(p):
    with pytest.raises(ValueError, match="probability"):
        F.dropout(Tensor([1.0]), p)


# --------------------------------------------------------------------------- linear


def test_linear_matches_numpy(rng):
    x, w, b = rng.standard_normal((5, 3)), rng.standard_normal((4, 3)), rng.standard_normal(4)
    y = F.linear(Tensor(x), Tensor(w), Tensor(b))
    np.testing.assert_allclose(y.data, x @ w.T + b)
    assert y.shape == (5, 4)
    np.testing.assert_allclose(F.linear(Tensor(x), Tensor(w)).data, x @ w.T)
    np.testing.assert_allclose(F.linear(x, Tensor(w), Tensor(b)).data, x @ w.T + b)


def test_linear_is_one_node():
    w = f64(np.ones((2, 3)))
    y = F.linear(Tensor(np.ones((1, 3))), w, f64(np.zeros(2)))
    assert y.op == "linear"


def test_linear_gradients_by_hand():
    # y = x W^T + b with x = [[1, 2]], W = [[3, 4]], b = [5]: y = 1*3 + 2*4 + 5 = 16
    # dy/dx = W = [[3, 4]], dy/dW = x = [[1, 2]], dy/db = 1
    x, w, b = f64([[1.0, 2.0]]), f64([[3.0, 4.0]]), f64([5.0])
    y = F.linear(x, w, b)
    assert y.item() == 16.0
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[3, 4]])
    np.testing.assert_array_equal(w.grad.data, [[1, 2]])
    np.testing.assert_array_equal(b.grad.data, [1])


@pytest.mark.parametrize("x_shape", [(5, 3), (3,), (2, 4, 3), (1, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_gradcheck(rng, x_shape, bias):
    x, w = f64(rng.standard_normal(x_shape)), f64(rng.standard_normal((4, 3)))
    inputs = [x, w] + ([f64(rng.standard_normal(4))] if bias else [])
    assert gradcheck(lambda *a: F.linear(*a), inputs)


def test_linear_gradients_equal_the_composite(rng):
    x, w, b = (f64(rng.standard_normal(s)) for s in [(6, 5), (3, 5), (3,)])
    g = rng.standard_normal((6, 3))
    F.linear(x, w, b).backward(g)
    fused = [t.grad.data.copy() for t in (x, w, b)]
    for t in (x, w, b):
        t.grad = None
    (x @ w.T + b).backward(g)
    for got, t in zip(fused, (x, w, b)):
        np.testing.assert_allclose(got, t.grad.data, rtol=1e-12)


def test_linear_second_derivative(rng):
    # f(x, W) = sum(tanh(x W^T)); d/dx f is differentiable again: compare the
    # gradient of sum(d f/d x) w.r.t. W with the composite formula's.
    x0, w0 = rng.standard_normal((2, 3)), rng.standard_normal((4, 3))

    def second(lin):
        x, w = f64(x0), f64(w0)
        gx = tg.grad(lambda x_: lin(x_, w).tanh().sum())(x)
        gx.sum().backward()
        return w.grad.data

    np.testing.assert_allclose(second(F.linear), second(lambda x, w: x @ w.T), rtol=1e-10)


def test_linear_float32_stays_float32():
    w = Tensor(np.ones((2, 3), np.float32), requires_grad=True)
    y = F.linear(Tensor(np.ones((4, 3), np.float32)), w, Tensor(np.zeros(2, np.float32)))
    assert y.dtype == np.float32
    y.sum().backward()
    assert w.grad.dtype == np.float32


def test_linear_shape_errors_name_in_features():
    w = Tensor(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"in_features=3") as err:
        F.linear(Tensor(np.ones((5, 7))), w)
    assert "(5, 7)" in str(err.value)
    with pytest.raises(ValueError, match=r"bias"):
        F.linear(Tensor(np.ones((5, 3))), w, Tensor(np.ones(3)))
    with pytest.raises(ValueError, match=r"out_features, in_features"):
        F.linear(Tensor(np.ones((5, 3))), Tensor(np.ones(3)))
