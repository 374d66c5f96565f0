"""Tensor.backward: errors, accumulation, no_grad, version counter, deep graphs."""

import threading

import numpy as np
import pytest

import tinygrad_dk as tg
from tinygrad_dk import Tensor, enable_grad, is_grad_enabled, no_grad, zero_grad

# ------------------------------------------------------------------ errors


def test_non_scalar_backward_without_gradient_is_an_error():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"shape \(2, 3\)"):
        (x * 2).backward()


def test_one_element_output_needs_no_gradient():
    x = Tensor(np.array([[3.0]]), requires_grad=True)
    (x * x).backward()  # shape (1, 1): unambiguous
    assert x.grad.item() == 6.0


@pytest.mark.parametrize("bad_shape", [(3, 2), (6,), (2, 3, 1), ()])
def test_wrong_shaped_gradient_is_an_error(bad_shape):
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ValueError, match="gradient has shape"):
        (x * 2).backward(np.ones(bad_shape))


def test_backward_of_a_tensor_without_grad_is_an_error():
    with pytest.raises(RuntimeError, match="requires_grad"):
        Tensor(np.ones(2)).sum().backward()


def test_gradient_argument_can_be_a_tensor_or_a_list():
    for gradient in (Tensor(np.array([1.0, 2.0])), [1.0, 2.0], np.array([1.0, 2.0])):
        x = Tensor(np.array([5.0, 7.0]), requires_grad=True)
        (x * 3.0).backward(gradient)
        np.testing.assert_array_equal(x.grad.data, [3.0, 6.0])


# ------------------------------------------------------------------ who gets a gradient


def test_tensors_without_requires_grad_get_no_grad():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    c = Tensor(np.array([3.0, 4.0]))  # a constant
    (x * c).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 4.0])
    assert c.grad is None


def test_output_of_constants_only_does_not_require_grad():
    y = Tensor(np.ones(2)) * 3.0
    assert y.requires_grad is False and y.op == "" and y.parents == ()


def test_detach_stops_the_gradient():
    # y = x * detach(x): treated as x * constant, so dy/dx = x (not 2x)
    x = Tensor(np.array([3.0]), requires_grad=True)
    (x * x.detach()).sum().backward()
    assert x.grad.item() == 3.0


def test_gradient_dtype_follows_the_input_dtype():
    x32 = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    x64 = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (x32 * x64).sum().backward()
    assert x32.grad.dtype == np.float32 and x64.grad.dtype == np.float64


def test_requires_grad_false_on_a_result_is_an_error():
    x = Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        (x * 2).requires_grad_(False)


# ------------------------------------------------------------------ accumulation


def test_backward_twice_accumulates_exactly_twice_in_leaves():
    x = Tensor(np.array([0.3, -1.2, 2.0]), requires_grad=True)
    h = x.tanh()
    y = (h * h).sum()
    y.backward()
    first_x, first_h = x.grad.data.copy(), h.grad.data.copy()
    y.backward()
    np.testing.assert_array_equal(x.grad.data, 2 * first_x)  # leaf: accumulated
    np.testing.assert_array_equal(h.grad.data, first_h)  # interior: latest pass


def test_two_losses_accumulate_into_the_same_leaf():
    # d/dx (x^2) + d/dx (3x) = 2x + 3 = 7 at x = 2
    x = Tensor(np.array([2.0]), requires_grad=True)
    (x * x).sum().backward()
    (x * 3.0).sum().backward()
    assert x.grad.item() == 7.0


def test_tensor_used_twice_gets_both_contributions():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (x + x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 2.0])


def test_zero_grad_and_grad_none():
    x = Tensor(np.ones(2), requires_grad=True)
    x.sum().backward()
    zero_grad([x])
    assert x.grad is None
    x.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, 1.0])  # not 2: it was reset


def test_grad_setter_wraps_arrays():
    x = Tensor(np.ones(2), requires_grad=True)
    x.grad = np.array([1.0, 2.0])
    assert isinstance(x.grad, Tensor)
    x.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 3.0])


# ------------------------------------------------------------------ no_grad


def test_no_grad_context_manager_records_nothing():
    x = Tensor(np.ones(2), requires_grad=True)
    with no_grad():
        assert not is_grad_enabled()
        y = x * 2
    assert is_grad_enabled()
    assert y.requires_grad is False and y.parents == ()
    with pytest.raises(RuntimeError):
        y.sum().backward()


def test_no_grad_as_decorator():
    @no_grad()
    def predict(t):
        assert not is_grad_enabled()
        return t.exp()

    x = Tensor(np.ones(2), requires_grad=True)
    y = predict(x)
    assert y.requires_grad is False
    assert is_grad_enabled()
    assert predict.__name__ == "predict"


def test_no_grad_restores_the_mode_after_an_exception():
    with pytest.raises(ValueError, match="boom"), no_grad():
        raise ValueError("boom")
    assert is_grad_enabled()


def test_nested_no_grad_and_enable_grad():
    x = Tensor(np.ones(2), requires_grad=True)
    with no_grad():
        with no_grad():
            pass
        assert not is_grad_enabled()  # leaving the inner block keeps the outer one
        with enable_grad():
            y = x * 2
        z = x * 2
    assert y.requires_grad and not z.requires_grad


def test_no_grad_is_thread_local():
    # Thread A sits inside no_grad while the main thread records a graph.
    entered, release = threading.Event(), threading.Event()
    seen_in_thread = {}

    def worker():
        with no_grad():
            entered.set()
            seen_in_thread["enabled"] = is_grad_enabled()
            release.wait(timeout=10)

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        assert entered.wait(timeout=10)
        assert is_grad_enabled()  # unaffected by the other thread
        x = Tensor(np.ones(2), requires_grad=True)
        y = (x * 2).sum()
        assert y.requires_grad
        y.backward()
        np.testing.assert_array_equal(x.grad.data, [2.0, 2.0])
    finally:
        release.set()
        thread.join()
    assert seen_in_thread["enabled"] is False


def test_no_grad_in_main_thread_does_not_affect_a_new_thread():
    result = {}

    def worker():
        x = Tensor(np.ones(2), requires_grad=True)
        result["requires_grad"] = (x * 2).requires_grad

    with no_grad():
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
    assert result["requires_grad"] is True


def test_parameter_update_under_no_grad_keeps_a_leaf():
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (w * w).sum().backward()
    with no_grad():
        w.data = w.data - 0.1 * w.grad.data
    np.testing.assert_allclose(w.data, [0.8, 1.6])
    assert w.op == "" and w.requires_grad


# ------------------------------------------------------------------ version counter


def test_replacing_data_before_backward_is_an_error():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = (x * x).sum()  # the derivative 2x needs the old x
    x.data = np.array([5.0, 6.0])
    with pytest.raises(RuntimeError, match="modified"):
        y.backward()


def test_in_place_style_update_of_data_before_backward_is_an_error():
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = (w.exp() * 2.0).sum()
    w.data -= 0.5  # assigns .data, so the version goes up
    with pytest.raises(RuntimeError, match="modified"):
        y.backward()


def test_replacing_data_of_an_interior_node_is_an_error():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    h = x * 3.0
    y = (h * h).sum()
    h.data = np.zeros(2)
    with pytest.raises(RuntimeError):
        y.backward()


def test_changing_data_after_backward_is_fine_and_a_new_graph_works():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (x * x).sum().backward()
    x.data = np.array([3.0, 4.0])
    x.grad = None
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [6.0, 8.0])


def test_data_of_a_tensor_not_in_the_graph_can_change():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    other = Tensor(np.ones(2), requires_grad=True)
    y = (x * 2.0).sum()
    other.data = np.zeros(2)
    y.backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 2.0])


# ------------------------------------------------------------------ deep graphs


def test_100k_op_tensor_chain_backward():
    # y = x * 1.0001 * 1.0001 * ... (10^5 times): dy/dx = 1.0001^100000 = e^(10^5 ln 1.0001)
    # which is about e^9.9995 = 22015.4; a recursive walk would hit RecursionError long before.
    x = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0001
    y.sum().backward()
    expected = 1.0001**100_000
    np.testing.assert_allclose(x.grad.data, [expected, expected], rtol=1e-9)
    np.testing.assert_allclose(y.data, [expected, -2 * expected], rtol=1e-9)


def test_gradients_of_a_wide_sum():
    xs = [Tensor(np.array([float(i)]), requires_grad=True) for i in range(1000)]
    total = xs[0]
    for x in xs[1:]:
        total = total + x * x
    total.sum().backward()
    assert xs[0].grad.item() == 1.0
    assert all(x.grad.item() == 2.0 * i for i, x in enumerate(xs) if i > 0)


def test_randn_parameters_backward():
    tg.manual_seed(0)
    w = tg.randn(3, 2, dtype=np.float64, requires_grad=True)
    x = Tensor(np.array([[1.0, 2.0, 3.0]]))
    (x @ w).sum().backward()
    # d sum(x @ w) / dw[i, j] = x[0, i]
    np.testing.assert_array_equal(w.grad.data, [[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
