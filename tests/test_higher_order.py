"""Derivatives of derivatives: create_graph=True, nested grad, Hessian-vector products.

Every built-in derivative rule is written with differentiable Tensor operations,
so differentiating a gradient again must give the analytic second derivative.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_dk as tg
from tinygrad_dk import Tensor, grad, gradcheck, value_and_grad


def floats(lo, hi):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def vectors(elements):
    return hnp.arrays(np.float64, st.integers(1, 5), elements=elements)


ANY, POSITIVE = floats(-3.0, 3.0), floats(0.2, 3.0)
AWAY_FROM_ZERO = st.tuples(floats(0.1, 3.0), st.sampled_from([-1.0, 1.0])).map(
    lambda p: p[0] * p[1]
)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


# name -> (f applied elementwise, f'' in closed form, where to sample)
SECOND_DERIVATIVES = {
    "exp": (lambda x: x.exp(), np.exp, ANY),
    "log": (lambda x: x.log(), lambda x: -1 / x**2, POSITIVE),
    "sqrt": (lambda x: x.sqrt(), lambda x: -0.25 * x**-1.5, POSITIVE),
    # tanh' = 1 - t^2, tanh'' = -2 t (1 - t^2)
    "tanh": (lambda x: x.tanh(), lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2), ANY),
    # s' = s (1 - s), s'' = s (1 - s) (1 - 2 s)
    "sigmoid": (lambda x: x.sigmoid(),
                lambda x: _sigmoid(x) * (1 - _sigmoid(x)) * (1 - 2 * _sigmoid(x)), ANY),
    "x**3": (lambda x: x**3, lambda x: 6 * x, ANY),
    "x**2.5": (lambda x: x**2.5, lambda x: 2.5 * 1.5 * x**0.5, POSITIVE),
    "x**-1": (lambda x: x**-1, lambda x: 2 / x**3, AWAY_FROM_ZERO),
    "1/x": (lambda x: 1 / x, lambda x: 2 / x**3, AWAY_FROM_ZERO),
    # d^2/dx^2 2^x = (ln 2)^2 2^x
    "2**x": (lambda x: 2.0**x, lambda x: np.log(2.0) ** 2 * 2.0**x, ANY),
    # d^2/dx^2 x^x = x^x ((ln x + 1)^2 + 1/x): exercises both vjps of power
    "x**x": (lambda x: x**x, lambda x: x**x * ((np.log(x) + 1) ** 2 + 1 / x), POSITIVE),
    "x*x*x (product rule)": (lambda x: x * x * x, lambda x: 6 * x, ANY),
    "x/(1+x*x)": (lambda x: x / (1 + x * x), lambda x: (2 * x**3 - 6 * x) / (1 + x * x) ** 3,
                  ANY),
    # piecewise-linear functions have second derivative 0 away from the kinks
    "relu": (lambda x: x.relu(), np.zeros_like, AWAY_FROM_ZERO),
    "leaky_relu": (lambda x: x.leaky_relu(0.1), np.zeros_like, AWAY_FROM_ZERO),
    "abs": (lambda x: x.abs(), np.zeros_like, AWAY_FROM_ZERO),
    "relu(x)**2": (lambda x: x.relu() ** 2, lambda x: 2.0 * (x > 0), AWAY_FROM_ZERO),
    "abs(x)**3": (lambda x: x.abs() ** 3, lambda x: 6 * np.abs(x), AWAY_FROM_ZERO),
}


@pytest.mark.parametrize("name", list(SECOND_DERIVATIVES))
def test_nested_grad_gives_the_analytic_second_derivative(name):
    f, second, elements = SECOND_DERIVATIVES[name]

    def total(x):
        return f(x).sum()

    @given(vectors(elements))
    def check(x0):
        # For an elementwise f, grad(sum f)(x) = f'(x), and the gradient of sum f'(x)
        # is f''(x) elementwise.
        d2 = grad(lambda x: grad(total)(x).sum())(x0)
        np.testing.assert_allclose(d2.data, second(x0), rtol=1e-9, atol=1e-9)

    check()


# relu, leaky_relu and abs have a gradient that does not depend on x at all (a constant
# mask), so it carries no graph to differentiate again.
SMOOTH = [name for name in SECOND_DERIVATIVES if name not in ("relu", "leaky_relu", "abs")]


@pytest.mark.parametrize("name", SMOOTH)
def test_backward_create_graph_then_backward_again(name):
    f, second, _ = SECOND_DERIVATIVES[name]
    x0 = np.array([0.4, 1.3, 2.2])  # positive and away from 0: in every domain above
    x = Tensor(x0, requires_grad=True)
    f(x).sum().backward(create_graph=True)
    first = x.grad
    assert first.requires_grad  # the gradient carries a graph
    x.grad = None
    first.sum().backward()
    np.testing.assert_allclose(x.grad.data, second(x0), rtol=1e-9, atol=1e-12)


def test_create_graph_with_an_explicit_gradient_argument():
    # y = x^2 with upstream v: x.grad = 2 x v; d/dx sum(2 x v) = 2 v
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    v = np.array([0.5, -1.0, 2.0])
    (x * x).backward(v, create_graph=True)
    g = x.grad
    np.testing.assert_array_equal(g.data, 2 * x.data * v)
    x.grad = None
    g.sum().backward()
    np.testing.assert_array_equal(x.grad.data, 2 * v)


def test_third_derivative():
    # f = sum x^4: f' = 4x^3, f'' = 12x^2, f''' = 24x
    def d(fn):
        return lambda x: grad(fn)(x).sum()

    x0 = np.array([1.0, -2.0, 0.5])
    third = grad(d(d(lambda x: (x**4).sum())))(x0)
    np.testing.assert_allclose(third.data, 24 * x0)


def test_mixed_partial_derivative():
    # f(x, y) = sum(x * y^2): df/dx = y^2, d/dy sum(df/dx) = 2y
    x0, y0 = np.array([1.0, 2.0]), np.array([3.0, -4.0])

    def dfdx_sum(y, x):
        return grad(lambda x, y: (x * y * y).sum())(x, y).sum()

    np.testing.assert_allclose(grad(dfdx_sum)(y0, x0).data, 2 * y0)


def test_hessian_vector_product_by_hand():
    # f(x) = sum(x^3) + x0*x1.  grad f = 3x^2 + (x1, x0, 0).
    # Hessian H = diag(6x) + [[0, 1, 0], [1, 0, 0], [0, 0, 0]].
    # At x = (1, 2, 3): H = [[6, 1, 0], [1, 12, 0], [0, 0, 18]];
    # with v = (1, -1, 2): H v = (6 - 1, 1 - 12, 36) = (5, -11, 36).
    def f(x):
        return (x**3).sum() + x[0] * x[1]

    x0 = np.array([1.0, 2.0, 3.0])
    v = Tensor(np.array([1.0, -1.0, 2.0]))
    hvp = grad(lambda x: (grad(f)(x) * v).sum())(x0)
    np.testing.assert_allclose(hvp.data, [5.0, -11.0, 36.0])


def _hessian(f, x0):
    """The full Hessian, one row per nested grad: row j = grad of (grad f)_j."""
    rows = [grad(lambda x, j=j: grad(f)(x)[j])(x0).data for j in range(len(x0))]
    return np.array(rows)


@given(vectors(ANY), st.data())
def test_softmax_hessian(x0, data):
    # f = sum_k c_k s_k with s = softmax(x).  df/dx_i = s_i (c_i - f), and
    # d2f/dx_i dx_j = s_i (delta_ij - s_j)(c_i - f) - s_i s_j (c_j - f).
    c = data.draw(hnp.arrays(np.float64, x0.shape, elements=ANY))
    ct = Tensor(c)
    s = np.exp(x0 - x0.max()) / np.exp(x0 - x0.max()).sum()
    f = float(c @ s)
    expected = (np.diag(s * (c - f)) - np.outer(s * (c - f), s) - np.outer(s, s * (c - f)))
    H = _hessian(lambda x: (tg.softmax(x) * ct).sum(), x0)
    np.testing.assert_allclose(H, expected, rtol=1e-8, atol=1e-10)


@given(vectors(ANY), st.data())
def test_log_softmax_hessian(x0, data):
    # f = sum_k c_k (x_k - logsumexp x) = c . x - C logsumexp(x), C = sum c.
    # The Hessian of logsumexp is diag(s) - s s^T, so H = -C (diag(s) - s s^T).
    c = data.draw(hnp.arrays(np.float64, x0.shape, elements=ANY))
    ct = Tensor(c)
    s = np.exp(x0 - x0.max()) / np.exp(x0 - x0.max()).sum()
    expected = -c.sum() * (np.diag(s) - np.outer(s, s))
    H = _hessian(lambda x: (tg.log_softmax(x) * ct).sum(), x0)
    np.testing.assert_allclose(H, expected, rtol=1e-8, atol=1e-10)


# Non-elementwise ops: their second derivatives are checked numerically by running
# gradcheck on the gradient function itself.
SECOND_ORDER_NUMERIC = {
    "matmul": (lambda x: ((x @ x.T).tanh()).sum(), (2, 3)),
    "mean/var": (lambda x: x.var(axis=0).sum() * x.mean(), (3, 2)),
    "max": (lambda x: (x.max(axis=1) ** 2).sum(), (2, 3)),
    "logsumexp": (lambda x: x.logsumexp(axis=1).sum() ** 2, (2, 3)),
    "broadcast": (lambda x: ((x[:, :1] * x) ** 2).sum(), (2, 3)),
    "getitem": (lambda x: (x[np.array([0, 0, 1])] ** 3).sum(), (2, 3)),
    "concatenate": (lambda x: (tg.concatenate([x, x * x], axis=1) ** 2).sum(), (2, 2)),
    "stack": (lambda x: (tg.stack([x.exp(), x]) ** 2).sum(), (2, 2)),
    "where": (lambda x: tg.where(x.data > 0, x**3, x * 2.0).sum(), (2, 3)),
    "maximum": (lambda x: (tg.maximum(x, x * 0.5 + 0.3) ** 2).sum(), (2, 3)),
    "transpose/reshape": (lambda x: ((x.T.reshape(-1)) ** 3 * tg.arange(6.0)).sum(), (2, 3)),
    "softmax": (lambda x: (x.softmax(axis=0) * x).sum(), (3, 2)),
    "sigmoid*tanh": (lambda x: (x.sigmoid() * x.tanh()).sum(), (2, 2)),
}


@pytest.mark.parametrize("name", list(SECOND_ORDER_NUMERIC))
def test_gradient_function_passes_gradcheck(name, rng):
    f, shape = SECOND_ORDER_NUMERIC[name]
    # well away from ties and kinks: distinct values with gaps of at least 0.1
    x0 = (rng.permutation(np.prod(shape)).reshape(shape) - 2.5) * 0.3 + 0.05
    x = Tensor(x0, requires_grad=True)
    assert gradcheck(lambda t: grad(f)(t), [x])


def test_value_and_grad_returns_both():
    # f(a, b) = sum(a * b^2): df/da = b^2, df/db = 2ab
    a0, b0 = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    value, (ga, gb) = value_and_grad(lambda a, b: (a * b * b).sum(), argnums=(0, 1))(a0, b0)
    assert value.item() == 1 * 9 + 2 * 16
    np.testing.assert_array_equal(ga.data, b0**2)
    np.testing.assert_array_equal(gb.data, 2 * a0 * b0)


def test_grad_of_an_unused_argument_is_zero():
    g = grad(lambda a, b: Tensor(b).sum() * 2.0, argnums=0)(np.array([1.0, 2.0]),
                                                             np.array([3.0]))
    np.testing.assert_array_equal(g.data, [0.0, 0.0])


def test_grad_does_not_touch_the_callers_tensor():
    x = Tensor(np.array([1.0, 2.0]))
    g = grad(lambda t: (t * t).sum())(x)
    np.testing.assert_array_equal(g.data, [2.0, 4.0])
    assert x.requires_grad is False and x.grad is None


def test_grad_of_a_non_scalar_function_is_a_type_error():
    with pytest.raises(TypeError, match="one-element"):
        grad(lambda x: x * 2)(np.array([1.0, 2.0]))


def test_piecewise_linear_gradient_needs_no_graph():
    x = Tensor(np.array([-1.0, 2.0]), requires_grad=True)
    x.relu().sum().backward(create_graph=True)
    np.testing.assert_array_equal(x.grad.data, [0.0, 1.0])  # its derivative is 0 anyway


def test_grad_under_no_grad_still_computes_the_gradient():
    # As torch.func.grad: an outer no_grad does not turn grad(f) into zeros; it only
    # means the result carries no graph. d/dx x^3 = 3x^2 = 12 at x = 2.
    with tg.no_grad():
        value, g = value_and_grad(lambda x: (x**3).sum())(np.array([2.0]))
    assert g.item() == 12.0 and value.item() == 8.0
    assert g.requires_grad is False and value.requires_grad is False
