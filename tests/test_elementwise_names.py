"""Focused tests of the elementwise math with PyTorch's names (``tinygrad_dk.ops_elementwise``):
known values, dtypes, the extremes where a textbook formula fails, the errors, and the
in-place variants' rules. The comparison with PyTorch on random inputs is in
``test_differential_elementwise.py``."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_dk as tg
from tinygrad_dk import Tensor, gradcheck

F32_MAX = float(np.finfo(np.float32).max)


def t64(*values, requires_grad=True):
    return Tensor(np.array(values, dtype=np.float64), requires_grad=requires_grad)


def grad_of(fn, x):
    """The gradient of sum(fn(x)) with respect to x."""
    x = Tensor(np.asarray(x, dtype=np.float64), requires_grad=True)
    fn(x).sum().backward()
    return x.grad.numpy()


# --- known values --------------------------------------------------------------------------


def test_known_values_of_the_unary_functions():
    x = Tensor([8.0])
    assert x.log2().item() == 3.0 and tg.log10(Tensor([1000.0])).item() == pytest.approx(3.0)
    assert tg.exp2(Tensor([3.0])).item() == 8.0
    assert Tensor([4.0]).rsqrt().item() == 0.5 and tg.reciprocal(Tensor([4.0])).item() == 0.25
    assert tg.erf(Tensor([0.0])).item() == 0.0
    assert Tensor([1.0]).erf().item() == pytest.approx(math.erf(1.0))
    assert tg.trunc(Tensor([-2.7])).item() == -2.0 and Tensor([-2.7]).fix().item() == -2.0
    assert Tensor([-2.75]).frac().item() == -0.75
    assert Tensor([-2.0, 0.0, 3.0]).sgn().tolist() == [-1.0, 0.0, 1.0]
    assert tg.negative(Tensor([2.0])).item() == -2.0 and Tensor([-2.0]).absolute().item() == 2.0
    assert tg.arcsin(Tensor([1.0])).item() == pytest.approx(math.pi / 2)
    assert tg.atan2(Tensor([1.0]), Tensor([-1.0])).item() == pytest.approx(3 * math.pi / 4)


def test_tiny_arguments_keep_their_digits():
    # e^x - 1 and log(1 + x) at 1e-20: the naive formulas give 0
    tiny = np.float32(1e-20)
    assert Tensor([tiny]).expm1().item() == tiny and tg.log1p(Tensor([tiny])).item() == tiny
    # erfc far out, where 1 - erf(x) would be 0
    assert tg.erfc(t64(10.0)).item() == pytest.approx(math.erfc(10.0), rel=1e-15)


def test_integer_inputs_become_float32_as_in_pytorch():
    ints = Tensor(np.array([1, 2, 4]))
    assert ints.log2().dtype == np.float32 and tg.erf(ints).dtype == np.float32
    assert tg.atan2(ints, ints).dtype == np.float32
    assert tg.reciprocal(ints).tolist() == [1.0, 0.5, 0.25]  # not numpy's integer 1 // x
    assert tg.fmod(ints, 3).dtype == ints.dtype  # remainders of integers stay integers


def test_float_power_is_float64_and_its_gradient_has_the_input_dtype():
    x = Tensor([2.0, 3.0], requires_grad=True)
    y = x.float_power(2)
    assert y.dtype == np.float64 and y.tolist() == [4.0, 9.0]
    y.sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.tolist() == [4.0, 6.0]
    assert tg.float_power(2, Tensor([3.0])).item() == 8.0  # a number as the base


# --- remainders and divisions --------------------------------------------------------------


finite = st.floats(-1e6, 1e6, allow_nan=False).filter(lambda v: v != 0)


@given(a=finite, b=finite)
def test_remainder_and_floor_divide_are_pythons(a, b):
    A, B = t64(a, requires_grad=False), t64(b, requires_grad=False)
    assert A.remainder(B).item() == pytest.approx(a % b, abs=1e-9)
    assert tg.floor_divide(A, B).item() == a // b
    assert A.fmod(B).item() == pytest.approx(math.fmod(a, b), abs=1e-9)  # C's: sign of a


def test_division_with_a_rounding_mode():
    a, b = Tensor([7.0, -7.0]), Tensor([2.0, 2.0])
    assert tg.div(a, b, rounding_mode="floor").tolist() == [3.0, -4.0]
    assert a.div(b, rounding_mode="trunc").tolist() == [3.0, -3.0]
    assert tg.divide(a, b).tolist() == [3.5, -3.5] and a.true_divide(b).tolist() == [3.5, -3.5]
    assert tg.div(Tensor(np.array([7, -7])), 2, rounding_mode="trunc").tolist() == [3, -3]
    with pytest.raises(ValueError, match="rounding_mode='round' is not one of"):
        a.divide(b, rounding_mode="round")


def test_a_number_first_keeps_the_tensors_dtype():
    # as in PyTorch, a Python number does not make a float32 result float64
    t = Tensor([2.0, 4.0])
    for out in (tg.div(2, t), tg.remainder(5, t), tg.xlogy(2, t), tg.atan2(1, t),
                tg.multiply(2, t), tg.subtract(1, t), tg.true_divide(1, t), tg.hypot(3, t)):
        assert out.dtype == np.float32
    assert tg.remainder(5, t).tolist() == [1.0, 1.0]


def test_rounded_divisions_have_gradient_zero():
    # floor(a / b) is a step function; PyTorch's div(rounding_mode=...) gives 0 too
    assert grad_of(lambda x: tg.floor_divide(x, 2.0), [1.0, 3.5]).tolist() == [0.0, 0.0]
    assert grad_of(lambda x: x.div(2.0, rounding_mode="trunc"), [1.0]).tolist() == [0.0]


# --- extremes ------------------------------------------------------------------------------


def test_logaddexp_is_stable_at_the_extremes():
    a = Tensor([1e3, -1e3, F32_MAX], requires_grad=True)
    y = tg.logaddexp(a, a)
    assert np.allclose(y.numpy(), [1e3 + math.log(2), -1e3 + math.log(2), F32_MAX])
    y.sum().backward()
    assert a.grad.tolist() == [1.0, 1.0, 1.0]  # 1/2 from each side
    b = Tensor([0.0], requires_grad=True)
    tg.logaddexp(b, Tensor([1e30])).backward()
    assert b.grad.item() == 0.0  # e^0 / e^(1e30): 0, not nan


def test_xlogy_is_zero_where_x_is_zero():
    x, y = t64(0.0, 0.0, 2.0), t64(0.0, math.inf, 0.0)
    out = tg.xlogy(x, y)
    assert out.tolist() == [0.0, 0.0, -math.inf]
    assert math.isnan(tg.xlogy(t64(0.0), t64(math.nan)).item())  # nan stays nan
    assert tg.xlogy(2, Tensor([1.0])).item() == 0.0  # a number first, as torch.xlogy(2, y)


def test_derivatives_that_would_overflow_or_cancel():
    # asinh' = 1 / sqrt(x^2 + 1): x^2 overflows at 1e200; as 1 / hypot(x, 1) it does not
    assert grad_of(tg.asinh, [1e200])[0] == pytest.approx(1e-200)
    # atan2 at (1e-300, 1e-300): squares underflow to 0; the ratio first keeps 1 / 2e-300
    y = t64(1e-300)
    tg.atan2(y, t64(1e-300, requires_grad=False)).backward()
    assert y.grad.item() == pytest.approx(0.5e300)
    assert grad_of(lambda x: x.hypot(Tensor(np.array([1e200]))), [1e200])[0] == pytest.approx(
        math.sqrt(0.5))
    # 1 - x^2 near 1, as (1 - x)(1 + x)
    x = 1 - 2.0 ** -30
    assert grad_of(tg.atanh, [x])[0] == pytest.approx(1 / ((1 - x) * (1 + x)), rel=1e-15)


def test_lerp_and_addcmul_do_not_overflow_midway_in_float32():
    start, end = Tensor([-0.9 * F32_MAX]), Tensor([0.9 * F32_MAX])
    assert start.lerp(end, 0.5).item() == 0.0  # end - start overflows float32
    assert tg.lerp(start, end, 0.0).item() == start.item()  # exact at the ends
    assert tg.lerp(start, end, 1.0).item() == end.item()
    assert Tensor([0.0]).addcmul(Tensor([F32_MAX]), Tensor([0.5]), value=2.0).item() == F32_MAX


def test_lerp_with_a_tensor_weight_differentiates_the_weight():
    w = t64(0.25)
    out = t64(1.0, requires_grad=False).lerp(t64(5.0, requires_grad=False), w)
    out.backward()
    assert out.item() == 2.0 and w.grad.item() == 4.0


# --- gradient checks -----------------------------------------------------------------------

UNARY_AT = {  # each function at points inside its domain
    "log2": [0.5, 3.0], "log10": [0.5, 3.0], "expm1": [-1.0, 1e-8, 2.0], "exp2": [-1.0, 2.0],
    "reciprocal": [-2.0, 0.5], "rsqrt": [0.5, 3.0], "tan": [-1.0, 0.5], "sinh": [-1.0, 2.0],
    "cosh": [-1.0, 2.0], "asin": [-0.5, 0.9], "acos": [-0.5, 0.9], "atan": [-3.0, 0.5],
    "asinh": [-3.0, 0.5], "acosh": [1.5, 4.0], "atanh": [-0.5, 0.9], "erf": [-1.0, 0.3],
    "erfc": [-1.0, 2.0], "frac": [-1.3, 2.6], "log1p": [-0.5, 2.0],
}


@pytest.mark.parametrize("name", sorted(UNARY_AT))
def test_unary_gradients_pass_gradcheck(name):
    assert gradcheck(lambda x: getattr(x, name)(), [t64(*UNARY_AT[name])])


@pytest.mark.parametrize("name", ["atan2", "fmod", "remainder", "hypot", "logaddexp", "xlogy",
                                  "float_power"])
def test_binary_gradients_pass_gradcheck(name):
    a, b = t64(0.7, -1.3, 2.2), t64(1.9, 0.8, 0.9)  # (away from the jumps at a / b whole)
    if name in ("xlogy", "float_power"):
        a, b = t64(0.7, 1.3, 2.2), t64(1.9, 0.8, 1.1)
    assert gradcheck(lambda x, y: getattr(x, name)(y), [a, b])


def test_lerp_addcmul_addcdiv_pass_gradcheck():
    a, b, c = t64(0.5, -1.0), t64(2.0, 3.0), t64(0.3, 0.8)
    assert gradcheck(lambda x, y, w: tg.lerp(x, y, w), [a, b, c])
    assert gradcheck(lambda x, y, z: tg.addcmul(x, y, z, value=-0.5), [a, b, c])
    assert gradcheck(lambda x, y, z: x.addcdiv(y, z, value=2.0), [a, b, c])


# --- comparisons and logic -----------------------------------------------------------------


def test_eq_is_elementwise_and_equal_is_one_bool():
    a, b = Tensor([1.0, 2.0]), Tensor([1.0, 3.0])
    assert tg.eq(a, b).tolist() == [True, False] and a.eq(b).dtype == np.bool_
    assert tg.equal(a, b) is False and a.equal(a) is True
    assert tg.ne(a, b).tolist() == [False, True] and a.not_equal(b).tolist() == [False, True]
    assert a.lt(b).tolist() == tg.less(a, b).tolist() == [False, True]
    assert tg.ge(a, 2.0).tolist() == a.greater_equal(2.0).tolist() == [False, True]
    assert tg.gt(a, 1.0).tolist() == [False, True] and a.le(1.0).tolist() == [True, False]


def test_comparisons_and_logic_have_no_gradient():
    x = Tensor([-1.0, 0.0, 2.0], requires_grad=True)
    for out in (x.gt(0), tg.logical_and(x, x), x.logical_not(), x.signbit(), x.isclose(x)):
        assert out.dtype == np.bool_ and not out.requires_grad


def test_logic_on_numbers_asks_whether_they_are_nonzero():
    a, b = Tensor([0.0, 2.0, 0.0]), Tensor([1.0, 3.0, 0.0])
    assert tg.logical_and(a, b).tolist() == [False, True, False]
    assert a.logical_or(b).tolist() == [True, True, False]
    assert tg.logical_xor(a, b).tolist() == [True, False, False]
    assert tg.logical_not(a).tolist() == [True, False, True]
    assert Tensor([-0.0, 0.0, -1.0]).signbit().tolist() == [True, False, True]


def test_close_as_methods():
    a = Tensor([1.0, 2.0])
    assert a.allclose(a + 1e-9) and not a.allclose(a + 1.0)
    assert a.isclose(Tensor([1.0, 2.5])).tolist() == [True, False]


def test_where_method_is_torch_where_with_self_first():
    x = Tensor([1.0, -1.0], requires_grad=True)
    y = x.where(x > 0, 0.0)
    assert y.tolist() == [1.0, 0.0]
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 0.0]


def test_nan_to_num_and_its_gradient():
    x = Tensor([math.nan, math.inf, -math.inf, 1.0], requires_grad=True)
    y = x.nan_to_num()
    assert y.tolist() == [0.0, F32_MAX, -F32_MAX, 1.0]
    assert tg.nan_to_num(x, nan=1.0, posinf=2.0, neginf=-2.0).tolist() == [1.0, 2.0, -2.0, 1.0]
    y.backward(Tensor([math.inf, 1.0, 1.0, 3.0]))
    assert x.grad.tolist() == [0.0, 0.0, 0.0, 3.0]  # replaced elements are constants


def test_maximum_minimum_clamp_min_clamp_max_as_methods():
    a, b = Tensor([1.0, 5.0]), Tensor([3.0, 2.0])
    assert a.maximum(b).tolist() == [3.0, 5.0] and a.minimum(b).tolist() == [1.0, 2.0]
    assert a.clamp_min(2.0).tolist() == [2.0, 5.0] and tg.clamp_max(a, 2.0).tolist() == [1.0, 2.0]


# --- in place --------------------------------------------------------------------------------

INPLACE = ["exp_", "log_", "abs_", "neg_", "sqrt_", "square_", "reciprocal_", "relu_",
           "sigmoid_", "tanh_", "floor_", "ceil_", "round_", "trunc_", "sign_"]


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_refuses_a_leaf_that_requires_grad(name):
    w = Tensor([0.5, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=f"{name}: a leaf tensor that requires grad"):
        getattr(w, name)()


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_matches_the_function_and_keeps_the_object(name):
    # a negative number too, so that every one of them changes some element (relu_ and
    # abs_ would pass on positive numbers without doing anything); log_ and sqrt_ give nan
    x = Tensor([-0.5, 2.0, 3.7])
    expected = getattr(x, name[:-1])().numpy()
    assert not np.array_equal(expected, [-0.5, 2.0, 3.7], equal_nan=True)
    data, version = x.numpy(), x._version
    assert getattr(x, name)() is x
    assert np.array_equal(x.numpy(), expected, equal_nan=True) and x._version == version + 1
    assert np.array_equal(data, expected, equal_nan=True)  # written into its own array


def test_inplace_on_an_integer_tensor_refuses_a_float_result():
    with pytest.raises(RuntimeError, match="cannot be stored in this int64 tensor"):
        Tensor(np.array([1, 2])).exp_()


def test_inplace_on_a_computed_tensor_is_recorded():
    x = t64(0.1, 2.0)
    y = x * 1.0
    y.exp_().pow_(2).clamp_min_(2.0)
    y.sum().backward()  # d/dx clamp(e^(2x), 2) = 2 e^(2x) above the bound
    assert np.allclose(x.grad.numpy(), [0.0, 2 * math.exp(4.0)])


def test_lerp_with_a_weight_that_requires_grad_is_recorded():
    w = t64(0.25)
    y = t64(1.0, requires_grad=False)
    y.lerp_(t64(5.0, requires_grad=False), w)  # only the weight wants a gradient
    y.backward()
    assert y.item() == 2.0 and w.grad.item() == 4.0


def test_a_hand_written_adam_step_with_addcmul_and_addcdiv_matches_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    p0, g = rng.standard_normal(5).astype(np.float32), rng.standard_normal(5).astype(np.float32)
    results = []
    for lib in (tg, torch):
        p, m, v = lib.tensor(p0), lib.zeros(5), lib.zeros(5)
        grad = lib.tensor(g)
        with lib.no_grad():
            for _ in range(3):
                m.mul_(0.9).add_(grad, alpha=0.1)
                v.mul_(0.999).addcmul_(grad, grad, value=0.001)
                p.addcdiv_(m, v.sqrt().add_(1e-8), value=-0.01)
        results.append(p.numpy())
    assert np.allclose(results[0], results[1], rtol=1e-6, atol=1e-7)


# --- the % and // operators (remainder and floor_divide, as PyTorch's Tensor) --------------

_INTS = st.lists(st.integers(-50, 50), min_size=1, max_size=6)


@given(a=_INTS, b=st.integers(-7, 7).filter(bool), floats=st.booleans())
def test_mod_and_floordiv_operators_follow_pythons_rules(a, b, floats):
    dtype = np.float64 if floats else np.int64
    x = Tensor(np.array(a, dtype=dtype))
    want_mod = np.array([v % b for v in a], dtype=dtype)  # Python's: the divisor's sign
    want_div = np.array([v // b for v in a], dtype=dtype)
    for got, want in ((x % b, want_mod), (x // b, want_div),
                      (b % (x.abs() + 1), np.array([b % (abs(v) + 1) for v in a], dtype)),
                      (b // (x.abs() + 1), np.array([b // (abs(v) + 1) for v in a], dtype))):
        assert got.dtype == dtype
        np.testing.assert_array_equal(got.numpy(), want)
    y = Tensor(np.array(a, dtype=dtype))
    y %= b
    np.testing.assert_array_equal(y.numpy(), want_mod)
    y = Tensor(np.array(a, dtype=dtype))
    y //= b
    np.testing.assert_array_equal(y.numpy(), want_div)


def test_mod_has_remainders_gradient_and_in_place_forms_keep_the_rules():
    x = t64(5.5, -5.5, 2.0)
    (x % 2).sum().backward()  # d(x - 2 floor(x / 2))/dx = 1
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0, 1.0])
    z = Tensor(np.array([5.0, -5.0]))
    z.fmod_(3)  # C's sign rule: the dividend's
    np.testing.assert_array_equal(z.numpy(), [2.0, -2.0])
    with pytest.raises(RuntimeError, match="in place"):
        x %= 2  # a leaf that requires grad, as PyTorch


@pytest.mark.parametrize("expr", ["x % 0", "x // 0", "tg.fmod(x, 0)", "x.remainder(y)",
                                  "tg.div(x, y, rounding_mode='trunc')", "7 % y"])
def test_integer_division_by_zero_raises_as_pytorch(expr):
    names = {"tg": tg, "x": tg.arange(3), "y": tg.tensor([1, 0, 2])}
    with pytest.raises(ZeroDivisionError, match="integer division by zero"):
        eval(expr, names)  # noqa: S307 - the test's own expressions
    x = names["x"]
    # floats divide by zero to inf or nan, as IEEE and PyTorch
    assert np.isnan((x.float() % 0).numpy()).all()
