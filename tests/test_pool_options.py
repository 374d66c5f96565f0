"""Pooling's options (group "poolidx"): ceil_mode, return_indices, divisor_override and max
unpooling; known values, PyTorch's output sizes, the errors, float64 gradcheck.

The differential rows (``test_differential_poolidx.py``) compare all of it with PyTorch on
drawn inputs; these tests pin small cases a reader can check by hand.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
import nn.functional as F
import tinygrad_dk as tg
from tinygrad_dk import Tensor, gradcheck


def _row(*values: float) -> Tensor:
    return Tensor(np.array(values, dtype=np.float64).reshape(1, 1, -1))


# --- ceil_mode ----------------------------------------------------------------------------------


def test_ceil_mode_adds_a_last_partial_window():
    x = _row(1, 2, 3, 4, 5)
    assert tg.max_pool1d(x, 2).numpy().ravel().tolist() == [2, 4]
    assert tg.max_pool1d(x, 2, ceil_mode=True).numpy().ravel().tolist() == [2, 4, 5]
    # the hanging window's mean is over what it covers: 5, not 5 / 2
    assert tg.avg_pool1d(x, 2, ceil_mode=True).numpy().ravel().tolist() == [1.5, 3.5, 5]


def test_ceil_mode_last_window_must_start_inside_input_or_left_padding():
    # length 4, window 2, stride 2, padding 1: ceil((4 + 2 - 2) / 2) + 1 = 3 windows, and a
    # 4th would start at 6 - 1 = 5 >= 4 + 1 (in the right padding): PyTorch drops it
    x = _row(1, 2, 3, 4)
    assert tg.max_pool1d(x, 2, 2, 1, ceil_mode=True).shape == (1, 1, 3)
    # length 5, window 2, stride 2, no padding: the 3rd window starts at 4 < 5: kept
    assert tg.max_pool1d(_row(1, 2, 3, 4, 5), 2, ceil_mode=True).shape == (1, 1, 3)


@given(n=st.integers(1, 12), k=st.integers(1, 4), s=st.integers(1, 4), p=st.integers(0, 2),
       dl=st.integers(1, 2))
def test_ceil_mode_output_size_is_pytorchs_formula(n, k, s, p, dl):
    if p > k // 2:
        return
    span = dl * (k - 1) + 1
    expected = -(-(n + 2 * p - span) // s) + 1
    if (expected - 1) * s >= n + p:
        expected -= 1
    if expected < 1:
        with pytest.raises(ValueError, match="smaller than the window"):
            tg.max_pool1d(Tensor(np.zeros((1, 1, n))), k, s, p, dl, ceil_mode=True)
        return
    out = tg.max_pool1d(Tensor(np.zeros((1, 1, n))), k, s, p, dl, ceil_mode=True)
    assert out.shape == (1, 1, expected)
    # and every window holds what PyTorch's does: window i starts at i * s - p
    x = np.arange(1.0, n + 1)
    starts = [i * s - p for i in range(expected)]
    maxima = [max((x[j] for j in range(a, a + span, dl) if 0 <= j < n), default=-np.inf)
              for a in starts]  # (with dilation a window may hold only padding)
    assert tg.max_pool1d(_row(*x), k, s, p, dl, ceil_mode=True).numpy().ravel().tolist() == maxima
    if dl == 1:  # the mean: the overhang past the right padding never counts
        for include in (True, False):
            means = [sum(x[j] for j in range(a, a + k) if 0 <= j < n)
                     / (min(a + k, n + p) - a if include else min(a + k, n) - max(a, 0))
                     for a in starts]
            out = tg.avg_pool1d(_row(*x), k, s, p, ceil_mode=True, count_include_pad=include)
            assert np.allclose(out.numpy().ravel(), means)


def test_avg_ceil_mode_divisor_with_and_without_padding():
    ones = Tensor(np.ones((1, 1, 5)))
    # padding 1: windows from -1 (padding, 1), 1 (1, 1) and 3 (1, 1); a 4th would start
    # at 5, in the right padding: dropped
    with_pad = tg.avg_pool1d(ones, 2, 2, 1, ceil_mode=True, count_include_pad=True)
    assert with_pad.numpy().ravel().tolist() == [0.5, 1.0, 1.0]
    without = tg.avg_pool1d(ones, 2, 2, 1, ceil_mode=True, count_include_pad=False)
    assert without.numpy().ravel().tolist() == [1.0, 1.0, 1.0]
    # 2-D, window 3 stride 2 on 4x4 with padding 1 and ceil_mode: the last window starts at
    # 3, covers 3, 4 (padding, counted) and 5 (overhang, not counted): divisor 2 per axis
    x = Tensor(np.ones((1, 1, 4, 4)))
    out = tg.avg_pool2d(x, 3, 2, 1, ceil_mode=True)
    assert out.shape == (1, 1, 3, 3)
    assert out.numpy()[0, 0, 2, 2] == pytest.approx(1 / 4)  # one real input of 2 x 2 counted


def test_divisor_override_divides_every_window_by_it():
    x = Tensor(np.arange(16, dtype=np.float64).reshape(1, 1, 4, 4))
    assert np.allclose(tg.avg_pool2d(x, 2, divisor_override=1).numpy(),
                       [[[[10, 18], [42, 50]]]])
    assert np.allclose(nn.AvgPool2d(2, divisor_override=2)(x).numpy(), [[[[5, 9], [21, 25]]]])
    with pytest.raises(ValueError, match="divisor_override must be a non-zero int"):
        tg.avg_pool2d(x, 2, divisor_override=0)
    with pytest.raises(ValueError, match="divisor_override"):
        F.avg_pool3d(Tensor(np.ones((1, 1, 2, 2, 2))), 2, divisor_override=1.5)


def test_divisor_override_is_2d_and_3d_only_as_in_pytorch():
    # PyTorch's AvgPool1d and avg_pool1d have no divisor_override: a TypeError, as there
    for refuse in (lambda: nn.AvgPool1d(2, divisor_override=2),
                   lambda: F.avg_pool1d(_row(1, 2), 2, divisor_override=2)):
        with pytest.raises(TypeError, match="divisor_override"):
            refuse()
    assert nn.AvgPool3d(2, divisor_override=4).divisor_override == 4


def test_ceil_mode_gradients_gradcheck():
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((1, 2, 5, 5)), requires_grad=True)
    assert gradcheck(lambda t: tg.max_pool2d(t, 2, ceil_mode=True), [x])
    assert gradcheck(lambda t: tg.avg_pool2d(t, 3, 2, 1, ceil_mode=True,
                                             count_include_pad=False), [x])
    assert gradcheck(lambda t: tg.avg_pool2d(t, 2, ceil_mode=True, divisor_override=3), [x])


def test_ceil_mode_second_derivative():
    x = Tensor(np.array([[[1.0, -2.0, 3.0, 0.5, 4.0]]]), requires_grad=True)
    y = tg.avg_pool1d(x * x, 2, ceil_mode=True).sum()  # d/dx = x (full windows), 2 x (last)
    (g,) = tg.autograd.grad(y, [x], create_graph=True)
    assert np.allclose(g.numpy(), [[[1.0, -2.0, 3.0, 0.5, 8.0]]])
    g.sum().backward()
    assert np.allclose(x.grad.numpy(), [[[1.0, 1.0, 1.0, 1.0, 2.0]]])


# --- return_indices -------------------------------------------------------------------------------


def test_indices_are_flat_plane_positions_int64():
    x = Tensor(np.array([[[[1.0, 5.0, 2.0], [3.0, 4.0, 9.0], [0.0, 7.0, 6.0]]]]))
    values, where = tg.max_pool2d(x, 2, stride=1, return_indices=True)
    assert where.dtype == np.int64 and not where.requires_grad
    assert where.numpy().tolist() == [[[[1, 5], [7, 5]]]]
    assert values.numpy().tolist() == [[[[5.0, 9.0], [7.0, 9.0]]]]


def test_indices_tie_goes_to_first_and_nan_to_last():
    ties = tg.max_pool1d(_row(3, 1, 3, 3), 4, return_indices=True)[1]
    assert ties.numpy().ravel().tolist() == [0]
    nans = tg.max_pool1d(_row(1, np.nan, 3, np.nan, 0), 5, return_indices=True)[1]
    assert nans.numpy().ravel().tolist() == [3]  # PyTorch: a later nan still wins
    adaptive = F.adaptive_max_pool1d(_row(1, np.nan, 3, np.nan, 0), 1, return_indices=True)[1]
    assert adaptive.numpy().ravel().tolist() == [3]


def test_indices_with_padding_and_ceil_mode_point_into_the_input():
    x = _row(4, -1, 2, 7, 5)
    values, where = tg.max_pool1d(x, 3, 2, 1, ceil_mode=True, return_indices=True)
    # windows from -1 (padding, 4, -1), 1 (-1, 2, 7) and 3 (7, 5, overhang)
    assert values.numpy().ravel().tolist() == [4, 7, 7]
    assert where.numpy().ravel().tolist() == [0, 3, 3]


def test_unbatched_and_module_return_pairs():
    x = Tensor(np.arange(8.0).reshape(2, 4))  # (channels, length), no batch axis
    values, where = nn.MaxPool1d(2, return_indices=True)(x)
    assert where.shape == (2, 2) and where.numpy().tolist() == [[1, 3], [1, 3]]
    vals3, where3 = nn.MaxPool3d(2, return_indices=True)(Tensor(np.arange(8.0).reshape(1, 2, 2, 2)))
    assert where3.numpy().ravel().tolist() == [7] and vals3.numpy().ravel().tolist() == [7.0]
    top, at = nn.AdaptiveMaxPool2d((1, 2), return_indices=True)(
        Tensor(np.array([[[[1.0, 9.0, 2.0], [8.0, 0.0, 3.0]]]])))
    assert at.numpy().tolist() == [[[[1, 1]]]] and top.numpy().tolist() == [[[[9.0, 9.0]]]]


def test_with_indices_spellings():
    x = Tensor(np.random.default_rng(1).standard_normal((2, 3, 6)))
    a = F.max_pool1d_with_indices(x, 2)
    b = F.max_pool1d(x, 2, return_indices=True)
    assert np.array_equal(a[1].numpy(), b[1].numpy())
    assert np.array_equal(a[0].numpy(), b[0].numpy())
    c = F.adaptive_max_pool2d_with_indices(x.reshape(2, 3, 2, 3), 1)
    assert c[1].numpy().max() < 6
    # the index of a whole-plane maximum is the plane's argmax
    assert np.array_equal(c[1].numpy().reshape(2, 3), np.argmax(x.numpy(), axis=-1))
    assert np.array_equal(c[0].numpy().reshape(2, 3), x.numpy().max(axis=-1))
    plane, volume = x.reshape(2, 3, 2, 3), x.reshape(2, 3, 1, 2, 3)
    for with_indices, pool, y, size in (
            (F.max_pool2d_with_indices, F.max_pool2d, plane, 2),
            (F.max_pool3d_with_indices, F.max_pool3d, volume, (1, 2, 2)),
            (F.adaptive_max_pool1d_with_indices, F.adaptive_max_pool1d, x, 2),
            (F.adaptive_max_pool3d_with_indices, F.adaptive_max_pool3d, volume, (1, 1, 2))):
        pair, expected = with_indices(y, size), pool(y, size, return_indices=True)
        assert all(np.array_equal(p.numpy(), e.numpy()) for p, e in zip(pair, expected))


def test_adaptive_max_gradient_goes_to_the_index():
    x = Tensor(np.array([[[1.0, 4.0, 4.0, 2.0]]]), requires_grad=True)
    values, where = F.adaptive_max_pool1d(x, 1, return_indices=True)
    values.sum().backward()
    assert where.numpy().ravel().tolist() == [1]
    assert x.grad.numpy().ravel().tolist() == [0.0, 1.0, 0.0, 0.0]
    y = Tensor(np.random.default_rng(2).standard_normal((1, 2, 5, 4)), requires_grad=True)
    assert gradcheck(lambda t: F.adaptive_max_pool2d(t, (2, 3)), [y])


# --- max unpooling ------------------------------------------------------------------------------


def test_unpool_puts_values_back():
    x = Tensor(np.array([[[[1.0, 5.0, 2.0, 0.0], [3.0, 4.0, 9.0, 8.0]]]]))
    values, where = F.max_pool2d(x, 2, return_indices=True)
    back = F.max_unpool2d(values, where, 2)
    assert back.numpy().tolist() == [[[[0.0, 5.0, 0.0, 0.0], [0.0, 0.0, 9.0, 0.0]]]]
    layer = nn.MaxUnpool2d(2)
    assert np.array_equal(layer(values, where).numpy(), back.numpy())
    assert repr(layer) == "MaxUnpool2d(kernel_size=2, stride=2, padding=0)"


def test_unpool_output_size_for_odd_inputs():
    x = Tensor(np.arange(5.0).reshape(1, 1, 5))
    values, where = F.max_pool1d(x, 2, return_indices=True)
    assert F.max_unpool1d(values, where, 2).shape == (1, 1, 4)
    full = F.max_unpool1d(values, where, 2, output_size=(5,))
    assert full.numpy().ravel().tolist() == [0, 1, 0, 3, 0]
    assert nn.MaxUnpool1d(2)(values, where, output_size=x.shape).shape == (1, 1, 5)
    with pytest.raises(ValueError, match="strictly between"):
        F.max_unpool1d(values, where, 2, output_size=(6,))


def test_unpool_gradient_and_gradcheck():
    rng = np.random.default_rng(3)
    x = Tensor(rng.standard_normal((2, 2, 4, 4, 4)))
    values, where = F.max_pool3d(x, 2, return_indices=True)
    v = Tensor(values.numpy(), requires_grad=True)
    assert gradcheck(lambda t: F.max_unpool3d(t, where, 2), [v])
    out = F.max_unpool3d(v, where, 2)
    (out * out).sum().backward()
    assert np.allclose(v.grad.numpy(), 2 * v.numpy())


def test_unpool_errors_name_the_fix():
    values, where = F.max_pool1d(Tensor(np.arange(6.0).reshape(1, 1, 6)), 2,
                                 return_indices=True)
    with pytest.raises(IndexError, match="output_size"):
        F.max_unpool1d(values, Tensor(where.numpy() + 10), 2)
    with pytest.raises(ValueError, match="return_indices=True"):
        F.max_unpool1d(values, Tensor(where.numpy()[..., :2]), 2)
    with pytest.raises(TypeError, match="integers"):
        F.max_unpool1d(values, Tensor(where.numpy().astype(np.float64)), 2)
    with pytest.raises(ValueError, match="spatial axes"):
        F.max_unpool2d(values[0, 0], where[0, 0], 2)
    with pytest.raises(IndexError, match="outside the output plane"):  # an empty plane
        F.max_unpool1d(Tensor(np.ones((1, 1, 1))), Tensor(np.zeros((1, 1, 1), np.int64)), 2,
                       padding=1)


def test_unpool_of_an_empty_batch_is_an_empty_batch():
    values, where = F.max_pool2d(Tensor(np.ones((0, 3, 4, 4), np.float32)), 2,
                                 return_indices=True)
    back = F.max_unpool2d(values, where, 2)
    assert back.shape == (0, 3, 4, 4) and back.dtype == np.float32
