"""Misuse of the core (Value, Tensor, backward, gradcheck): each mistake gets an error
that names the operation, the shapes or dtype involved, and the fix.

Every case checks the exception type and the key words of its message; the messages
are listed with their causes and fixes in docs/errors.md.
"""

import warnings

import numpy as np
import pytest

import tinygrad_dk as tg
from tinygrad_dk import Tensor, Value

# --- shapes ---------------------------------------------------------------------------


def test_matmul_shape_mismatch_names_both_shapes_and_the_fix():
    a, b = Tensor(np.ones((2, 3))), Tensor(np.ones((4, 5)))
    with pytest.raises(ValueError, match=r"@.*\(2, 3\) @ \(4, 5\).*transpose"):
        a @ b


def test_matmul_with_a_scalar_says_use_star():
    with pytest.raises(ValueError, match=r"matmul.*at least 1 dimension.*use \*"):
        Tensor(2.0) @ Tensor(np.ones(3))


@pytest.mark.parametrize("op", [lambda a, b: a + b, lambda a, b: a * b, lambda a, b: a - b])
def test_broadcast_mismatch_names_both_shapes(op):
    a, b = Tensor(np.ones((2, 3))), Tensor(np.ones((4,)))
    with pytest.raises(ValueError, match=r"broadcast.*\(2,3\).*\(4,\).*shape \(2, 3\).*\(4,\)"):
        op(a, b)


def test_reshape_to_an_impossible_shape():
    with pytest.raises(ValueError, match=r"cannot reshape 6 elements of shape \(2, 3\) into "
                                         r"\(4, 2\).*-1"):
        Tensor(np.ones((2, 3))).reshape(4, 2)


@pytest.mark.parametrize("reduction", ["sum", "mean", "max"])
def test_axis_out_of_range_in_a_reduction(reduction):
    x = Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match=rf"{reduction}: axis 2 is out of bounds.*dimension 2"
                                         r".*shape \(2, 3\)"):
        getattr(x, reduction)(axis=2)


def test_concatenate_mismatch_names_the_sizes():
    with pytest.raises(ValueError, match=r"concatenate.*shape \(2, 3\).*shape \(4, 5\)"):
        tg.concatenate([Tensor(np.ones((2, 3))), Tensor(np.ones((4, 5)))])


# --- indexing ---------------------------------------------------------------------------


@pytest.mark.parametrize("index", [np.array([0.0, 1.0]), [0.0], Tensor([1.0])])
def test_indexing_with_float_arrays_says_convert_to_int(index):
    with pytest.raises(IndexError, match=r"integers or booleans.*float.*astype\(int\)"):
        Tensor(np.ones((2, 3)))[index]


def test_indexing_with_a_float_scalar_names_the_op():
    with pytest.raises(IndexError, match=r"getitem: only integers.*shape \(2, 3\).*float"):
        Tensor(np.ones((2, 3)))[0.5]


def test_index_out_of_bounds_names_axis_and_size():
    with pytest.raises(IndexError, match=r"getitem: index 5 is out of bounds for axis 0 with size"):
        Tensor(np.ones((2, 3)))[5]


# --- backward ---------------------------------------------------------------------------


def test_backward_on_a_non_scalar_without_gradient():
    out = Tensor(np.ones((2, 3)), requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"shape \(2, 3\).*ambiguous.*\.sum\(\).*gradient="):
        out.backward()


def test_backward_on_something_that_does_not_require_grad():
    with pytest.raises(RuntimeError, match=r"does not require grad.*requires_grad=True.*no_grad"):
        (Tensor([1.0, 2.0]) * 3).sum().backward()


def test_backward_of_a_result_computed_under_no_grad():
    x = Tensor([1.0], requires_grad=True)
    with tg.no_grad():
        y = x * 2
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


def test_gradient_of_the_wrong_shape():
    out = Tensor(np.ones((2, 3)), requires_grad=True) * 2
    with pytest.raises(ValueError, match=r"gradient has shape \(3, 2\).*output has shape \(2, 3\)"):
        out.backward(np.ones((3, 2)))


def test_replacing_data_of_a_saved_tensor_before_backward():
    x, w = Tensor(np.ones(3), requires_grad=True), Tensor(np.ones(3), requires_grad=True)
    y = (x * w).sum()
    w.data = np.zeros(3)
    with pytest.raises(RuntimeError, match=r"backward through '\*'.*modified.*after backward"):
        y.backward()


def test_in_place_arithmetic_on_data_before_backward_is_detected():
    # `w.data -= 1` assigns through the property, so the version counter sees it.
    x, w = Tensor(np.ones(3), requires_grad=True), Tensor(np.full(3, 2.0), requires_grad=True)
    y = (x * w).sum()
    w.data -= 1
    with pytest.raises(RuntimeError, match="modified"):
        y.backward()


def test_element_write_into_data_before_backward_is_detected_and_documented():
    # An element write `w.data[0] = 5` changes the array behind the Tensor's back; the
    # array was handed out while w was saved for backward, so its numbers are compared
    # before backward and the stale-data error is raised instead of dy/dx = w_new.
    x, w = Tensor(np.ones(3), requires_grad=True), Tensor(np.full(3, 2.0), requires_grad=True)
    y = (x * w).sum()
    w.data[0] = 5.0
    with pytest.raises(RuntimeError, match=r"modified.*t\.data\[0\] = 5.*after backward"):
        y.backward()
    assert x.grad is None
    assert "t.data[0] = 5" in Tensor.data.__doc__ and "backward()" in Tensor.data.__doc__


def test_element_write_after_backward_is_safe():
    x, w = Tensor(np.ones(3), requires_grad=True), Tensor(np.full(3, 2.0), requires_grad=True)
    (x * w).sum().backward()
    w.data[0] = 5.0
    np.testing.assert_array_equal(x.grad.data, [2.0, 2.0, 2.0])


def test_requires_grad_false_on_an_interior_node():
    y = Tensor([1.0], requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"only works on leaves.*detach"):
        y.requires_grad_(False)


# --- dtypes and data ---------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.bool_])
def test_requires_grad_on_integer_or_bool_data(dtype):
    with pytest.raises(TypeError, match=rf"requires_grad=True needs floating-point.*"
                                        rf"{np.dtype(dtype).name}.*dtype=np.float32"):
        Tensor(np.array([1, 0], dtype=dtype), requires_grad=True)


def test_integer_python_list_becomes_float32_and_can_require_grad():
    assert Tensor([1, 2], requires_grad=True).dtype == np.float32


@pytest.mark.parametrize("data", ["abc", ["a", "b"], None, {"a": 1}, np.array([object()])])
def test_tensor_from_non_numeric_data(data):
    with pytest.raises(TypeError, match=r"Tensor\(data\): data of dtype .* is not numeric"):
        Tensor(data)


def test_tensor_from_a_ragged_list():
    with pytest.raises(ValueError, match=r"Tensor\(data\).*every row .* same length"):
        Tensor([[1.0, 2.0], [3.0]])


@pytest.mark.parametrize("data", ["abc", None, [1.0, 2.0], np.ones(2), 1j])
def test_value_from_non_numeric_data(data):
    with pytest.raises(TypeError, match=r"Value\(data\): expected a real number.*Tensor"):
        Value(data)


def test_value_arithmetic_with_a_string():
    with pytest.raises(TypeError, match=r"Value arithmetic: expected a real number.*str"):
        Value(1.0) + "2"


def test_value_power_with_a_string_exponent():
    with pytest.raises(TypeError, match=r"Value \*\* exponent: expected a real number"):
        Value(2.0) ** "a"


def test_tensor_op_with_a_string():
    with pytest.raises(TypeError, match=r"\+: got the string 'x'.*numbers or arrays"):
        Tensor([1.0]) + "x"


def test_tensor_op_with_none_names_the_op_and_operands():
    with pytest.raises(TypeError, match=r"\+: .*NoneType.*Tensor of shape \(1,\)"):
        Tensor([1.0]) + None


def test_item_on_a_multi_element_tensor():
    with pytest.raises(ValueError, match=r"item\(\): tensor has 6 elements \(shape \(2, 3\)\)"):
        Tensor(np.ones((2, 3))).item()


def test_len_of_a_0d_tensor():
    with pytest.raises(TypeError, match=r"0-d tensor.*item\(\)"):
        len(Tensor(1.0))


# --- mixing the engines ----------------------------------------------------------------


@pytest.mark.parametrize("op", [lambda v, t: v + t, lambda v, t: v * t, lambda v, t: v - t,
                                lambda v, t: v / t])
def test_value_with_tensor(op):
    with pytest.raises(TypeError, match=r"cannot mix a Tensor with the scalar Value engine.*item"):
        op(Value(1.0), Tensor([1.0]))


@pytest.mark.parametrize("op", [lambda t, v: t + v, lambda t, v: t * v, lambda t, v: t @ v])
def test_tensor_with_value(op):
    with pytest.raises(TypeError, match=r"cannot mix a scalar Value with a Tensor.*value\.data"):
        op(Tensor([1.0]), Value(1.0))


def test_tensor_from_a_list_of_values():
    with pytest.raises(TypeError, match=r"Tensor\(data\): got scalar Value.*v\.data"):
        Tensor([Value(1.0), Value(2.0)])


def test_value_from_a_tensor():
    with pytest.raises(TypeError, match=r"Value\(data\): cannot mix a Tensor.*item\(\)"):
        Value(Tensor([1.0]))


def test_gradcheck_with_mixed_inputs():
    with pytest.raises(TypeError, match="inputs mix Values and Tensors"):
        tg.gradcheck(lambda a, b: a, [Value(1.0), Tensor([1.0], requires_grad=True)])


# --- gradcheck -------------------------------------------------------------------------


def test_gradcheck_on_float32_warns_and_says_use_float64():
    x = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    with pytest.warns(UserWarning, match=r"float32, not float64.*imprecise.*np.float64"):
        tg.gradcheck(lambda t: t.sum(), [x], eps=1e-2)


def test_gradcheck_on_float64_does_not_warn():
    x = Tensor(np.ones(3), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert tg.gradcheck(lambda t: (t * t).sum(), [x])


def test_gradcheck_without_any_input_requiring_grad():
    with pytest.raises(ValueError, match="no input Tensor has requires_grad=True"):
        tg.gradcheck(lambda t: t.sum(), [Tensor(np.ones(3))])


def test_gradcheck_failure_names_input_element_and_both_values():
    class WrongSquare(tg.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x  # wrong: should be 2x

    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    with pytest.raises(tg.GradcheckError, match=r"(?s)disagrees.*analytic.*numeric.*\b6\b"):
        tg.gradcheck(lambda t: WrongSquare.apply(t).sum(), [x])
