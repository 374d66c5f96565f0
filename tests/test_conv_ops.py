"""The engine's image operations: convolution, pooling, batch normalisation.

Each op is checked against a plain loop-over-positions reference (written here, small
sizes), numerically with gradcheck in float64, and twice over (gradcheck of a
gradient) for the second derivatives. Hypothesis draws sizes, strides, paddings and
dilations. Errors must say which axis is the channel axis and how to fix the shape.
"""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_dk as tg
from tinygrad_dk import Tensor, grad, gradcheck

# --- references: one output position at a time ---------------------------------------------


def reference_conv(x, w, b, stride, padding, dilation):
    """Convolution by its definition: a loop over output positions."""
    d = w.ndim - 2
    xp = np.pad(x, ((0, 0), (0, 0), *[(p, p) for p in padding]))
    outs = [(xp.shape[2 + i] - dilation[i] * (w.shape[2 + i] - 1) - 1) // stride[i] + 1
            for i in range(d)]
    out = np.zeros((x.shape[0], w.shape[0], *outs))
    for pos in np.ndindex(*outs):
        window = xp[(slice(None), slice(None), *(
            slice(pos[i] * stride[i], pos[i] * stride[i] + dilation[i] * (w.shape[2 + i] - 1) + 1,
                  dilation[i]) for i in range(d)))]
        out[(slice(None), slice(None), *pos)] = np.tensordot(
            window, w, axes=(list(range(1, d + 2)), list(range(1, d + 2))))
    return out if b is None else out + b.reshape(-1, *(1,) * d)


def reference_pool(x, kernel, stride, padding, how):
    """Max, mean (padding counted) or "real mean" (padding not counted) of every window,
    by loops. Returns the output and, for max, where each window's first maximum is."""
    d = len(kernel)
    fill = {"max": -np.inf, "mean": 0.0, "real mean": np.nan}[how]
    xp = np.pad(x, ((0, 0), (0, 0), *[(p, p) for p in padding]), constant_values=fill)
    outs = [(xp.shape[2 + i] - kernel[i]) // stride[i] + 1 for i in range(d)]
    out = np.zeros((*x.shape[:2], *outs))
    first = np.zeros((*x.shape[:2], *outs, d), dtype=int)
    for pos in np.ndindex(*outs):
        start = [pos[i] * stride[i] for i in range(d)]
        window = xp[(slice(None), slice(None), *(slice(s, s + k) for s, k in zip(start, kernel)))]
        flat = window.reshape(*x.shape[:2], -1)
        if how == "max":
            out[(slice(None), slice(None), *pos)] = flat.max(axis=-1)
            tap = np.unravel_index(flat.argmax(axis=-1), kernel)
            first[(slice(None), slice(None), *pos)] = np.stack(
                [t + s - p for t, s, p in zip(tap, start, padding)], axis=-1)
        else:
            out[(slice(None), slice(None), *pos)] = np.nanmean(flat, axis=-1)
    return out, first


def as_tensors(*arrays):
    return [Tensor(a, requires_grad=True) for a in arrays]


# --- convolution -------------------------------------------------------------------------------


@pytest.mark.parametrize("stride, padding, dilation", [
    ((1, 1), (1, 1), (1, 1)), ((2, 1), (0, 2), (1, 1)), ((1, 2), (2, 1), (2, 1)),
    ((3, 2), (1, 0), (1, 2)),
])
def test_conv2d_matches_the_definition(rng, stride, padding, dilation):
    x, w, b = rng.standard_normal((2, 3, 7, 6)), rng.standard_normal((4, 3, 3, 2)), \
        rng.standard_normal(4)
    out = tg.conv2d(Tensor(x), Tensor(w), Tensor(b), stride, padding, dilation)
    np.testing.assert_allclose(out.numpy(), reference_conv(x, w, b, stride, padding, dilation),
                               atol=1e-12)


def test_conv1d_matches_the_definition(rng):
    x, w = rng.standard_normal((2, 3, 11)), rng.standard_normal((5, 3, 3))
    out = tg.conv1d(Tensor(x), Tensor(w), None, stride=2, padding=1, dilation=2)
    np.testing.assert_allclose(out.numpy(), reference_conv(x, w, None, (2,), (1,), (2,)),
                               atol=1e-12)


def test_conv_gradcheck(rng):
    x, w, b = as_tensors(rng.standard_normal((2, 2, 5, 4)), rng.standard_normal((3, 2, 3, 2)),
                         rng.standard_normal(3))
    assert gradcheck(lambda x, w, b: tg.conv2d(x, w, b, stride=(2, 1), padding=(1, 0),
                                               dilation=(1, 2)), [x, w, b])
    x1, w1 = as_tensors(rng.standard_normal((2, 2, 7)), rng.standard_normal((3, 2, 3)))
    assert gradcheck(lambda x, w: tg.conv1d(x, w, stride=2, padding=2), [x1, w1])


def test_conv_second_derivatives(rng):
    """d/dx and d/dw of a convolution are convolutions too (conv_transpose, conv_weight_grad),
    written with each other, so a gradient of a gradient is exact."""
    x, w, b = as_tensors(rng.standard_normal((2, 2, 5, 4)), rng.standard_normal((3, 2, 3, 2)),
                         rng.standard_normal(3))

    def conv(x, w, b):
        return tg.conv2d(x, w, b, stride=(2, 1), padding=(1, 1), dilation=(1, 2))

    def loss(x, w, b):
        return (conv(x, w, b) ** 2).sum()

    assert gradcheck(lambda x, w, b: grad(lambda x: loss(x, w, b))(x), [x, w, b])
    assert gradcheck(lambda x, w, b: grad(lambda w: loss(x, w, b))(w), [x, w, b])
    # and a third order: the weight gradient's derivative through conv_transpose again
    x2, w2 = as_tensors(rng.standard_normal((1, 1, 4, 4)), rng.standard_normal((2, 1, 2, 2)))

    def gw_sum(x, w):
        return (grad(lambda w: (tg.conv2d(x, w) ** 3).sum())(w) ** 2).sum()

    assert gradcheck(lambda x, w: grad(lambda x: gw_sum(x, w))(x), [x2, w2])


def test_second_derivative_of_a_small_cnn(rng):
    """A Hessian-vector product through conv, relu, pooling and a linear head."""
    x = Tensor(rng.standard_normal((2, 1, 6, 6)))
    w, v = as_tensors(rng.standard_normal((3, 1, 3, 3)), rng.standard_normal((3, 1, 3, 3)))
    head = Tensor(rng.standard_normal((12, 2)))

    def loss(w):
        h = tg.max_pool2d(tg.conv2d(x, w, padding=1).tanh(), 3)
        return (h.reshape(2, -1) @ head).logsumexp(axis=1).sum()

    def hvp(w, v):
        return (grad(loss)(w) * v).sum()

    assert gradcheck(hvp, [w, v])


sizes = st.integers(1, 6)


@settings(max_examples=20)
@given(n=st.integers(1, 2), c=st.integers(1, 3), o=st.integers(1, 3), h=st.integers(1, 7),
       wd=st.integers(1, 7), kh=st.integers(1, 3), kw=st.integers(1, 3), sh=st.integers(1, 3),
       sw=st.integers(1, 3), ph=st.integers(0, 2), pw=st.integers(0, 2), dh=st.integers(1, 2),
       dw=st.integers(1, 2), seed=st.integers(0, 2**16))
def test_conv2d_property(n, c, o, h, wd, kh, kw, sh, sw, ph, pw, dh, dw, seed):
    """Any sizes, strides, paddings and dilations: the definition's values, and gradients
    that agree with the numeric slope along a random direction."""
    if h + 2 * ph < dh * (kh - 1) + 1 or wd + 2 * pw < dw * (kw - 1) + 1:
        with pytest.raises(ValueError, match="smaller than the filter"):
            tg.conv2d(Tensor(np.zeros((n, c, h, wd))), Tensor(np.zeros((o, c, kh, kw))),
                      padding=(ph, pw), dilation=(dh, dw))
        return
    rng = np.random.default_rng(seed)
    x, w, b = rng.standard_normal((n, c, h, wd)), rng.standard_normal((o, c, kh, kw)), \
        rng.standard_normal(o)
    args = ((sh, sw), (ph, pw), (dh, dw))
    out = tg.conv2d(Tensor(x), Tensor(w), Tensor(b), *args)
    np.testing.assert_allclose(out.numpy(), reference_conv(x, w, b, *args), atol=1e-12)
    assert gradcheck(lambda x, w, b: tg.conv2d(x, w, b, *args), as_tensors(x, w, b),
                     fast_mode=True, seed=seed)


def test_conv_keeps_float32_and_does_not_touch_its_inputs(rng):
    x = rng.standard_normal((2, 3, 5, 5)).astype(np.float32)
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    x0, w0 = x.copy(), w.copy()
    out = tg.conv2d(Tensor(x, requires_grad=True), Tensor(w, requires_grad=True), padding=1)
    out.sum().backward()
    assert out.dtype == np.float32
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(w, w0)


def test_conv_of_one_example_without_batch_axis(rng):
    x, w = rng.standard_normal((3, 5, 5)), rng.standard_normal((2, 3, 3, 3))
    out = tg.conv2d(Tensor(x), Tensor(w), padding="same")
    assert out.shape == (2, 5, 5)
    np.testing.assert_allclose(out.numpy(), reference_conv(x[None], w, None, (1, 1), (1, 1),
                                                           (1, 1))[0], atol=1e-12)


def test_same_padding_keeps_the_size_also_for_even_kernels(rng):
    x, w = rng.standard_normal((1, 1, 6, 7)), rng.standard_normal((1, 1, 4, 2))
    out = tg.conv2d(Tensor(x), Tensor(w), padding="same", dilation=(1, 2))
    assert out.shape == (1, 1, 6, 7)
    # PyTorch puts the odd padding element after: total 3 rows -> 1 before, 2 after
    xp = np.pad(x, ((0, 0), (0, 0), (1, 2), (1, 1)))
    np.testing.assert_allclose(out.numpy(), reference_conv(xp, w, None, (1, 1), (0, 0), (1, 2)),
                               atol=1e-12)


def test_conv_with_inf_gives_no_warnings():
    x = np.zeros((1, 1, 3, 3))
    x[0, 0, 1, 1] = np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = tg.conv2d(Tensor(x), Tensor(np.ones((1, 1, 2, 2))))
    assert np.isinf(out.numpy()).all()


# --- pooling ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kernel, stride, padding", [
    ((2, 2), (2, 2), (0, 0)), ((3, 3), (1, 1), (1, 1)), ((3, 2), (2, 1), (1, 1)),
])
def test_max_pool_values_and_first_maximum_gradient(rng, kernel, stride, padding):
    # ties on purpose: rounding and a relu give many equal values in a window
    x = np.maximum(np.round(rng.standard_normal((2, 2, 7, 6))), 0)
    t = Tensor(x, requires_grad=True)
    out = tg.max_pool2d(t, kernel, stride, padding)
    expected, first = reference_pool(x, kernel, stride, padding, "max")
    np.testing.assert_array_equal(out.numpy(), expected)
    g = rng.standard_normal(out.shape)
    (out * Tensor(g)).sum().backward()
    want = np.zeros_like(x)
    for idx in np.ndindex(*out.shape):
        n, c, *_ = idx
        want[(n, c, *first[idx])] += g[idx]
    np.testing.assert_allclose(t.grad.numpy(), want)


@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool_values_and_gradcheck(rng, count_include_pad):
    x = rng.standard_normal((2, 2, 5, 6))
    out = tg.avg_pool2d(Tensor(x), 3, 2, 1, count_include_pad=count_include_pad)
    how = "mean" if count_include_pad else "real mean"
    np.testing.assert_allclose(out.numpy(), reference_pool(x, (3, 3), (2, 2), (1, 1), how)[0],
                               atol=1e-12)
    if not count_include_pad:  # a corner window holds 4 real numbers (and 5 of padding)
        np.testing.assert_allclose(out.numpy()[0, 0, 0, 0], x[0, 0, :2, :2].mean())
    assert gradcheck(lambda t: tg.avg_pool2d(t, 3, 2, 1, count_include_pad=count_include_pad),
                     as_tensors(x))


def test_pool1d_and_gradchecks(rng):
    x = rng.standard_normal((2, 3, 9))
    np.testing.assert_allclose(tg.max_pool1d(Tensor(x), 3, 2, 1).numpy(),
                               reference_pool(x, (3,), (2,), (1,), "max")[0])
    np.testing.assert_allclose(tg.avg_pool1d(Tensor(x), 2).numpy(),
                               reference_pool(x, (2,), (2,), (0,), "mean")[0], atol=1e-12)
    t, = as_tensors(x)
    assert gradcheck(lambda t: tg.max_pool1d(t, 3, 2, 1, dilation=2), [t])
    assert gradcheck(lambda t: tg.avg_pool1d(t, 3, 1, 1), [t])


def test_pool_second_derivatives(rng):
    t, = as_tensors(rng.standard_normal((2, 2, 5, 4)))
    for pool in (lambda u: tg.max_pool2d(u, 3, 1, 1), lambda u: tg.avg_pool2d(u, 2, 1)):
        assert gradcheck(lambda u, pool=pool: grad(lambda v: (pool(v) ** 3).sum())(u), [t])


@settings(max_examples=20)
@given(h=st.integers(1, 7), wd=st.integers(1, 7), k=st.integers(1, 3), s=st.integers(1, 3),
       p=st.integers(0, 1), seed=st.integers(0, 2**16))
def test_pooling_property(h, wd, k, s, p, seed):
    if p > k // 2 or h + 2 * p < k or wd + 2 * p < k:
        with pytest.raises(ValueError):
            tg.max_pool2d(Tensor(np.zeros((1, 1, h, wd))), k, s, p)
        return
    x = np.random.default_rng(seed).permutation(2 * h * wd).reshape(1, 2, h, wd) * 0.1
    np.testing.assert_allclose(tg.max_pool2d(Tensor(x), k, s, p).numpy(),
                               reference_pool(x, (k, k), (s, s), (p, p), "max")[0])
    np.testing.assert_allclose(tg.avg_pool2d(Tensor(x), k, s, p).numpy(),
                               reference_pool(x, (k, k), (s, s), (p, p), "mean")[0], atol=1e-12)
    t, = as_tensors(x)
    assert gradcheck(lambda u: tg.max_pool2d(u, k, s, p), [t], fast_mode=True, seed=seed)
    assert gradcheck(lambda u: tg.avg_pool2d(u, k, s, p), [t], fast_mode=True, seed=seed)


def test_max_pool_nan_propagates():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    x[0, 0, 0, 1] = np.nan
    out = tg.max_pool2d(Tensor(x), 2).numpy()
    assert np.isnan(out[0, 0, 0, 0]) and not np.isnan(out[0, 0, 1, 1])


# --- batch normalisation -------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (3, 2, 4, 3)])
def test_batch_norm_values_and_gradcheck(rng, shape):
    x = rng.standard_normal(shape) * 3 + 2
    w, b = rng.standard_normal(shape[1]), rng.standard_normal(shape[1])
    out = tg.batch_norm(Tensor(x), Tensor(w), Tensor(b)).numpy()
    axes = (0, *range(2, len(shape)))
    channel = (1, -1) + (1,) * (len(shape) - 2)
    want = (x - x.mean(axes, keepdims=True)) / np.sqrt(x.var(axes, keepdims=True) + 1e-5)
    np.testing.assert_allclose(out, want * w.reshape(channel) + b.reshape(channel), atol=1e-12)
    assert gradcheck(tg.batch_norm, as_tensors(x, w, b))
    assert gradcheck(lambda x: tg.batch_norm(x), as_tensors(x))


def test_batch_norm_second_derivatives(rng):
    x, w, b = as_tensors(rng.standard_normal((5, 2, 3)), rng.standard_normal(2),
                         rng.standard_normal(2))

    def loss(x, w, b):
        return (tg.batch_norm(x, w, b) ** 3).sum()

    assert gradcheck(lambda x, w, b: grad(lambda u: loss(u, w, b))(x), [x, w, b])
    assert gradcheck(lambda x, w, b: grad(lambda u: loss(x, u, b))(w), [x, w, b])


# --- errors that teach ----------------------------------------------------------------------


def test_one_channel_image_into_three_channel_weight_names_the_channel_axis():
    with pytest.raises(ValueError, match=r"1 channel\(s\) on axis 1.*expects 3 input"):
        tg.conv2d(Tensor(np.zeros((4, 1, 8, 8))), Tensor(np.zeros((16, 3, 3, 3))))


def test_image_batch_without_channel_axis_gets_the_reshape():
    with pytest.raises(ValueError, match=r"x\.reshape\(64, 1, 8, 8\)"):
        tg.conv2d(Tensor(np.zeros((64, 8, 8))), Tensor(np.zeros((16, 1, 3, 3))))


def test_channels_last_images_get_the_transpose():
    with pytest.raises(ValueError, match=r"x\.transpose\(0, 3, 1, 2\)"):
        tg.conv2d(Tensor(np.zeros((4, 8, 8, 3))), Tensor(np.zeros((16, 3, 3, 3))))


@pytest.mark.parametrize("call, message", [
    (lambda: tg.conv2d(Tensor(np.zeros((1, 1, 2, 2))), Tensor(np.zeros((1, 1, 3, 3)))),
     "smaller than the filter"),
    (lambda: tg.conv2d(Tensor(np.zeros((1, 1, 5, 5))), Tensor(np.zeros((1, 1, 3, 3))),
                       stride=0), "stride must be >= 1"),
    (lambda: tg.conv2d(Tensor(np.zeros((1, 1, 5, 5))), Tensor(np.zeros((1, 1, 3, 3))),
                       stride=2, padding="same"), "needs stride 1"),
    (lambda: tg.conv2d(Tensor(np.zeros((1, 1, 5, 5))), Tensor(np.zeros((1, 1, 3)))),
     "weight must have shape"),
    (lambda: tg.conv2d(Tensor(np.zeros((1, 1, 5, 5))), Tensor(np.zeros((2, 1, 3, 3))),
                       Tensor(np.zeros(3))), "bias has shape"),
    (lambda: tg.max_pool2d(Tensor(np.zeros((1, 1, 5, 5))), 2, padding=2), "half the window"),
    # PyTorch's rule counts the taps, not the dilated span (accepted before the fix)
    (lambda: tg.max_pool1d(Tensor(np.zeros((1, 1, 5))), 3, padding=2, dilation=2),
     "half the window"),
    (lambda: tg.max_pool2d(Tensor(np.zeros((5, 5))), 2), "expected input of shape"),
    (lambda: tg.batch_norm(Tensor(np.zeros((4, 3))), Tensor(np.ones(2))), "weight has shape"),
])
def test_bad_arguments_are_explained(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_max_pool_gradient_with_infinities_is_selected_not_multiplied():
    """An infinite upstream gradient reaches the maximum and leaves 0 elsewhere (not nan)."""
    x = Tensor(np.arange(16.0).reshape(1, 1, 4, 4), requires_grad=True)
    out = tg.max_pool2d(x, 2)
    g = np.array([[[[np.inf, 1.0], [2.0, 3.0]]]])
    out.backward(g)
    want = np.zeros((4, 4))
    want[1, 1], want[1, 3], want[3, 1], want[3, 3] = np.inf, 1.0, 2.0, 3.0
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], want)


def test_an_empty_batch_convolves_to_an_empty_batch():
    """Batch 0 (as PyTorch): an empty output and zero weight and bias gradients. (The
    windows' matrix was reshaped with -1 columns, which numpy cannot infer from 0 rows.)"""
    x = Tensor(np.zeros((0, 2, 4, 4)), requires_grad=True)
    w = Tensor(np.ones((3, 2, 2, 2)), requires_grad=True)
    b = Tensor(np.ones(3), requires_grad=True)
    out = tg.conv2d(x, w, b, padding=1)
    assert out.shape == (0, 3, 5, 5)
    out.sum().backward()
    assert x.grad.shape == (0, 2, 4, 4)
    assert np.array_equal(w.grad.numpy(), np.zeros((3, 2, 2, 2)))
    assert np.array_equal(b.grad.numpy(), np.zeros(3))


def test_max_pool_padding_never_wins_a_window_of_minus_inf():
    """A window whose real values are all -inf gives its gradient to the first real one,
    as PyTorch does; the padding (-inf too) used to win and the gradient was lost (the
    input's gradient was [0, 0, 2] where PyTorch's is [1, 0, 2])."""
    x = Tensor(np.array([[[-np.inf, -np.inf, 1.0]]]), requires_grad=True)
    out = tg.max_pool1d(x, 3, 1, padding=1)
    assert np.array_equal(out.numpy(), [[[-np.inf, 1.0, 1.0]]])
    out.backward(np.ones(out.shape))
    assert np.array_equal(x.grad.numpy(), [[[1.0, 0.0, 2.0]]])
    x = Tensor(np.full((1, 1, 2, 2), -np.inf), requires_grad=True)  # 2-D, and every tap -inf
    tg.max_pool2d(x, 3, 1, padding=1).sum().backward()
    assert np.array_equal(x.grad.numpy(), [[[[4.0, 0.0], [0.0, 0.0]]]])  # PyTorch's
