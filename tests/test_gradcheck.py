"""gradcheck itself: it must pass correct derivatives and catch wrong ones, and say where."""

import math
import warnings

import numpy as np
import pytest

from tinygrad_dk import Function, GradcheckError, Tensor, Value, gradcheck

# ------------------------------------------------------------------ broken ops to catch


class BrokenValue(Value):
    """A Value whose ``square`` makes a classic mistake.

    ``x * x.data`` has the right value x^2, but the second factor is a plain number,
    so backprop sees the derivative x instead of 2x.
    """

    __slots__ = ()

    def square(self):
        return self * self.data


class WrongAtOneElement(Function):
    """y = 2x, but backward gets element (1, 2) wrong (returns 3 there instead of 2)."""

    @staticmethod
    def forward(ctx, x):
        return 2 * x

    @staticmethod
    def backward(ctx, grad):
        g = 2 * grad
        g[1, 2] = 3 * grad[1, 2]
        return g


class Sin(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * np.cos(x)


class SinWrongSign(Sin):
    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return -grad * np.cos(x)


# ------------------------------------------------------------------ Values


def test_value_gradcheck_passes_a_correct_function():
    assert gradcheck(lambda a, b: (a * b).tanh() + a / b, [Value(0.5), Value(-1.5)])


def test_value_gradcheck_catches_a_broken_op_with_a_table():
    # d/dx x^2 at x = 1.5: backprop says 1.5 (the bug), the slope is 3.0
    x = BrokenValue(1.5, label="x")
    assert x.square().data == 2.25
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda v: v.square(), [x])
    message = str(info.value)
    assert "analytic" in message and "numeric" in message and "input" in message
    row = [line for line in message.splitlines() if line.startswith("0 x")]
    assert len(row) == 1, message
    analytic, numeric = (float(v) for v in row[0].split()[3:5])
    assert analytic == pytest.approx(1.5)
    assert numeric == pytest.approx(3.0, rel=1e-6)


def test_value_gradcheck_without_exception_returns_false():
    assert gradcheck(lambda v: v.square(), [BrokenValue(1.5)], raise_exception=False) is False
    assert gradcheck(lambda v: v * v, [BrokenValue(1.5)], raise_exception=False) is True


def test_value_gradcheck_leaves_data_and_grad_as_they_were():
    a, b = Value(0.7), Value(2.0)
    a.grad, b.grad = 5.0, -1.0
    gradcheck(lambda a, b: a * b, [a, b])
    assert (a.data, b.data) == (0.7, 2.0)
    assert (a.grad, b.grad) == (5.0, -1.0)


def test_gradcheck_error_is_an_assertion_error():
    # so a bare `gradcheck(...)` in a test reads as a failed assertion
    assert issubclass(GradcheckError, AssertionError)


# ------------------------------------------------------------------ Tensors


def test_tensor_gradcheck_passes_a_correct_function(rng):
    x = Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    w = Tensor(rng.standard_normal((4, 2)), requires_grad=True)
    assert gradcheck(lambda x, w: (x @ w).tanh(), [x, w])


def test_report_names_input_and_element_index(rng):
    const = Tensor(rng.standard_normal((2, 4)))  # input 0: a constant, not checked
    x = Tensor(rng.standard_normal((2, 4)), requires_grad=True, label="x")
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda c, x: WrongAtOneElement.apply(x) * c, [const, x])
    message = str(info.value)
    assert "at 1 element(s)" in message
    rows = [line for line in message.splitlines() if line.startswith("1 x")]
    assert len(rows) == 1, message  # input 1 (position in the inputs), labelled x
    assert "(1, 2)" in rows[0]  # the element


def test_report_lists_at_most_ten_rows_and_counts_the_rest():
    x = Tensor(np.linspace(0.1, 1.0, 12), requires_grad=True)
    with pytest.raises(GradcheckError) as info:
        gradcheck(SinWrongSign.apply, [x])
    message = str(info.value)
    assert "at 12 element(s)" in message
    assert "... and 2 more" in message


def test_tensor_gradcheck_without_exception_returns_false():
    x = Tensor(np.array([0.3, 0.9]), requires_grad=True)
    assert gradcheck(SinWrongSign.apply, [x], raise_exception=False) is False
    assert gradcheck(Sin.apply, [x], raise_exception=False) is True


def test_float32_input_warns():
    x = Tensor(np.array([0.3, 0.9], dtype=np.float32), requires_grad=True)
    with pytest.warns(UserWarning, match="float64"):
        gradcheck(lambda t: t * 2.0, [x], raise_exception=False)


def test_float64_input_does_not_warn():
    x = Tensor(np.array([0.3, 0.9]), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert gradcheck(lambda t: t * 2.0, [x])


def test_fast_mode_passes_a_correct_function_and_catches_a_wrong_one(rng):
    x = Tensor(rng.standard_normal((20, 30)), requires_grad=True)
    assert gradcheck(Sin.apply, [x], fast_mode=True)
    with pytest.raises(GradcheckError, match="direction"):
        gradcheck(SinWrongSign.apply, [x], fast_mode=True)


def test_fast_mode_catches_an_error_at_a_single_element(rng):
    x = Tensor(rng.standard_normal((2, 4)), requires_grad=True)
    assert gradcheck(WrongAtOneElement.apply, [x], fast_mode=True, raise_exception=False) is False


def test_tolerances_are_respected():
    # backward of y = 1.001 * x claims 1.0: relative error 1e-3 on a slope of 1.001
    class Slightly(Function):
        @staticmethod
        def forward(ctx, x):
            return 1.001 * x

        @staticmethod
        def backward(ctx, grad):
            return grad

    x = Tensor(np.array([1.0]), requires_grad=True)
    assert gradcheck(Slightly.apply, [x], atol=0.0, rtol=2e-3)
    assert not gradcheck(Slightly.apply, [x], atol=0.0, rtol=1e-4, raise_exception=False)


def test_gradcheck_restores_the_input_data(rng):
    data = rng.standard_normal((3, 3))
    x = Tensor(data.copy(), requires_grad=True)
    gradcheck(lambda t: t.exp(), [x])
    np.testing.assert_array_equal(x.data, data)
    assert x.grad is None  # gradcheck computes gradients without storing them


def test_gradcheck_on_a_non_contiguous_input(rng):
    x = Tensor(rng.standard_normal((4, 3)).T, requires_grad=True)  # a transposed view
    assert gradcheck(lambda t: t.tanh() * t, [x])


def test_gradcheck_of_one_element_and_0d_outputs():
    x = Tensor(np.array([0.4]), requires_grad=True)
    assert gradcheck(lambda t: t * t, [x])  # shape (1,)
    assert gradcheck(lambda t: (t * t).sum(), [x])  # shape ()


def test_gradcheck_handles_nan_on_both_sides():
    # sqrt of a negative number: both analytic and numeric are nan, which counts as agreeing
    # (one element: with more, the projection would spread the nan to every slope)
    x = Tensor(np.array([-1.0]), requires_grad=True)
    assert gradcheck(lambda t: t.sqrt(), [x])


def test_unused_input_has_zero_gradient_and_passes():
    x = Tensor(np.array([1.0]), requires_grad=True)
    y = Tensor(np.array([2.0]), requires_grad=True)
    assert gradcheck(lambda x, y: x * 3.0, [x, y])


# ------------------------------------------------------------------ misuse


def test_no_input_requires_grad_is_an_error():
    with pytest.raises(ValueError, match="requires_grad"):
        gradcheck(lambda t: t * 2, [Tensor(np.ones(2))])


def test_no_inputs_is_an_error():
    with pytest.raises(ValueError):
        gradcheck(lambda: Tensor(1.0), [])


def test_mixing_values_and_tensors_is_a_type_error():
    with pytest.raises(TypeError, match="mix"):
        gradcheck(lambda a, b: a, [Value(1.0), Tensor(np.ones(1), requires_grad=True)])


def test_function_must_return_a_tensor():
    with pytest.raises(TypeError, match="must return a Tensor"):
        gradcheck(lambda t: float(t.data.sum()), [Tensor(np.ones(2), requires_grad=True)])


def test_sanity_central_difference_accuracy():
    # The documented claim: error of order eps^2. For sin at 0.3 with eps = 1e-6 the
    # central difference is far inside the default tolerance.
    x, eps = 0.3, 1e-6
    numeric = (math.sin(x + eps) - math.sin(x - eps)) / (2 * eps)
    assert abs(numeric - math.cos(x)) < 1e-9
    assert gradcheck(Sin.apply, [Tensor(np.array([x]), requires_grad=True)], atol=1e-8,
                     rtol=1e-8)
