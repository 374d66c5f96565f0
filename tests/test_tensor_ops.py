"""Every Tensor op, property-tested: random shapes, values and upstream gradients.

For each op and each random example, ``check_op``

1. compares the forward result with a plain numpy reference,
2. backpropagates a random upstream gradient ``v`` and checks that the inputs
   were not mutated and that no ``.grad`` shares memory with any ``.data`` or
   with another input's ``.grad``,
3. gradient-checks ``sum(f(x) * v)`` numerically (float64, central differences).

Values are sampled away from kinks (relu/abs at 0, clip bounds, ties in
max/min) and inside the domain of log/sqrt/power, where the derivative exists.
"""

import itertools
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_dk as tg
from tinygrad_dk import Tensor, gradcheck

# ------------------------------------------------------------------ strategies


def floats(lo, hi):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, width=64)


ANY = floats(-3.0, 3.0)
POSITIVE = floats(0.2, 3.0)
AWAY_FROM_ZERO = st.tuples(floats(0.05, 3.0), st.sampled_from([-1.0, 1.0])).map(
    lambda p: p[0] * p[1]
)
AWAY_FROM_ONE = floats(-3.0, 3.0).filter(lambda x: abs(abs(x) - 1.0) > 0.05)  # clip(-1, 1)

small_shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)
nonscalar_shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)


def arrays(shape, elements=ANY):
    return hnp.arrays(np.float64, shape, elements=elements)


@st.composite
def distinct_arrays(draw, shape):
    """An array whose elements are all different by at least 0.25 (no ties for max/min)."""
    size = int(np.prod(shape))
    order = draw(st.permutations(range(size)))
    return (np.array(order, dtype=np.float64).reshape(shape) - size / 2) * 0.25


@st.composite
def axes_for(draw, ndim):
    """numpy's axis argument for an array of ndim: None, an int (maybe negative), or a tuple."""
    if ndim == 0:
        return None
    kind = draw(st.sampled_from(["none", "int", "tuple"]))
    if kind == "none":
        return None
    if kind == "int":
        return draw(st.integers(-ndim, ndim - 1))
    axes = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
    return tuple(a - ndim if draw(st.booleans()) else a for a in axes)  # mix negative axes


# ------------------------------------------------------------------ the checker


def check_op(fn, arrays_in, upstream, reference=None, grad_inputs=None):
    """Run the three checks of the module docstring on ``fn(*tensors)``.

    ``grad_inputs`` lists the indices of inputs that require grad (default: all).
    """
    grad_inputs = range(len(arrays_in)) if grad_inputs is None else grad_inputs
    originals = [np.array(a, copy=True) for a in arrays_in]
    tensors = [Tensor(np.array(a, copy=True), requires_grad=i in grad_inputs)
               for i, a in enumerate(arrays_in)]
    out = fn(*tensors)
    if reference is not None:
        np.testing.assert_allclose(out.data, reference(*originals), rtol=1e-12, atol=1e-12)
    assert out.dtype == np.float64

    upstream = np.asarray(upstream, dtype=np.float64).reshape(out.shape)
    upstream_copy = upstream.copy()
    out.backward(upstream)
    np.testing.assert_array_equal(upstream, upstream_copy)  # the upstream gradient untouched
    grads = []
    for i, (t, original) in enumerate(zip(tensors, originals)):
        np.testing.assert_array_equal(t.data, original, err_msg=f"input {i} was mutated")
        if i in grad_inputs:
            assert t.grad is not None and t.grad.shape == t.shape and t.grad.dtype == t.dtype
            grads.append(t.grad.data)
        else:
            assert t.grad is None
    for g in grads:
        for t in tensors:
            assert not np.shares_memory(g, t.data)
    for g, h in itertools.combinations(grads, 2):
        assert not np.shares_memory(g, h)

    fresh = [Tensor(np.array(a, copy=True), requires_grad=i in grad_inputs)
             for i, a in enumerate(arrays_in)]
    v = Tensor(upstream)
    assert gradcheck(lambda *xs: (fn(*xs) * v).sum(), fresh)
    # backward(v) and the gradient of sum(f * v) are the same vector-Jacobian product
    (fn(*fresh) * v).sum().backward()
    for t, g in zip([f for i, f in enumerate(fresh) if i in grad_inputs], grads):
        np.testing.assert_allclose(t.grad.data, g, rtol=1e-12, atol=1e-12)
    return tensors


def upstream_for(data, shape):
    return data.draw(arrays(shape, floats(-2.0, 2.0)), label="upstream gradient")


# ------------------------------------------------------------------ elementwise, one input


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


UNARY = {
    "neg": (lambda x: -x, np.negative, ANY),
    "exp": (lambda x: x.exp(), np.exp, ANY),
    "tg.exp": (tg.exp, np.exp, ANY),
    "log": (lambda x: x.log(), np.log, POSITIVE),
    "sqrt": (lambda x: x.sqrt(), np.sqrt, POSITIVE),
    "abs": (lambda x: x.abs(), np.abs, AWAY_FROM_ZERO),
    "tanh": (lambda x: x.tanh(), np.tanh, ANY),
    "sigmoid": (lambda x: x.sigmoid(), _sigmoid, ANY),
    "relu": (lambda x: x.relu(), lambda x: np.maximum(x, 0), AWAY_FROM_ZERO),
    "leaky_relu": (lambda x: x.leaky_relu(), lambda x: np.where(x > 0, x, 0.01 * x),
                   AWAY_FROM_ZERO),
    "leaky_relu(0.2)": (lambda x: tg.leaky_relu(x, 0.2), lambda x: np.where(x > 0, x, 0.2 * x),
                        AWAY_FROM_ZERO),
    "clip(-1,1)": (lambda x: x.clip(-1.0, 1.0), lambda x: np.clip(x, -1, 1), AWAY_FROM_ONE),
    "clip(min=-1)": (lambda x: x.clip(min=-1.0), lambda x: np.maximum(x, -1), AWAY_FROM_ONE),
    "clip(max=1)": (lambda x: x.clip(max=1.0), lambda x: np.minimum(x, 1), AWAY_FROM_ONE),
    "x**2": (lambda x: x**2, np.square, ANY),
    "x**3": (lambda x: x**3, lambda x: x**3, ANY),
    "x**0.5": (lambda x: x**0.5, np.sqrt, POSITIVE),
    "x**-1": (lambda x: x**-1, lambda x: 1 / x, AWAY_FROM_ZERO),
    "2**x": (lambda x: 2.0**x, lambda x: 2.0**x, ANY),
    "2-x": (lambda x: 2 - x, lambda x: 2 - x, ANY),
    "2+x": (lambda x: 2 + x, lambda x: 2 + x, ANY),
    "x-2": (lambda x: x - 2.5, lambda x: x - 2.5, ANY),
    "1.5*x": (lambda x: 1.5 * x, lambda x: 1.5 * x, ANY),
    "x/4": (lambda x: x / 4, lambda x: x / 4, ANY),
    "3/x": (lambda x: 3 / x, lambda x: 3 / x, AWAY_FROM_ZERO),
    "np.float64(3)*x": (lambda x: np.float64(3.0) * x, lambda x: 3 * x, ANY),
    "x*x (same tensor twice)": (lambda x: x * x, np.square, ANY),
    "x+x": (lambda x: x + x, lambda x: 2 * x, ANY),
}


@pytest.mark.parametrize("name", list(UNARY))
@given(data=st.data())
def test_unary_op(name, data):
    fn, reference, elements = UNARY[name]
    shape = data.draw(small_shapes, label="shape")
    x = data.draw(arrays(shape, elements), label="x")
    check_op(fn, [x], upstream_for(data, shape), reference)


# ------------------------------------------------------------------ elementwise, two inputs

BINARY = {
    "+": (lambda a, b: a + b, np.add, ANY, ANY),
    "-": (lambda a, b: a - b, np.subtract, ANY, ANY),
    "*": (lambda a, b: a * b, np.multiply, ANY, ANY),
    "/": (lambda a, b: a / b, np.divide, ANY, AWAY_FROM_ZERO),
    "**": (lambda a, b: a**b, np.power, POSITIVE, floats(-2.0, 2.0)),
}


@pytest.mark.parametrize("name", list(BINARY))
@given(data=st.data())
def test_binary_op_with_broadcasting(name, data):
    fn, reference, elem_a, elem_b = BINARY[name]
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3))
    a = data.draw(arrays(shapes.input_shapes[0], elem_a), label="a")
    b = data.draw(arrays(shapes.input_shapes[1], elem_b), label="b")
    check_op(fn, [a, b], upstream_for(data, shapes.result_shape), reference)


@pytest.mark.parametrize("name", list(BINARY))
@pytest.mark.parametrize("shape_a, shape_b", [((3, 1), (1, 4)), ((5,), (2, 5)), ((), (2, 3)),
                                              ((2, 3), ())])
def test_binary_op_named_broadcast_pairs(name, shape_a, shape_b, rng):
    fn, reference, _, _ = BINARY[name]
    a = rng.uniform(0.5, 2.0, size=shape_a)  # positive: fine for / and ** as well
    b = rng.uniform(0.5, 2.0, size=shape_b) * rng.choice([-1, 1], size=shape_b)
    out_shape = np.broadcast_shapes(shape_a, shape_b)
    tensors = check_op(fn, [a, b], rng.standard_normal(out_shape), reference)
    assert tensors[0].grad.shape == shape_a and tensors[1].grad.shape == shape_b


def test_broadcast_gradient_by_hand():
    # (3,1) + (1,4) -> (3,4): with upstream all ones, a's gradient is 4 per element
    # (a row is reused 4 times) and b's is 3 per element (a column reused 3 times).
    a = Tensor(np.zeros((3, 1)), requires_grad=True)
    b = Tensor(np.zeros((1, 4)), requires_grad=True)
    (a + b).sum().backward()
    np.testing.assert_array_equal(a.grad.data, np.full((3, 1), 4.0))
    np.testing.assert_array_equal(b.grad.data, np.full((1, 4), 3.0))


@pytest.mark.parametrize("left", [2, 2.5, np.float64(2.5), np.array([1.0, 2.0, 3.0])])
@pytest.mark.parametrize("op", ["+", "-", "*", "/", "**"])
def test_reflected_operators_with_non_tensor_on_the_left(left, op, rng):
    fn = {"+": lambda x: left + x, "-": lambda x: left - x, "*": lambda x: left * x,
          "/": lambda x: left / x, "**": lambda x: left**x}[op]
    ref = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide,
           "**": np.power}[op]
    x = rng.uniform(0.5, 2.0, size=3)
    check_op(fn, [x], rng.standard_normal(3), lambda x: ref(left, x))


@given(data=st.data())
def test_maximum_minimum(data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3))
    # a from odd, b from even multiples of 0.1: never equal, at least 0.1 apart (no ties)
    a = data.draw(hnp.arrays(np.int64, shapes.input_shapes[0], elements=st.integers(-15, 15)))
    b = data.draw(hnp.arrays(np.int64, shapes.input_shapes[1], elements=st.integers(-15, 15)))
    a, b = (2 * a + 1) * 0.1, 2 * b * 0.1
    v = upstream_for(data, shapes.result_shape)
    check_op(tg.maximum, [a, b], v, np.maximum)
    check_op(tg.minimum, [a, b], v, np.minimum)
    check_op(tg.maximum, [a, b], v, np.maximum, grad_inputs=[0])  # b a constant


@given(data=st.data())
def test_where(data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=3))
    cond = data.draw(hnp.arrays(np.bool_, shapes.input_shapes[0]))
    a = data.draw(arrays(shapes.input_shapes[1]))
    b = data.draw(arrays(shapes.input_shapes[2]))
    v = upstream_for(data, shapes.result_shape)
    check_op(lambda a, b: tg.where(Tensor(cond), a, b), [a, b], v,
             lambda a, b: np.where(cond, a, b))
    check_op(lambda a, b: tg.where(cond, a, b), [a, b], v)  # plain numpy mask works too


def test_where_gradient_by_hand():
    cond = np.array([True, False, True])
    a = Tensor(np.ones(3), requires_grad=True)
    b = Tensor(np.ones(3), requires_grad=True)
    tg.where(cond, a, b).backward(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(a.grad.data, [1.0, 0.0, 3.0])
    np.testing.assert_array_equal(b.grad.data, [0.0, 2.0, 0.0])


def test_maximum_and_minimum_ties_split_the_gradient_equally():
    # As PyTorch: where a == b each side gets half of the upstream gradient.
    a = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    b = Tensor(np.array([1.0, 5.0, 0.0]), requires_grad=True)
    tg.maximum(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.data, [0.5, 0.0, 1.0])
    np.testing.assert_array_equal(b.grad.data, [0.5, 1.0, 0.0])
    a.grad = b.grad = None
    tg.minimum(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.data, [0.5, 1.0, 0.0])
    np.testing.assert_array_equal(b.grad.data, [0.5, 0.0, 1.0])


# ------------------------------------------------------------------ matmul

MATMUL_SHAPES = [
    ((4,), (4,)),  # dot product -> ()
    ((3, 4), (4, 2)),  # matrix product
    ((4,), (4, 2)),  # vector @ matrix
    ((3, 4), (4,)),  # matrix @ vector
    ((5, 3, 4), (5, 4, 2)),  # batched
    ((2, 1, 3, 4), (5, 4, 2)),  # broadcast batch dims -> (2, 5, 3, 2)
    ((5, 3, 4), (4, 2)),  # batch @ matrix (the matrix is reused by every batch)
    ((4,), (2, 4, 3)),  # vector @ batch
    ((2, 3, 4), (4,)),  # batch @ vector
]


@pytest.mark.parametrize("shape_a, shape_b", MATMUL_SHAPES)
def test_matmul_shapes(shape_a, shape_b, rng):
    a, b = rng.standard_normal(shape_a), rng.standard_normal(shape_b)
    out_shape = np.matmul(a, b).shape
    tensors = check_op(lambda a, b: a @ b, [a, b], rng.standard_normal(out_shape), np.matmul)
    assert tensors[0].grad.shape == shape_a and tensors[1].grad.shape == shape_b


@given(data=st.data())
def test_matmul_random_sizes(data):
    n, k, m = (data.draw(st.integers(1, 4)) for _ in range(3))
    batch = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=3))
    a = data.draw(arrays(batch.input_shapes[0] + (n, k)))
    b = data.draw(arrays(batch.input_shapes[1] + (k, m)))
    v = upstream_for(data, batch.result_shape + (n, m))
    check_op(lambda a, b: tg.matmul(a, b), [a, b], v, np.matmul)


def test_matmul_by_hand():
    # y = sum(A @ B): dy/dA = ones @ B^T (row sums of B), dy/dB = A^T @ ones (column sums of A)
    A = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]), requires_grad=True)
    B = Tensor(np.array([[5.0, 6.0], [7.0, 8.0]]), requires_grad=True)
    (A @ B).sum().backward()
    np.testing.assert_array_equal(A.grad.data, [[11.0, 15.0], [11.0, 15.0]])
    np.testing.assert_array_equal(B.grad.data, [[4.0, 4.0], [6.0, 6.0]])


def test_matmul_shape_mismatch_is_a_clear_error():
    with pytest.raises(ValueError, match=r"\(2, 3\) @ \(2, 3\)"):
        Tensor(np.ones((2, 3))) @ Tensor(np.ones((2, 3)))


# ------------------------------------------------------------------ reductions


def _logsumexp(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


REDUCTIONS = {
    "sum": (lambda x, **kw: x.sum(**kw), np.sum),
    "mean": (lambda x, **kw: x.mean(**kw), np.mean),
    "var": (lambda x, **kw: x.var(**kw), np.var),
    "logsumexp": (lambda x, **kw: x.logsumexp(**kw), _logsumexp),
    "max": (lambda x, **kw: x.max(**kw), np.max),
    "min": (lambda x, **kw: x.min(**kw), np.min),
}


@pytest.mark.parametrize("name", list(REDUCTIONS))
@given(data=st.data())
def test_reduction(name, data):
    fn, reference = REDUCTIONS[name]
    shape = data.draw(small_shapes, label="shape")
    axis = data.draw(axes_for(len(shape)), label="axis")
    keepdims = data.draw(st.booleans(), label="keepdims")
    if name in ("max", "min"):
        x = data.draw(distinct_arrays(shape), label="x")
    else:
        x = data.draw(arrays(shape), label="x")
    kw = dict(axis=axis, keepdims=keepdims)
    out_shape = np.shape(reference(x, **kw))
    check_op(lambda t: fn(t, **kw), [x], upstream_for(data, out_shape),
             lambda a: reference(a, **kw))


def test_max_ties_split_the_gradient_equally():
    # Documented choice: tied maxima share the gradient, so the total stays 1 (torch's
    # amax does the same; torch.max(dim) would pick one index instead).
    x = Tensor(np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]]), requires_grad=True)
    x.max().backward()  # the two 3s tie for the global max
    np.testing.assert_array_equal(x.grad.data, [[0.0, 0.5, 0.5], [0.0, 0.0, 0.0]])
    x.grad = None
    x.max(axis=1).sum().backward()  # row 1: three-way tie
    np.testing.assert_allclose(x.grad.data, [[0.0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])


def test_min_ties_split_the_gradient_equally():
    x = Tensor(np.array([0.0, 5.0, 0.0, 0.0]), requires_grad=True)
    x.min().backward()
    np.testing.assert_allclose(x.grad.data, [1 / 3, 0.0, 1 / 3, 1 / 3])


def test_mean_and_var_by_hand():
    # x = [1, 2, 3, 6]: mean 3, var = (4 + 1 + 0 + 9) / 4 = 3.5
    # d mean/dx_i = 1/4; d var/dx_i = 2 (x_i - mean) / n = [-1, -0.5, 0, 1.5]
    x = Tensor(np.array([1.0, 2.0, 3.0, 6.0]), requires_grad=True)
    m = x.mean()
    m.backward()
    assert m.item() == 3.0
    np.testing.assert_array_equal(x.grad.data, [0.25] * 4)
    x.grad = None
    v = x.var(ddof=0)  # numpy's divisor n (bare x.var() is PyTorch's n - 1: see spelling)
    v.backward()
    assert v.item() == 3.5
    np.testing.assert_allclose(x.grad.data, [-1.0, -0.5, 0.0, 1.5])


def test_var_ddof():
    x = np.array([1.0, 2.0, 3.0, 6.0])
    assert Tensor(x).var(ddof=1).item() == pytest.approx(np.var(x, ddof=1))
    check_op(lambda t: t.var(ddof=1), [x], np.array(1.0), lambda a: np.var(a, ddof=1))


def test_reduction_axis_out_of_range_is_an_error():
    with pytest.raises(ValueError, match="sum: axis 2 is out of"):
        Tensor(np.ones((2, 3)), requires_grad=True).sum(axis=2).backward()


def test_logsumexp_is_finite_for_large_inputs():
    x = Tensor(np.array([1000.0, 1000.0, -1000.0]), requires_grad=True)
    y = x.logsumexp()
    y.backward()
    # log(e^1000 + e^1000 + e^-1000) = 1000 + log 2; gradient = softmax = [1/2, 1/2, 0]
    assert y.item() == pytest.approx(1000.0 + np.log(2.0))
    np.testing.assert_allclose(x.grad.data, [0.5, 0.5, 0.0])


# ------------------------------------------------------------------ softmax


@pytest.mark.parametrize("which", ["softmax", "log_softmax"])
@given(data=st.data())
def test_softmax_and_log_softmax(which, data):
    shape = data.draw(nonscalar_shapes, label="shape")
    axis = data.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    x = data.draw(arrays(shape), label="x")

    def reference(a):
        logp = a - _logsumexp(a, axis=axis, keepdims=True)
        return np.exp(logp) if which == "softmax" else logp

    fn = getattr(tg, which)
    check_op(lambda t: fn(t, axis=axis), [x], upstream_for(data, shape), reference)
    check_op(lambda t: getattr(t, which)(axis=axis), [x], upstream_for(data, shape))


@pytest.mark.parametrize("which", ["softmax", "log_softmax"])
def test_softmax_is_finite_at_plus_minus_1000(which):
    x = Tensor(np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -1000.0]]),
               requires_grad=True)
    y = getattr(x, which)(axis=1)
    y.backward(np.array([[1.0, 2.0, 3.0], [1.0, -1.0, 0.5]]))
    assert np.all(np.isfinite(x.grad.data))
    if which == "softmax":
        assert np.all(np.isfinite(y.data))
        np.testing.assert_allclose(y.data, [[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3]])
    else:
        # row 0: [0, -2000, -1000]; row 1: log(1/3) everywhere
        np.testing.assert_allclose(y.data, [[0.0, -2000.0, -1000.0], [np.log(1 / 3)] * 3])


def test_softmax_rows_sum_to_one_and_gradient_of_the_sum_is_zero():
    x = Tensor(np.random.default_rng(0).standard_normal((4, 5)), requires_grad=True)
    s = x.softmax(axis=-1)
    np.testing.assert_allclose(s.data.sum(axis=-1), 1.0)
    s.sum().backward()  # sum of each row is the constant 1
    np.testing.assert_allclose(x.grad.data, 0.0, atol=1e-12)


# ------------------------------------------------------------------ shape ops


@st.composite
def shape_and_reshape(draw):
    """A shape and a different shape with the same number of elements (maybe with -1)."""
    shape = draw(small_shapes)
    size = int(np.prod(shape))
    factors, rest = [], size
    for _ in range(draw(st.integers(0, 2))):
        f = draw(st.sampled_from([d for d in range(1, rest + 1) if rest % d == 0]))
        factors.append(f)
        rest //= f
    new = [*factors, rest]
    if draw(st.booleans()):
        new[draw(st.integers(0, len(new) - 1))] = -1
    return shape, tuple(new)


@given(data=st.data())
def test_reshape(data):
    shape, new = data.draw(shape_and_reshape())
    x = data.draw(arrays(shape))
    out_shape = np.reshape(x, new).shape
    v = upstream_for(data, out_shape)
    check_op(lambda t: t.reshape(new), [x], v, lambda a: np.reshape(a, new))
    check_op(lambda t: t.reshape(*new), [x], v, lambda a: np.reshape(a, new))


@given(data=st.data())
def test_transpose_with_axes(data):
    shape = data.draw(small_shapes)
    axes = tuple(data.draw(st.permutations(range(len(shape)))))
    x = data.draw(arrays(shape))
    v = upstream_for(data, np.transpose(x, axes).shape)
    check_op(lambda t: t.transpose(axes), [x], v, lambda a: np.transpose(a, axes))
    if len(axes) != 2:  # two separate ints are PyTorch's swap (tests/test_spelling.py)
        check_op(lambda t: t.transpose(*axes), [x], v, lambda a: np.transpose(a, axes))


@given(data=st.data())
def test_T_and_transpose_without_axes(data):
    shape = data.draw(small_shapes)
    x = data.draw(arrays(shape))
    v = upstream_for(data, x.T.shape)
    check_op(lambda t: t.T, [x], v, lambda a: a.T)
    check_op(lambda t: t.transpose(), [x], v, lambda a: a.T)
    check_op(lambda t: t.transpose(None), [x], v, lambda a: a.transpose(None))  # numpy's


@given(data=st.data())
def test_flatten(data):
    shape = data.draw(nonscalar_shapes)
    start = data.draw(st.integers(0, len(shape) - 1))
    x = data.draw(arrays(shape))
    new = shape[:start] + (-1,)
    check_op(lambda t: t.flatten(start), [x], upstream_for(data, np.reshape(x, new).shape),
             lambda a: np.reshape(a, new))


@given(data=st.data())
def test_squeeze_and_expand_dims(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=2))
    x = data.draw(arrays(shape))
    ones = tuple(i for i, n in enumerate(shape) if n == 1)
    axis = data.draw(st.one_of(st.none(), st.sampled_from(ones))) if ones else None
    check_op(lambda t: t.squeeze(axis), [x], upstream_for(data, np.squeeze(x, axis).shape),
             lambda a: np.squeeze(a, axis))
    where = data.draw(st.integers(-len(shape) - 1, len(shape)))
    check_op(lambda t: t.expand_dims(where), [x],
             upstream_for(data, np.expand_dims(x, where).shape),
             lambda a: np.expand_dims(a, where))


@given(data=st.data())
def test_broadcast_to(data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=1, max_dims=3, max_side=3))
    target = shapes.result_shape
    x = data.draw(arrays(shapes.input_shapes[0]))
    check_op(lambda t: t.broadcast_to(target), [x], upstream_for(data, target),
             lambda a: np.broadcast_to(a, target))


def test_swapaxes(rng):
    x = rng.standard_normal((2, 3, 4))
    check_op(lambda t: t.swapaxes(0, 2), [x], rng.standard_normal((4, 3, 2)),
             lambda a: np.swapaxes(a, 0, 2))


def test_reshape_to_an_impossible_shape_is_a_clear_error():
    with pytest.raises(ValueError, match="6 elements"):
        Tensor(np.ones((2, 3))).reshape(4, 2)


# ------------------------------------------------------------------ indexing

INDICES = {
    "int": 1,
    "negative int": -1,
    "slice": slice(1, None),
    "step slice": slice(None, None, 2),
    "int and slice": (0, slice(1, 3)),
    "None": (None, slice(None)),
    "Ellipsis": (Ellipsis, 1),
    "Ellipsis and None": (Ellipsis, None, slice(0, 2)),
    "int array": np.array([2, 0]),
    "list": [0, 2],
    "repeated int array": np.array([0, 0, 2, 0]),
    "two int arrays": (np.array([0, 1, 1]), np.array([2, 2, 2])),
    "int array and slice": (np.array([1, 1]), slice(None, 2)),
    "boolean mask": np.array([[True, False, True, False], [False, False, True, True],
                              [True, True, False, False]]),
    "row mask": np.array([True, False, True]),
    "tensor index": Tensor(np.array([2, 1])),
}


@pytest.mark.parametrize("name", list(INDICES))
def test_getitem(name, rng):
    index = INDICES[name]
    x = rng.standard_normal((3, 4))
    np_index = tuple(getattr(i, "data", i) for i in index) if isinstance(index, tuple) else \
        getattr(index, "data", index)
    out_shape = x[np_index].shape
    check_op(lambda t: t[index], [x], rng.standard_normal(out_shape), lambda a: a[np_index])


def test_repeated_indices_accumulate_their_gradients():
    # x[[0, 0, 2, 0]] uses x[0] three times: its gradient is the sum of the three
    # upstream entries 1 + 2 + 4 = 7; x[2] gets 3; x[1] is unused.
    x = Tensor(np.array([10.0, 20.0, 30.0]), requires_grad=True)
    x[np.array([0, 0, 2, 0])].backward(np.array([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_array_equal(x.grad.data, [7.0, 0.0, 3.0])


def test_boolean_mask_gradient_by_hand():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    mask = x.data > 2.5  # [[F, F, F], [T, T, T]]
    x[mask].backward(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(x.grad.data, [[0.0, 0.0, 0.0], [1.0, 2.0, 3.0]])


def test_bool_tensor_from_a_comparison_works_as_a_mask():
    x = Tensor(np.array([-1.0, 2.0, -3.0, 4.0]), requires_grad=True)
    x[x > 0].sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 1.0, 0.0, 1.0])


def test_float_index_is_a_clear_error():
    with pytest.raises(IndexError, match="integers or booleans"):
        Tensor(np.ones(3))[np.array([0.0, 1.0])]


# ------------------------------------------------------------------ joining


@pytest.mark.parametrize("join", ["concatenate", "stack"])
@given(data=st.data())
def test_concatenate_and_stack(join, data):
    shape = data.draw(nonscalar_shapes, label="shape")
    ndim = len(shape)
    count = data.draw(st.integers(1, 3), label="count")
    if join == "concatenate":
        axis = data.draw(st.integers(-ndim, ndim - 1), label="axis")
        lengths = [data.draw(st.integers(1, 3)) for _ in range(count)]
        shapes = [shape[:axis % ndim] + (n,) + shape[axis % ndim + 1:] for n in lengths]
    else:
        axis = data.draw(st.integers(-ndim - 1, ndim), label="axis")
        shapes = [shape] * count
    xs = [data.draw(arrays(s)) for s in shapes]
    tg_fn, np_fn = getattr(tg, join), getattr(np, join)
    out_shape = np_fn(xs, axis=axis).shape
    tensors = check_op(lambda *ts: tg_fn(list(ts), axis=axis), xs, upstream_for(data, out_shape),
                       lambda *a: np_fn(a, axis=axis))
    assert [t.grad.shape for t in tensors] == shapes


def test_concatenate_with_a_constant_part(rng):
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((1, 3))
    tensors = check_op(lambda a, b: tg.concatenate([a, b]), [a, b], rng.standard_normal((3, 3)),
                       grad_inputs=[0])
    assert tensors[1].grad is None


def test_stack_by_hand():
    a = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    b = Tensor(np.array([3.0, 4.0]), requires_grad=True)
    tg.stack([a, b], axis=1).backward(np.array([[1.0, 2.0], [3.0, 4.0]]))
    # out[i, 0] = a[i], out[i, 1] = b[i]: a gets column 0 of the upstream, b column 1
    np.testing.assert_array_equal(a.grad.data, [1.0, 3.0])
    np.testing.assert_array_equal(b.grad.data, [2.0, 4.0])


# ------------------------------------------------------------------ composites


@given(data=st.data())
def test_two_layer_network_expression(data):
    # A realistic composite: softmax cross-entropy of a tiny MLP, all inputs differentiated.
    n, d, h, k = (data.draw(st.integers(1, 3)) for _ in range(4))
    X = data.draw(arrays((n, d)))
    W1, b1 = data.draw(arrays((d, h))), data.draw(arrays((h,)))
    W2 = data.draw(arrays((h, k)))
    onehot = np.eye(k)[data.draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, k - 1)))]

    def loss(X, W1, b1, W2):
        hidden = (X @ W1 + b1).tanh()
        return -(hidden @ W2).log_softmax(axis=1)[Tensor(onehot.astype(bool))].mean()

    check_op(loss, [X, W1, b1, W2], np.array(1.0))


def test_interior_gradients_are_float64_copies_not_views_of_data(rng):
    x = Tensor(rng.standard_normal((2, 3)), requires_grad=True)
    y = x.reshape(-1)  # y.data is a view of x.data
    y.backward(rng.standard_normal(6))
    assert not np.shares_memory(x.grad.data, x.data)
    assert not np.shares_memory(x.grad.data, y.data)


def test_interior_grads_do_not_share_memory():
    x = Tensor(np.ones(3), requires_grad=True)
    w = Tensor(np.ones(3), requires_grad=True)
    y = x * 2.0
    z = y + w
    v = np.arange(3.0)
    z.backward(v)
    assert not np.shares_memory(z.grad.data, v)
    assert not np.shares_memory(y.grad.data, z.grad.data)


# ------------------------------------------------------------------ IEEE behaviour


def test_ieee_results_without_numpy_warnings():
    # inf and nan are the answers (as numpy and PyTorch); no RuntimeWarning noise.
    x = Tensor(np.array([1000.0, -1000.0, 0.0, -1.0]), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(x.exp().data[:3], [np.inf, 0.0, 1.0])
        logs = x.log().data
        assert logs[2] == -np.inf and np.isnan(logs[3])
        assert np.isnan((x**0.5).data[3])
        np.testing.assert_array_equal((x[:3] / 0.0).data[:2], [np.inf, -np.inf])
        for name in ("tanh", "sigmoid"):
            x.grad = None
            y = getattr(x, name)()
            y.backward(np.ones(4))
            assert np.all(np.isfinite(y.data)) and np.all(np.isfinite(x.grad.data))
