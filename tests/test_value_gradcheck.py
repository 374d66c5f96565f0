"""Every Value op, gradient-checked at many random points (hypothesis).

Each unary op is checked twice: against its closed-form derivative written out
here, and numerically with ``gradcheck`` (central differences). Points are kept
away from kinks (relu/abs/leaky_relu at 0) and outside the domain of log/sqrt.
"""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_dk import Value, gradcheck


def floats(lo, hi):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def away_from_zero(lo=0.05, hi=4.0):
    """Floats with lo <= |x| <= hi, either sign: keeps kinks at 0 out of the picture."""
    return st.tuples(floats(lo, hi), st.sampled_from([-1.0, 1.0])).map(lambda p: p[0] * p[1])


anywhere = floats(-4.0, 4.0)
positive = floats(0.1, 5.0)


def _sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x))


# name -> (apply the op, closed-form derivative, where to sample x)
UNARY = {
    "neg": (lambda v: -v, lambda x: -1.0, anywhere),
    "exp": (lambda v: v.exp(), math.exp, anywhere),
    "log": (lambda v: v.log(), lambda x: 1 / x, positive),
    "sqrt": (lambda v: v.sqrt(), lambda x: 0.5 / math.sqrt(x), positive),
    "tanh": (lambda v: v.tanh(), lambda x: 1 - math.tanh(x) ** 2, anywhere),
    "sigmoid": (lambda v: v.sigmoid(), lambda x: _sigmoid(x) * (1 - _sigmoid(x)), anywhere),
    "relu": (lambda v: v.relu(), lambda x: 1.0 if x > 0 else 0.0, away_from_zero()),
    "leaky_relu": (lambda v: v.leaky_relu(), lambda x: 1.0 if x > 0 else 0.01, away_from_zero()),
    "leaky_relu(0.2)": (
        lambda v: v.leaky_relu(alpha=0.2), lambda x: 1.0 if x > 0 else 0.2, away_from_zero()
    ),
    "abs": (lambda v: v.abs(), lambda x: math.copysign(1.0, x), away_from_zero()),
    "square": (lambda v: v**2, lambda x: 2 * x, anywhere),
    "cube": (lambda v: v**3, lambda x: 3 * x * x, anywhere),
    "**-1.5": (lambda v: v**-1.5, lambda x: -1.5 * x**-2.5, positive),
    "**0.5": (lambda v: v**0.5, lambda x: 0.5 * x**-0.5, positive),
    "**0": (lambda v: v**0, lambda x: 0.0, anywhere),  # constant: slope 0, even at x = 0
}


@pytest.mark.parametrize("name", list(UNARY))
def test_unary_op_gradient(name):
    op, derivative, where = UNARY[name]

    @given(where)
    def check(x):
        v = Value(x)
        op(v).backward()
        assert v.grad == pytest.approx(derivative(x), rel=1e-9, abs=1e-12)
        assert gradcheck(op, [Value(x)])

    check()


# name -> (f(a, b), df/da, df/db, sampling for a, sampling for b)
BINARY = {
    "+": (lambda a, b: a + b, lambda a, b: 1.0, lambda a, b: 1.0, anywhere, anywhere),
    "-": (lambda a, b: a - b, lambda a, b: 1.0, lambda a, b: -1.0, anywhere, anywhere),
    "*": (lambda a, b: a * b, lambda a, b: b, lambda a, b: a, anywhere, anywhere),
    "/": (lambda a, b: a / b, lambda a, b: 1 / b, lambda a, b: -a / b**2, anywhere,
          away_from_zero(0.2)),
    # x^e with both Values: e x^(e-1) and x^e ln x
    "**": (lambda a, b: a**b, lambda a, b: b * a ** (b - 1), lambda a, b: a**b * math.log(a),
           positive, floats(-2.5, 2.5)),
}


@pytest.mark.parametrize("name", list(BINARY))
def test_binary_op_gradient(name):
    f, dfa, dfb, where_a, where_b = BINARY[name]

    @given(where_a, where_b)
    def check(a, b):
        va, vb = Value(a), Value(b)
        f(va, vb).backward()
        assert va.grad == pytest.approx(dfa(a, b), rel=1e-9, abs=1e-12)
        assert vb.grad == pytest.approx(dfb(a, b), rel=1e-9, abs=1e-12)
        assert gradcheck(f, [Value(a), Value(b)])

    check()


scalar_kinds = st.sampled_from([int, float, np.float64, np.float32, np.int64])


@given(scalar_kinds, st.integers(-5, 5), away_from_zero(0.2, 3.0))
def test_reflected_ops_with_scalar_on_the_left(kind, c_int, x):
    # For y = c (op) x the derivative in x is: 1, -1, c, -c/x^2
    c = kind(c_int)
    for f, d in [
        (lambda v: c + v, 1.0),
        (lambda v: c - v, -1.0),
        (lambda v: c * v, float(c_int)),
        (lambda v: c / v, -c_int / x**2),
    ]:
        v = Value(x)
        y = f(v)
        assert isinstance(y, Value)
        y.backward()
        assert v.grad == pytest.approx(d, rel=1e-9, abs=1e-12)
        assert gradcheck(f, [Value(x)])


@given(scalar_kinds, st.integers(1, 5), floats(-2.0, 2.0))
def test_reflected_power_scalar_base(kind, base, x):
    # y = base^x, dy/dx = base^x ln(base)
    c = kind(base)
    v = Value(x)
    y = c**v
    y.backward()
    assert y.data == pytest.approx(base**x, rel=1e-6)
    assert v.grad == pytest.approx(base**x * math.log(base), rel=1e-6, abs=1e-12)
    assert gradcheck(lambda v: c**v, [Value(x)])


@given(scalar_kinds, st.integers(-4, 4), anywhere)
def test_ops_with_scalar_on_the_right(kind, c_int, x):
    c = kind(c_int)
    assert gradcheck(lambda v: (v + c) * c - v / (abs(c_int) + 1) + v ** kind(2), [Value(x)])


@given(st.integers(1, 6).flatmap(lambda n: st.lists(anywhere, min_size=2 * n + 1,
                                                    max_size=2 * n + 1)))
def test_weighted_sum_gradient(numbers):
    n = len(numbers) // 2
    ws = [Value(x) for x in numbers[:n]]
    xs = [Value(x) for x in numbers[n:2 * n]]
    b = Value(numbers[-1])
    z = Value.weighted_sum(ws, xs, b)
    assert z.data == pytest.approx(sum(w.data * x.data for w, x in zip(ws, xs)) + b.data)

    def neuron(*vs):
        return Value.weighted_sum(list(vs[:n]), list(vs[n:2 * n]), vs[-1]).tanh()

    assert gradcheck(neuron, [*ws, *xs, b])


@given(st.lists(st.sampled_from(["exp", "tanh", "sigmoid", "square", "neg"]), min_size=1,
                max_size=6), floats(-1.0, 1.0))
def test_random_compositions_of_smooth_ops(names, x):
    # A chain of smooth ops, mixed with the input again at each step (x reused).
    def f(v):
        y = v
        for name in names:
            y = UNARY[name][0](y) * 0.5 + v * 0.25  # keeps values small: no overflow
        return y

    assert gradcheck(f, [Value(x)])


@given(anywhere, anywhere, away_from_zero(0.2))
def test_expression_with_shared_subexpressions(a, b, c):
    def f(a, b, c):
        h = a * b + c  # used three times below
        return h.tanh() * h + h / c - (a - b).sigmoid() * h

    assert gradcheck(f, [Value(a), Value(b), Value(c)])


def test_power_zero_at_zero_has_zero_gradient():
    x = Value(0.0)
    y = x**0
    y.backward()
    assert y.data == 1.0
    assert x.grad == 0.0
