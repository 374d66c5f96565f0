"""Regression tests for the wrong results of issue 13 (each failed before its fix).

PyTorch float64 is the reference; the expected numbers are written out (PyTorch's
values), so these tests run without torch too. The differential harness
(tests/test_differential_*.py) covers the same bug classes on random inputs.
"""

import math
import warnings

import numpy as np
import pytest

import nn.functional as F
import tinygrad_dk as tg
from tinygrad_dk import Tensor, Value, grad

LN2 = math.log(2)


def f64(values, requires_grad=True):
    return Tensor(np.array(values, dtype=np.float64), requires_grad=requires_grad)


# --- 1 and 2: the softmax family at huge logits, in both engines --------------------------


@pytest.mark.parametrize("options,expected", [
    ({}, LN2), ({"weight": [1.0, 3.0]}, LN2), ({"label_smoothing": 0.2}, LN2),
    ({"weight": [2.0, 1.0], "label_smoothing": 0.1}, 0.6758185010459467),  # PyTorch's value
])
def test_cross_entropy_keeps_its_digits_with_weight_and_label_smoothing(options, expected):
    rows = [[Value(1e30), Value(1e30)]]
    assert F.cross_entropy(rows, [0], **options).data == pytest.approx(expected, rel=1e-12, abs=0)
    x = Tensor([[1e30, 1e30]], dtype=np.float64)
    assert F.cross_entropy(x, np.array([0]), **options).item() == pytest.approx(expected,
                                                                               rel=1e-12)


def test_scalar_cross_entropy_gradient_does_not_cancel():
    row = [Value(-1e30), Value(1e3)]
    F.cross_entropy([row], [0]).backward()
    assert [v.grad for v in row] == [-1.0, 1.0]  # the Tensor engine: test_stable_softmax


# --- 3: an infinite slope after a kink ----------------------------------------------------


@pytest.mark.parametrize("kink", [
    lambda x: x.relu(),
    lambda x: x.clip(0.0, 10.0),
    lambda x: tg.maximum(x, 0.0),
    lambda x: -tg.minimum(-x, 0.0),
])
def test_a_kink_passes_0_not_nan_when_the_slope_after_it_is_inf(kink):
    x = f64([-1.0, 4.0])
    kink(x).sqrt().sum().backward()  # sqrt'(0) = inf
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.25])  # PyTorch: [0, 0.25]


def test_max_reduction_passes_0_to_the_losers_even_for_an_inf_gradient():
    x = f64([[1.0, 3.0], [0.0, 0.0]])
    (x.max(axis=1) - 3.0).sqrt().sum().backward()  # sqrt'(0) = inf for row 0
    assert x.grad.numpy()[0, 0] == 0.0 and x.grad.numpy()[0, 1] == math.inf


def test_value_relu_and_power_zero_pass_0_for_an_inf_gradient():
    v = Value(-1.0)
    v.relu().log().backward()  # log'(0) = inf
    assert v.grad == 0.0  # PyTorch: 0
    w = Value(0.0)
    (w ** 0).log().backward()  # x^0 is the constant 1
    assert w.grad == 0.0
    n = Value(math.nan)
    assert math.isnan(n.relu().data)  # nan is not swallowed into 0


# --- 4: clip with Tensor bounds -----------------------------------------------------------


def test_clip_with_tensor_bounds_gives_every_argument_its_gradient():
    x, lo = f64([-1.0, 0.5, 2.0]), f64(0.0)
    x.clip(lo, 1.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 1, 0])  # PyTorch's values
    assert lo.grad.item() == 1.0
    x, lo, hi = f64([-1.0, 0.5, 2.0]), f64([0.0, 0.0, 0.0]), f64([1.0, 1.0, 1.0])
    x.clip(lo, hi).sum().backward()
    np.testing.assert_array_equal(lo.grad.numpy(), [1, 0, 0])
    np.testing.assert_array_equal(hi.grad.numpy(), [0, 0, 1])


def test_clip_with_lo_above_hi_gives_hi_and_its_gradient():
    x, lo, hi = f64([-1.0, 0.5, 2.0]), f64([1.0, 1.0, 1.0]), f64([0.0, 0.0, 0.0])
    out = x.clip(lo, hi)
    out.sum().backward()
    np.testing.assert_array_equal(out.numpy(), [0, 0, 0])
    np.testing.assert_array_equal(x.grad.numpy(), [0, 0, 0])
    np.testing.assert_array_equal(lo.grad.numpy(), [0, 0, 0])
    np.testing.assert_array_equal(hi.grad.numpy(), [1, 1, 1])


def test_a_primitive_without_a_vjp_for_an_argument_says_so():
    double = tg.Primitive("double", lambda a, b: 2 * a + b, lambda g, out, a, b: 2 * g)
    a, b = f64([1.0]), f64([2.0])
    with pytest.raises(TypeError, match=r"double.*argument 1.*only 1 vjp"):
        double(a, b).sum().backward()


# --- 5: integer results are step functions: no gradient -------------------------------------


@pytest.mark.parametrize("dtype", [int, np.int32, bool, "int64"])
def test_integer_results_do_not_require_grad(dtype):
    x = f64([1.5, -2.5])
    y = x.astype(dtype)
    assert not y.requires_grad and y.op == ""
    z = (x * y.astype(np.float64)).sum()  # y is a constant here
    z.backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.array([1.5, -2.5]).astype(dtype))


def test_float_astype_keeps_the_gradient_path():
    x = f64([1.5, -2.5])
    x.astype("float32").sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])
    assert x.grad.dtype == np.float64


# --- 6: Value division's gradient ----------------------------------------------------------


@pytest.mark.parametrize("a,b,expected", [(1e-170, 1e-170, -1e170), (0.0, 1e-170, -0.0),
                                          (1e300, 1e200, -1e-100)])
def test_value_division_gradient_does_not_overflow(a, b, expected):
    va, vb = Value(a), Value(b)
    (va / vb).backward()
    assert vb.grad == pytest.approx(expected, rel=1e-12, abs=0)
    ta, tb = f64([a]), f64([b])
    (ta / tb).sum().backward()
    assert tb.grad.item() == pytest.approx(expected, rel=1e-12, abs=0)


# --- 8 and 9: powers at zero ----------------------------------------------------------------


def test_second_derivative_of_x_to_the_0_at_0_is_0():
    x0 = np.array([0.0, 2.0])
    second = grad(lambda x: grad(lambda y: (y ** 0).sum())(x).sum())(x0)
    np.testing.assert_array_equal(second.numpy(), [0.0, 0.0])
    e = f64([0.0, 0.0])
    second = grad(lambda x: grad(lambda y: (y ** e).sum())(x).sum())(x0)
    np.testing.assert_array_equal(second.numpy(), [0.0, 0.0])


def test_exponent_gradient_of_0_to_a_negative_power_is_minus_inf():
    x, e = f64([0.0, 0.0, 0.0]), f64([-1.0, 0.0, 2.0])
    (x ** e).sum().backward()
    np.testing.assert_array_equal(e.grad.numpy(), [-math.inf, 0.0, 0.0])  # PyTorch's
    np.testing.assert_array_equal(x.grad.numpy(), [-math.inf, 0.0, 0.0])
    v, w = Value(0.0), Value(-1.0)
    (v ** w).backward()
    assert w.grad == -math.inf


# --- 10: reductions over an empty axis ------------------------------------------------------


def test_softmax_family_over_an_empty_axis_has_gradients_too():
    x = Tensor(np.zeros((2, 0)), requires_grad=True)
    for out in (tg.softmax(x, axis=1), tg.log_softmax(x, axis=1), x.logsumexp(axis=1)):
        out.sum().backward()
        assert x.grad.shape == (2, 0)
    assert Tensor(np.zeros((0,), np.float32)).logsumexp().dtype == np.float32


def test_max_of_nothing_is_a_clear_error_and_mean_of_nothing_a_clear_warning():
    empty = Tensor(np.zeros((0, 3)))
    with pytest.raises(ValueError, match=r"max: the tensor of shape \(0, 3\) has no elements"
                                         r".*empty batch"):
        empty.max()
    with pytest.raises(ValueError, match="no minimum"):
        empty.min(axis=0)
    assert empty.max(axis=1).shape == (0,)  # reducing a non-empty axis is fine
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert math.isnan(empty.mean().item())
        assert np.isnan(tg.ops.var(empty, axis=0, ddof=0).numpy()).all()
    texts = [str(w.message) for w in caught]
    assert len(texts) == 2 and "mean over an axis of length 0" in texts[0]
    assert "var over an axis of length 0" in texts[1]
    # each points at the line here that called Tensor.mean / var, not into the engine
    assert caught[0].filename == caught[1].filename == __file__
    with pytest.raises(ValueError, match="would divide by"):  # Tensor.var refuses n - ddof <= 0
        empty.var()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert empty.mean(axis=1).shape == (0,)  # nothing averaged over nothing: no warning


# --- 11: concatenate with axis=None -----------------------------------------------------------


def test_concatenate_with_axis_none_backpropagates():
    a, b = f64(np.arange(4.0).reshape(2, 2)), f64([10.0, 20.0, 30.0])
    out = tg.concatenate([a, b], axis=None)
    assert out.shape == (7,)
    out.backward(np.arange(7.0))
    np.testing.assert_array_equal(a.grad.numpy(), [[0.0, 1.0], [2.0, 3.0]])
    np.testing.assert_array_equal(b.grad.numpy(), [4.0, 5.0, 6.0])


# --- found by the differential harness --------------------------------------------------------


def test_flatten_and_linear_with_zero_sized_axes():
    x = Tensor(np.zeros((0, 1, 3)), requires_grad=True)
    assert x.flatten(1).shape == (0, 3)
    import nn
    assert nn.Flatten()(x).shape == (0, 3)
    w = Tensor(np.zeros((0, 3)), requires_grad=True)  # no output units
    tg.linear(Tensor(np.ones((2, 3)), requires_grad=True), w).sum().backward()
    assert w.grad.shape == (0, 3)


def test_bce_of_a_tiny_probability_keeps_its_digits():
    p, y = f64([1e-40]), np.array([0.0])
    assert tg.binary_cross_entropy(p, y).item() == pytest.approx(1e-40, rel=1e-12, abs=0)


def test_bce_second_derivative_at_p_0_follows_pytorch():
    p0, y = np.array([0.0]), np.array([0.25])
    second = grad(lambda p: grad(lambda q: tg.binary_cross_entropy(q, y).sum())(p).sum())(p0)
    # PyTorch: (p^2 - 2py + y) / ((p + eps)^2 (1 - p + eps)^2) with eps = 1e-12
    assert second.item() == pytest.approx(0.25 / 1e-24, rel=1e-9)


def test_var_of_float32_numbers_near_their_maximum_has_a_finite_gradient():
    x = Tensor(np.array([3.0e38, 3.4e38], dtype=np.float32), requires_grad=True)
    x.var().backward()  # PyTorch's n - 1: d/dx_i = 2 (x_i - mean) / (n - 1)
    assert np.all(np.isfinite(x.grad.numpy()))
    np.testing.assert_allclose(x.grad.numpy(), [-4e37, 4e37], rtol=1e-5)


def test_astype_takes_dtype_names():
    assert Tensor([1.0]).astype("float64").dtype == np.float64


def test_numpy_scalars_do_not_turn_float32_into_float64():
    x = Tensor(np.ones(2, np.float32), requires_grad=True)
    y = (x * np.float64(2.0) + np.sqrt(2.0) - np.float64(1.0) / x) ** np.int64(2)
    assert y.dtype == np.float32  # as PyTorch: a numpy scalar counts as a number
    y.sum().backward()
    assert x.grad.dtype == np.float32


# --- found by the harness in the operations with PyTorch's names --------------------------


def test_gelu_and_silu_pass_an_infinite_gradient_as_one_factor():
    for approximate in ("none", "tanh"):
        x = f64([-0.13, 0.7])
        tg.gelu(x, approximate=approximate).backward(np.array([np.inf, np.inf]))
        assert np.all(np.isinf(x.grad.numpy()))  # PyTorch: inf (not inf - inf = nan)
    assert tg.gelu(Tensor(np.float32(0.3))).dtype == np.float32  # a 0-d tensor works


def test_norm_gradients_at_zero_and_at_tiny_values():
    x = Tensor(np.array([0.0, 0.0]), requires_grad=True)
    x.norm(3).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])  # PyTorch: 0 at a zero norm
    t = Tensor(np.array([1e-40, 1e-30], dtype=np.float32), requires_grad=True)
    t.norm(3).backward()
    np.testing.assert_allclose(t.grad.numpy(), [1e-20, 1.0], rtol=1e-3)  # no 0 * inf


def test_std_of_equal_numbers_has_the_gradient_0():
    x = Tensor(np.array([2.0, 2.0, 2.0]), requires_grad=True)
    x.std().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 0.0])  # PyTorch: 0, not nan


def test_elu_second_derivative_at_0_is_the_right_sides():
    second = grad(lambda x: grad(lambda y: tg.elu(y).sum())(x).sum())(np.array([0.0, -1.0]))
    np.testing.assert_allclose(second.numpy(), [0.0, np.exp(-1.0)])


@pytest.mark.parametrize("name", ["round", "floor", "ceil", "sign"])
def test_rounding_passes_0_for_an_infinite_gradient(name):
    x = f64([0.4, -1.6])
    getattr(x, name)().backward(np.array([np.inf, 1.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])


def test_variance_refuses_only_when_a_result_would_divide_by_zero():
    assert Tensor(np.zeros((1, 1, 0))).var(dim=0).shape == (1, 0)  # no result: no division
    with pytest.raises(ValueError, match="would divide by 0"):
        Tensor(np.zeros((1, 3))).var(dim=0)  # three results, each of one number, n - 1 = 0


def test_adaptive_optimizers_square_gradients_without_overflow_in_float32():
    from nn import optim
    for make in (lambda p: optim.RMSprop(p, lr=0.1), lambda p: optim.Adam(p, lr=0.1)):
        w = Tensor(np.array([0.5], dtype=np.float32), requires_grad=True)
        opt = make([w])
        w.grad = Tensor(np.array([2e19], dtype=np.float32))  # g * g = 4e38 > float32's max
        opt.step()
        assert np.isfinite(w.numpy()).all() and w.item() < 0.5  # (1 - a) * g * g, in order


def test_found_by_the_long_hunt():  # DIFFERENTIAL_EXAMPLES=300
    assert math.isnan(Value(-math.inf).sqrt().data)  # IEEE sqrt, not pow(-inf, 0.5) = inf
    x = f64([-700.0])
    tg.elu(x).backward(np.ones(1))
    assert x.grad.item() == pytest.approx(math.exp(-700.0), rel=1e-12)  # not rounded to 0
    t = Tensor(np.array([1e-40, 1e-30], dtype=np.float32), requires_grad=True)
    t.std(correction=0).backward()  # float32's variance 2.5e-61 would underflow to 0
    np.testing.assert_allclose(t.grad.numpy(), [-0.5, 0.5], rtol=1e-4)


def test_softplus_with_beta_is_x_where_beta_x_overflows():
    # beta x = 6e38 overflows float32; softplus(beta x) / beta would give inf for 3.06e38
    x = Tensor(np.array([3.06e38, -3e38, 0.0], np.float32), requires_grad=True)
    y = F.softplus(x, beta=2.0)
    assert y.numpy()[0] == np.float32(3.06e38) and y.numpy()[1] == 0.0
    assert abs(y.numpy()[2] - np.log(2) / 2) < 1e-7
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 0.0, 0.5])
    assert F.softplus(Value(1e308), beta=4.0).data == 1e308


def test_softplus_slope_keeps_subnormal_values_so_an_infinite_gradient_stays_inf():
    # softplus'(-713.9) = e^-713.9 is a subnormal float64; as 1 / (1 + e^713.9) it was 0,
    # and an infinite upstream gradient gave inf * 0 = nan (PyTorch: inf); logsigmoid too
    x = Tensor(np.array([-713.9, -95.0, 30.0]), requires_grad=True)
    F.softplus(x).backward(Tensor(np.full(3, np.inf)))
    np.testing.assert_array_equal(x.grad.numpy(), np.inf)
    x = Tensor(np.array([713.9]), requires_grad=True)
    F.logsigmoid(x).backward(Tensor(np.array([np.inf])))
    assert x.grad.numpy()[0] == np.inf
    z = np.array([-745.0, -713.9, -30.0, 0.0, 30.0])  # and the slope is sigmoid itself
    x = Tensor(z, requires_grad=True)
    F.softplus(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp(z) / (1 + np.exp(z)), rtol=1e-15)


@pytest.mark.parametrize("e", [0.5, -0.5])
def test_minus_inf_to_a_half_is_nan_as_a_square_root(e):
    # C's pow gives inf (0 for -0.5); PyTorch and numpy's sqrt say nan
    assert math.isnan((Value(-math.inf) ** e).data)
    assert np.isnan((Tensor([-np.inf]) ** e).numpy()[0])


@pytest.mark.parametrize("e", [0.5, -0.5, 1.5])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_minus_inf_to_a_half_given_as_a_tensor_is_c_pow(e, dtype):
    # PyTorch: tensor ** tensor is C's pow (inf for 0.5, 0 for -0.5), forward and slope,
    # also for a 0-d exponent, which numpy's shortcut took as a square root (nan)
    want, slope = {0.5: (math.inf, 0.0), -0.5: (0.0, 0.0), 1.5: (math.inf, math.inf)}[e]
    for exponent in (Tensor(np.array(e, dtype), requires_grad=True),
                     Tensor(np.array([e], dtype), requires_grad=True)):
        x = Tensor(np.array([-np.inf, 4.0], dtype), requires_grad=True)
        y = x ** exponent
        y.sum().backward()
        assert y.dtype == dtype and x.grad.dtype == dtype
        np.testing.assert_array_equal(y.numpy(), [want, 4.0 ** e])
        np.testing.assert_array_equal(x.grad.numpy(), [slope, e * 4.0 ** (e - 1)])
    v, w = Value(-math.inf), Value(e)
    (v ** w).backward()
    assert (v ** w).data == want and v.grad == slope


def test_float32_batch_norm_of_huge_values_keeps_its_statistics():
    # float32's squares of 3e19 overflow: the variance was inf and every output 0
    x = Tensor(np.array([[3e19], [-1e19], [2e19]], np.float32), requires_grad=True)
    y = tg.batch_norm(x)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.numpy().ravel(), [0.9805807, -1.3728129, 0.3922322], rtol=1e-6)
    (y * Tensor(np.array([[1.0], [2.0], [3.0]], np.float32))).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.numpy().ravel(), [-4.752e-20, -1.584e-20, 6.336e-20],
                               rtol=1e-3)


def test_second_derivative_of_a_half_norm_at_tiny_values_does_not_overflow():
    # (|x_0| / norm)^(p - 2) for |x_0| = 1e-300 is 1e394: inf, although the product it is
    # part of is 4.6e168 (PyTorch: 4.25e37 for the other two elements, as here)
    from tinygrad_dk import autograd
    x = Tensor(np.array([-1e-300, 1.1754943508222875e-38, 1.1754943508222875e-38]),
               requires_grad=True)
    (g1,) = autograd.grad(tg.norm(x, 0.5), [x], create_graph=True)
    np.testing.assert_allclose(g1.numpy(), [-2.16840434e131, 2.0, 2.0], rtol=1e-8)
    (g2,) = autograd.grad((g1 * Tensor(np.array([0.0, 1.0, 0.0]))).sum(), [x])
    np.testing.assert_allclose(g2.numpy(), [-4.61168602e168, -4.25352959e37, 4.25352959e37],
                               rtol=1e-8)


def test_batch_norm_in_eval_mode_gives_the_weight_an_infinite_gradient_not_nan():
    # x * scale + shift made the weight's gradient sum(g x) - mean sum(g): inf - inf = nan
    x = Tensor(np.array([[-0.5], [0.9]]))
    weight = Tensor(np.array([1.5]), requires_grad=True)
    y = F.batch_norm(x, Tensor(np.array([0.1])), Tensor(np.array([0.6])), weight,
                     training=False)
    np.testing.assert_allclose(y.numpy().ravel(), (np.array([-0.5, 0.9]) - 0.1)
                               / np.sqrt(0.6 + 1e-5) * 1.5)
    y.backward(np.array([[-0.5], [np.inf]]))
    assert weight.grad.numpy()[0] == np.inf


def test_abs_passes_0_at_nan_as_pytorch_and_value_abs():
    # l1_loss of inf against inf: x - y is nan; PyTorch's gradient there is 0, numpy's sign nan
    x = Tensor(np.array([np.nan, -2.0, 3.0, 0.0], np.float32), requires_grad=True)
    x.abs().sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, -1.0, 1.0, 0.0])
    v = Value(math.nan)
    v.abs().backward()
    assert v.grad == 0.0


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.uint64, np.bool_, np.int8, np.int64])
def test_sigmoid_of_whole_numbers_is_the_sigmoid(dtype):
    # -x wraps around for unsigned numbers (-5 as uint8 is 251), which gave nan or 0
    values = np.array([0, 1, 5], dtype=dtype) if dtype is not np.bool_ else np.array([0, 1, 1],
                                                                                   dtype=bool)
    out = tg.sigmoid(Tensor(values)).numpy()
    assert out.dtype.kind == "f"
    np.testing.assert_allclose(out, 1 / (1 + np.exp(-values.astype(np.float64))), rtol=1e-3)
