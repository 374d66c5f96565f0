"""Custom operations with ``Function`` (as torch.autograd.Function)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_dk import Function, GradcheckError, Tensor, gradcheck, no_grad


class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x**2  # d/dx x^3 = 3x^2


class WrongCube(Cube):
    """The classic slip: the power rule without the factor 3 (Cube's forward)."""

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x**2


class AddBias(Function):
    """x + b with b broadcast over the rows: backward returns g for b in x's shape."""

    @staticmethod
    def forward(ctx, x, b):
        return x + b

    @staticmethod
    def backward(ctx, grad):
        return grad, grad  # the engine sums b's gradient over the broadcast rows


class Scale(Function):
    """x * factor, with a plain float argument that takes no gradient."""

    @staticmethod
    def forward(ctx, x, factor):
        ctx.factor = factor
        return x * factor

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.factor, None


class TooManyGrads(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, grad):
        return grad * 2, grad


class WrongShape(Function):
    @staticmethod
    def forward(ctx, x):
        return x.sum()

    @staticmethod
    def backward(ctx, grad):
        return np.ones(7)


@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=3, max_side=4),
                  elements=st.floats(-3, 3)))
def test_custom_cube_passes_gradcheck(x0):
    x = Tensor(x0, requires_grad=True)
    np.testing.assert_allclose(Cube.apply(x).data, x0**3)
    assert gradcheck(Cube.apply, [x])


def test_custom_cube_gradient_by_hand():
    # y = sum(x^3): dy/dx = 3x^2 = [3, 12, 27]
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    y = Cube.apply(x)
    assert y.op == "Cube" and y.requires_grad
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 12.0, 27.0])


def test_wrong_backward_is_caught_by_gradcheck():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    with pytest.raises(GradcheckError) as info:
        gradcheck(WrongCube.apply, [x])
    # at x = 2 with the projection the numbers vary, but both elements must be reported
    assert "2 element(s)" in str(info.value)
    assert gradcheck(WrongCube.apply, [x], raise_exception=False) is False


def test_wrong_number_of_gradients_is_a_clear_error():
    x = Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match=r"returned 2 gradient\(s\) for 1 input"):
        TooManyGrads.apply(x).sum().backward()


def test_wrong_gradient_shape_is_a_clear_error():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ValueError, match=r"gradient 0 has shape \(7,\)"):
        WrongShape.apply(x).backward()


def test_broadcast_gradient_from_a_function_is_reduced_by_the_engine(rng):
    x = Tensor(rng.standard_normal((4, 3)), requires_grad=True)
    b = Tensor(rng.standard_normal(3), requires_grad=True)
    AddBias.apply(x, b).backward(np.ones((4, 3)))
    np.testing.assert_array_equal(b.grad.data, [4.0, 4.0, 4.0])  # summed over 4 rows
    assert gradcheck(AddBias.apply, [Tensor(x.data, requires_grad=True),
                                     Tensor(b.data, requires_grad=True)])


def test_non_tensor_arguments_and_none_gradients():
    x = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    y = Scale.apply(x, 2.5)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.5, 2.5])
    assert gradcheck(lambda t: Scale.apply(t, 2.5), [Tensor(x.data, requires_grad=True)])


def test_needs_input_grad_is_recorded():
    seen = {}

    class Probe(Function):
        @staticmethod
        def forward(ctx, a, b):
            seen["needs"] = ctx.needs_input_grad
            return a * b

        @staticmethod
        def backward(ctx, grad):
            return grad, grad

    Probe.apply(Tensor(np.ones(2), requires_grad=True), Tensor(np.ones(2)))
    assert seen["needs"] == (True, False)


def test_constant_input_gets_no_gradient():
    x = Tensor(np.ones(3), requires_grad=True)
    b = Tensor(np.ones(3))
    AddBias.apply(x, b).sum().backward()
    assert b.grad is None
    np.testing.assert_array_equal(x.grad.data, np.ones(3))


def test_function_composes_with_built_in_ops():
    # y = sum(tanh(cube(x)) * 2 + x): the custom op is one link in a longer chain
    x = Tensor(np.array([0.3, -0.6, 0.9]), requires_grad=True)
    assert gradcheck(lambda t: (Cube.apply(t.tanh()) * 2.0 + t).exp(), [x])


def test_function_under_no_grad_records_nothing():
    x = Tensor(np.ones(2), requires_grad=True)
    with no_grad():
        y = Cube.apply(x)
    assert y.requires_grad is False and y.parents == ()


def test_function_result_without_grad_inputs_records_nothing():
    y = Cube.apply(Tensor(np.ones(2)))
    assert y.requires_grad is False
    np.testing.assert_array_equal(y.data, [1.0, 1.0])


def test_function_backward_twice_accumulates():
    x = Tensor(np.array([2.0]), requires_grad=True)
    y = Cube.apply(x).sum()
    y.backward()
    y.backward()
    assert x.grad.item() == 2 * 12.0


def test_function_respects_the_version_counter():
    x = Tensor(np.array([2.0]), requires_grad=True)
    y = Cube.apply(x).sum()
    x.data = np.array([5.0])
    with pytest.raises(RuntimeError, match="modified"):
        y.backward()


def test_function_without_backward_is_a_clear_error():
    class ForwardOnly(Function):
        @staticmethod
        def forward(ctx, x):
            return x + 1

    x = Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(NotImplementedError, match="backward"):
        ForwardOnly.apply(x).sum().backward()


def test_function_without_forward_is_a_clear_error():
    class Empty(Function):
        pass

    with pytest.raises(NotImplementedError, match="forward"):
        Empty.apply(Tensor(np.ones(2)))
