"""Deep and wide graphs: a million-deep Value chain, a 100,000-deep Tensor chain and a
node with 1,000 consumers, all against closed-form gradients.

The backward passes run under a recursion limit of about 200 frames: anything
recursive in the graph walk or the backward loop would raise RecursionError.
"""

import math
import sys

import numpy as np
import pytest

from tinygrad_dk import Tensor, Value, grad, no_grad


def _depth():
    frame, n = sys._getframe(), 0
    while frame is not None:
        frame, n = frame.f_back, n + 1
    return n


@pytest.fixture
def low_recursion_limit():
    """Allow only ~200 Python frames (a little more if pytest already uses many)."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(200, _depth() + 100))
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


def test_low_recursion_limit_really_is_low(low_recursion_limit):
    def recurse(n):
        return 0 if n == 0 else 1 + recurse(n - 1)

    with pytest.raises(RecursionError):
        recurse(300)


def test_million_deep_value_chain_with_a_shared_factor(low_recursion_limit):
    # y = x * c * c * ... * c (a million multiplications) = x c^N, one node per step,
    # and c is used by every step: dy/dx = c^N, dy/dc = N x c^(N-1).
    n, x0, c0 = 1_000_000, 1.5, 1.0 - 1e-6
    x, c = Value(x0), Value(c0)
    y = x
    for _ in range(n):
        y = y * c
    y.backward()
    assert math.isclose(y.data, x0 * c0 ** n, rel_tol=1e-8)
    assert math.isclose(x.grad, c0 ** n, rel_tol=1e-8)
    assert math.isclose(c.grad, n * x0 * c0 ** (n - 1), rel_tol=1e-8)


def test_hundred_thousand_deep_tensor_chain(low_recursion_limit):
    # The same chain on Tensors: y = x * c^N elementwise, then summed.
    n = 100_000
    x0, c0 = np.array([1.0, -2.0, 3.0]), np.array([1.0 - 1e-5, 1.0, 1.0 + 1e-5])
    x, c = Tensor(x0, requires_grad=True), Tensor(c0, requires_grad=True)
    y = x
    for _ in range(n):
        y = y * c
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, c0 ** n, rtol=1e-8)
    np.testing.assert_allclose(c.grad.data, n * x0 * c0 ** (n - 1), rtol=1e-8)


def test_deep_tensor_chain_of_mixed_ops(low_recursion_limit):
    # y <- tanh(y) + 0.5 y, repeated: compare with the same recursion done by hand.
    n = 500  # each derivative factor is ~0.58: 500 of them (~1e-117) stay above 0
    x = Tensor(np.array([0.3, -1.2]), requires_grad=True)
    y = x
    for _ in range(n):
        y = y.tanh() + 0.5 * y
    y.sum().backward()
    v, dv = np.array([0.3, -1.2]), np.ones(2)
    for _ in range(n):
        t = np.tanh(v)
        dv = dv * (1 - t * t + 0.5)
        v = t + 0.5 * v
    np.testing.assert_allclose(y.data, v, rtol=1e-10)
    np.testing.assert_allclose(x.grad.data, dv, rtol=1e-8)


def test_grad_function_on_a_deep_chain(low_recursion_limit):
    def f(t):
        for _ in range(10_000):
            t = t * 1.0001
        return t.sum()

    g = grad(f)(Tensor(np.ones(2), requires_grad=True))
    np.testing.assert_allclose(np.asarray(g), 1.0001 ** 10_000, rtol=1e-10)


def test_value_used_by_a_thousand_consumers(low_recursion_limit):
    # y = sum_k w_k x^2 with w_k = k/1000: dy/dx = 2 x sum_k w_k = 2 x 500.5.
    x = Value(3.0)
    sq = x * x
    terms = [sq * (k / 1000) for k in range(1, 1001)]
    y = terms[0]
    for t in terms[1:]:
        y = y + t
    y.backward()
    assert math.isclose(x.grad, 2 * 3.0 * 500.5, rel_tol=1e-12)
    assert math.isclose(sq.grad, 500.5, rel_tol=1e-12)


def test_tensor_used_by_a_thousand_consumers(low_recursion_limit):
    # y = sum_k exp(x) * k / 1000: each of the 1000 ops consumes x's exp directly.
    x0 = np.array([0.5, -1.0])
    x = Tensor(x0, requires_grad=True)
    e = x.exp()
    y = sum(e * (k / 1000) for k in range(1, 1001))
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, 500.5 * np.exp(x0), rtol=1e-12)


def test_backward_twice_on_a_wide_node_accumulates_exactly(low_recursion_limit):
    x = Tensor(np.array([2.0]), requires_grad=True)
    y = sum(x * k for k in range(1000)).sum()
    y.backward()
    y.backward()
    np.testing.assert_array_equal(x.grad.data, [2 * sum(range(1000))])


def test_a_deep_chain_built_under_no_grad_keeps_no_graph():
    x = Tensor(np.ones(3), requires_grad=True)
    with no_grad():
        y = x
        for _ in range(10_000):
            y = y * 1.0
    assert y.parents == () and not y.requires_grad
