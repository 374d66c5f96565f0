"""Tensor as a container: dtype policy, numpy interop, properties, repr, creation."""

import numpy as np
import pytest

import tinygrad_dk as tg
from tinygrad_dk import Tensor

# ------------------------------------------------------------------ dtype policy


@pytest.mark.parametrize("data", [3, 2.5, [1, 2], [[1.0, 2.0], [3.0, 4.0]], (1, 2, 3)])
def test_python_numbers_and_lists_become_float32(data):
    t = Tensor(data)
    assert t.dtype == np.float32
    np.testing.assert_array_equal(t.data, np.asarray(data, dtype=np.float32))


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16, np.int64, np.int32,
                                   np.uint8, np.bool_])
def test_numpy_arrays_keep_their_dtype(dtype):
    arr = np.array([1, 0, 1]).astype(dtype)
    assert Tensor(arr).dtype == dtype


def test_numpy_scalar_keeps_its_dtype():
    assert Tensor(np.float64(1.5)).dtype == np.float64


def test_python_bools_stay_bool():
    assert Tensor([True, False]).dtype == np.bool_


def test_explicit_dtype_wins():
    assert Tensor([1, 2], dtype=np.float64).dtype == np.float64
    assert Tensor(np.arange(3), dtype=np.float32).dtype == np.float32


def test_int_and_bool_data_is_allowed_without_grad():
    labels = Tensor(np.array([0, 2, 1]))
    mask = Tensor(np.array([True, False]))
    assert labels.requires_grad is False and mask.requires_grad is False


@pytest.mark.parametrize("arr", [np.array([1, 2]), np.array([True, False])])
def test_requires_grad_on_int_or_bool_is_a_type_error(arr):
    with pytest.raises(TypeError, match="floating"):
        Tensor(arr, requires_grad=True)
    with pytest.raises(TypeError):
        Tensor(arr).requires_grad_()


def test_non_numeric_data_is_rejected():
    with pytest.raises(TypeError):
        Tensor(["a", "b"])


def test_ragged_list_is_a_value_error():
    with pytest.raises(ValueError, match="same length"):
        Tensor([[1.0, 2.0], [3.0]])


def test_tensor_from_a_tensor_is_a_new_leaf_with_the_same_data():
    a = Tensor(np.ones(3), requires_grad=True)
    b = Tensor(a)
    assert b.requires_grad is False and b.op == ""
    np.testing.assert_array_equal(b.data, a.data)


# ------------------------------------------------------------------ numpy interop


def test_array_protocol():
    t = Tensor(np.array([[1.0, 2.0]]))
    assert np.asarray(t) is t.data
    assert np.asarray(t, dtype=np.float32).dtype == np.float32
    np.testing.assert_array_equal(np.array(t), [[1.0, 2.0]])


def test_numpy_returns_the_data():
    t = Tensor(np.arange(4.0))
    assert t.numpy() is t.data


def test_numpy_array_on_the_left_gives_a_tensor():
    # ndarray + Tensor must call Tensor.__radd__, not build an object array
    x = Tensor(np.ones(2), requires_grad=True)
    y = np.array([1.0, 2.0]) + x
    assert isinstance(y, Tensor) and y.requires_grad
    np.testing.assert_array_equal(y.data, [2.0, 3.0])


# ------------------------------------------------------------------ properties


def test_shape_ndim_size_dtype():
    t = Tensor(np.zeros((2, 3, 4)))
    assert t.shape == (2, 3, 4)
    assert t.ndim == 3
    assert t.size == 24
    assert t.dtype == np.float64


def test_T_reverses_axes():
    data = np.arange(24.0).reshape(2, 3, 4)
    t = Tensor(data)
    assert t.T.shape == (4, 3, 2)
    np.testing.assert_array_equal(t.T.data, data.T)


def test_len_and_iteration():
    t = Tensor(np.arange(6.0).reshape(3, 2))
    assert len(t) == 3
    rows = list(t)
    assert len(rows) == 3 and all(isinstance(r, Tensor) for r in rows)
    np.testing.assert_array_equal(rows[2].data, [4.0, 5.0])


def test_len_of_0d_tensor_is_a_type_error():
    with pytest.raises(TypeError, match="item"):
        len(Tensor(1.0))


def test_item():
    assert Tensor([[2.5]]).item() == 2.5
    assert isinstance(Tensor(np.array(3)).item(), int)
    with pytest.raises(ValueError, match="2 elements"):
        Tensor([1.0, 2.0]).item()


def test_float_conversion():
    assert float(Tensor(np.array([1.5]))) == 1.5


def test_detach_shares_data_but_has_no_history():
    x = Tensor(np.ones(3), requires_grad=True)
    y = x * 2.0
    d = y.detach()
    assert d.requires_grad is False and d.op == "" and d.parents == ()
    assert np.shares_memory(d.data, y.data)


def test_astype_changes_dtype_and_passes_gradient_back_in_the_original_dtype():
    x = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    y = x.astype(np.float64)
    assert y.dtype == np.float64 and y.requires_grad
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.data, [2.0, 4.0])


# ------------------------------------------------------------------ repr


def test_repr_of_a_leaf_shows_requires_grad():
    text = repr(Tensor([1.0, 2.0], requires_grad=True))
    assert text.startswith("Tensor(") and "requires_grad=True" in text and "1." in text


def test_repr_of_a_result_shows_its_op():
    x = Tensor([1.0, 2.0], requires_grad=True)
    assert "op='*'" in repr(x * 2)
    assert "op='tanh'" in repr(x.tanh())


def test_repr_shows_non_default_dtype_and_label():
    text = repr(Tensor(np.array([1, 2]), label="idx"))
    assert "int64" in text and "idx" in text
    assert "dtype" not in repr(Tensor([1.0]))  # float32 is the default, not shown


# ------------------------------------------------------------------ comparisons


@pytest.mark.parametrize(
    "op, expected",
    [
        (lambda a, b: a < b, [True, False, False]),
        (lambda a, b: a <= b, [True, True, False]),
        (lambda a, b: a > b, [False, False, True]),
        (lambda a, b: a >= b, [False, True, True]),
        (lambda a, b: a == b, [False, True, False]),
        (lambda a, b: a != b, [True, False, True]),
    ],
    ids=["<", "<=", ">", ">=", "==", "!="],
)
def test_comparisons_give_bool_tensors_without_grad(op, expected):
    a = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    for b in (2.0, Tensor(np.full(3, 2.0), requires_grad=True), np.full(3, 2.0)):
        out = op(a, b)
        assert isinstance(out, Tensor)
        assert out.dtype == np.bool_
        assert out.requires_grad is False and out.op == ""
        np.testing.assert_array_equal(out.data, expected)


def test_tensors_stay_hashable_despite_elementwise_eq():
    a, b = Tensor([1.0]), Tensor([1.0])
    assert len({a, b}) == 2  # identity hash: usable as dict keys (optimizers need this)


# ------------------------------------------------------------------ creation


@pytest.mark.parametrize("make", [tg.zeros, tg.ones])
def test_zeros_ones_accept_ints_or_a_tuple(make):
    a, b = make(2, 3), make((2, 3))
    assert a.shape == b.shape == (2, 3) and a.dtype == np.float32
    fill = 0.0 if make is tg.zeros else 1.0
    assert np.all(a.data == fill)
    assert make(2, dtype=np.float64).dtype == np.float64
    assert make(2, requires_grad=True).requires_grad


def test_full():
    t = tg.full((2, 2), 7.5)
    assert t.shape == (2, 2) and np.all(t.data == 7.5) and t.dtype == np.float32
    assert tg.full(3, 1.0).shape == (3,)


def test_like_functions_take_shape_and_dtype():
    ref = Tensor(np.zeros((2, 3), dtype=np.float64))
    for t, fill in [(tg.zeros_like(ref), 0.0), (tg.ones_like(ref), 1.0),
                    (tg.full_like(ref, -2.0), -2.0)]:
        assert t.shape == (2, 3) and t.dtype == np.float64
        assert np.all(t.data == fill)
        assert not np.shares_memory(t.data, ref.data)
    assert tg.zeros_like(np.arange(3)).dtype == np.int64  # arrays work too
    assert tg.ones_like(ref, requires_grad=True).requires_grad


def test_arange():
    np.testing.assert_array_equal(tg.arange(4).data, [0, 1, 2, 3])
    assert tg.arange(4).dtype == np.int64  # integers give int64, as numpy
    np.testing.assert_allclose(tg.arange(1, 2, 0.25).data, [1.0, 1.25, 1.5, 1.75])
    assert tg.arange(1, 2, 0.25).dtype == np.float32
    assert tg.arange(3, dtype=np.float64).dtype == np.float64


def test_eye():
    np.testing.assert_array_equal(tg.eye(3).data, np.eye(3))
    assert tg.eye(2, 3).shape == (2, 3)


@pytest.mark.parametrize("make", [tg.randn, tg.rand])
def test_manual_seed_makes_random_tensors_repeatable(make):
    tg.manual_seed(7)
    a = make(3, 4)
    b = make(3, 4)
    tg.manual_seed(7)
    c = make(3, 4)
    assert a.shape == (3, 4) and a.dtype == np.float32
    np.testing.assert_array_equal(a.data, c.data)
    assert not np.array_equal(a.data, b.data)  # the generator moves on between calls
    tg.manual_seed(8)
    assert not np.array_equal(make(3, 4).data, a.data)


def test_rand_is_uniform_in_unit_interval_and_randn_is_roughly_standard():
    tg.manual_seed(0)
    u = tg.rand(10_000, dtype=np.float64).data
    assert u.min() >= 0.0 and u.max() < 1.0
    n = tg.randn(10_000, dtype=np.float64).data
    # mean within 4 standard errors of 0 (4 / sqrt(10^4) = 0.04), std near 1
    assert abs(n.mean()) < 0.04 and abs(n.std() - 1.0) < 0.04


def test_random_creation_with_requires_grad():
    assert tg.randn(2, requires_grad=True).requires_grad
    assert tg.rand(2, requires_grad=True).requires_grad


def test_manual_seed_returns_the_shared_generator():
    gen = tg.manual_seed(3)
    assert gen is tg.generator()
