"""The layers3d group: 3-D layers, unfold/fold, channel shuffle, local response norm and
LP pooling. Known values, float64 gradchecks, the errors for bad input, and a 3-D
convolutional net that learns (the comparisons with PyTorch on drawn inputs are in
``test_differential_layers3d.py``)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
import nn.functional as F
import tinygrad_dk as tg
from nn import optim
from tinygrad_dk import Tensor, gradcheck

RNG = np.random.default_rng(0)


def _t(*shape: int) -> Tensor:
    return Tensor(RNG.standard_normal(shape), requires_grad=True)


# --- unfold and fold --------------------------------------------------------------------------


def test_unfold_known_values_channel_first_then_taps():
    x = Tensor(np.arange(2 * 3 * 3, dtype=np.float64).reshape(1, 2, 3, 3))
    cols = F.unfold(x, 2).numpy()
    assert cols.shape == (1, 2 * 2 * 2, 4)
    # the first window of channel 0 is [[0, 1], [3, 4]], of channel 1 the same plus 9
    np.testing.assert_array_equal(cols[0, :, 0], [0, 1, 3, 4, 9, 10, 12, 13])
    # the windows go row by row: the second one starts at column 1
    np.testing.assert_array_equal(cols[0, :4, 1], [1, 2, 4, 5])


@settings(max_examples=20, deadline=None)
@given(k=st.integers(1, 3), s=st.integers(1, 3), p=st.integers(0, 1), dl=st.integers(1, 2),
       h=st.integers(3, 6), w=st.integers(3, 6))
def test_fold_of_unfold_is_x_times_the_window_counts(k, s, p, dl, h, w):
    """PyTorch's documented identity: fold(unfold(x)) = x * fold(unfold(ones))."""
    if (h + 2 * p - dl * (k - 1) - 1) < 0 or (w + 2 * p - dl * (k - 1) - 1) < 0:
        return
    x = RNG.standard_normal((2, 3, h, w))
    opts = dict(kernel_size=k, stride=s, padding=p, dilation=dl)
    back = F.fold(F.unfold(Tensor(x), **opts), (h, w), **opts).numpy()
    counts = F.fold(F.unfold(Tensor(np.ones((1, 1, h, w))), **opts), (h, w), **opts).numpy()
    np.testing.assert_allclose(back, x * counts, rtol=1e-12, atol=1e-12)


def test_fold_is_the_adjoint_of_unfold():
    """<unfold(x), c> = <x, fold(c)>: the defining property of an adjoint."""
    x, c = RNG.standard_normal((2, 3, 5, 4)), RNG.standard_normal((2, 3 * 6, 3 * 3))
    opts = dict(kernel_size=(3, 2), stride=(1, 2), padding=(0, 1))
    lhs = np.sum(F.unfold(Tensor(x), **opts).numpy() * c)
    rhs = np.sum(x * F.fold(Tensor(c), (5, 4), **opts).numpy())
    assert abs(lhs - rhs) < 1e-9 * max(1.0, abs(lhs))


def test_unfold_fold_gradcheck_and_second_derivative():
    opts = dict(kernel_size=2, stride=1, padding=1, dilation=(1, 2))
    assert gradcheck(lambda x: (F.unfold(x, **opts) ** 2).sum(), [_t(1, 2, 3, 4)])
    assert gradcheck(lambda c: (F.fold(c, (3, 4), **opts) ** 2).sum(), [_t(1, 8, 4 * 4)])
    x = _t(1, 1, 3, 3)
    (g,) = tg.autograd.grad((F.unfold(x, 2) ** 3).sum(), [x], create_graph=True)
    g.sum().backward()  # a second derivative through fold (unfold's derivative)
    assert x.grad is not None and np.all(np.isfinite(x.grad.numpy()))
    # g = fold(3 u^2), so g.sum() = 3 sum(u^2) and its gradient is 6 x times the number of
    # 2 x 2 windows each pixel of the 3 x 3 image is in
    counts = np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]])
    np.testing.assert_allclose(x.grad.numpy(), 6 * x.numpy() * counts, rtol=1e-12)


def test_unfold_as_convolution():
    """A convolution is unfold, then one matrix product: the reason im2col exists."""
    x, w = RNG.standard_normal((2, 3, 6, 5)), RNG.standard_normal((4, 3, 3, 2))
    cols = F.unfold(Tensor(x), (3, 2)).numpy()                  # (2, 18, 4 * 4)
    out = (w.reshape(4, -1) @ cols).reshape(2, 4, 4, 4)
    np.testing.assert_allclose(out, F.conv2d(Tensor(x), Tensor(w)).numpy(), rtol=1e-10)


def test_unfold_and_fold_errors_name_the_problem():
    with pytest.raises(ValueError, match="2 spatial axes"):
        F.unfold(Tensor(np.zeros((1, 1, 2, 3, 3))), 2)
    with pytest.raises(ValueError, match="smaller than the window"):
        F.unfold(Tensor(np.zeros((1, 1, 2, 2))), 3)
    with pytest.raises(ValueError, match="kernel's 4 taps"):
        F.fold(Tensor(np.zeros((1, 6, 4))), (3, 3), 2)
    with pytest.raises(ValueError, match="holds 2 x 2 = 4 windows, but the input has 5"):
        F.fold(Tensor(np.zeros((1, 4, 5))), (3, 3), 2)
    with pytest.raises(ValueError, match="kernel_size must be"):
        nn.Unfold((2, 2, 2))(Tensor(np.zeros((1, 1, 4, 4))))


def test_unbatched_unfold_and_fold():
    x = RNG.standard_normal((2, 4, 4))
    cols = F.unfold(Tensor(x), 2, stride=2)
    assert cols.shape == (8, 4)
    np.testing.assert_allclose(F.fold(cols, (4, 4), 2, stride=2).numpy(), x)  # no overlap


# --- 3-D layers ------------------------------------------------------------------------------


def test_conv3d_and_pooling_gradcheck():
    w, b = _t(2, 2, 2, 1, 2), _t(2)
    assert gradcheck(lambda x, w, b: (F.conv3d(x, w, b, stride=(1, 2, 1), padding=1) ** 2).sum(),
                     [_t(1, 2, 3, 3, 4), w, b])
    assert gradcheck(lambda x: (F.max_pool3d(x, 2, 1, padding=1) ** 2).sum(), [_t(1, 1, 3, 3, 3)])
    assert gradcheck(lambda x: (F.avg_pool3d(x, (1, 2, 2)) ** 2).sum(), [_t(2, 1, 2, 4, 4)])
    assert gradcheck(lambda x, w: (F.conv_transpose3d(x, w, stride=2) ** 2).sum(),
                     [_t(1, 2, 2, 2, 2), _t(2, 1, 2, 2, 2)])


def test_conv3d_second_derivative_runs_through_the_n_d_primitives():
    x, w = _t(1, 1, 3, 3, 3), _t(1, 1, 2, 2, 2)
    (gx,) = tg.autograd.grad((F.conv3d(x, w) ** 2).sum(), [x], create_graph=True)
    (gw,) = tg.autograd.grad((gx ** 2).sum(), [w])
    assert gw.shape == w.shape and np.all(np.isfinite(gw.numpy()))

    def grad_x_squared(weights):  # (gx ** 2).sum() for other weights
        (g,) = tg.autograd.grad((F.conv3d(x, Tensor(weights)) ** 2).sum(), [x])
        return float((g.numpy() ** 2).sum())

    eps = 1e-6  # against central differences, one weight at a time
    for i in np.ndindex(*w.shape):
        step = np.zeros(w.shape)
        step[i] = eps
        numeric = (grad_x_squared(w.numpy() + step) - grad_x_squared(w.numpy() - step)) / (2 * eps)
        assert gw.numpy()[i] == pytest.approx(numeric, rel=1e-6, abs=1e-8)


def test_3d_layer_shapes_state_dict_and_repr():
    conv = nn.Conv3d(1, 4, 3, padding="same")
    assert conv.weight.shape == (4, 1, 3, 3, 3) and sorted(conv.state_dict()) == ["bias", "weight"]
    x = Tensor(RNG.standard_normal((2, 1, 4, 5, 6)).astype(np.float32))
    assert conv(x).shape == (2, 4, 4, 5, 6)
    assert nn.MaxPool3d(2)(x).shape == (2, 1, 2, 2, 3)
    assert nn.AvgPool3d((1, 2, 3))(x).shape == (2, 1, 4, 2, 2)
    assert nn.AdaptiveAvgPool3d(1)(x).shape == (2, 1, 1, 1, 1)
    assert nn.AdaptiveMaxPool3d((2, None, 3))(x).shape == (2, 1, 2, 5, 3)
    assert nn.ConvTranspose3d(1, 2, 2, stride=2)(x).shape == (2, 2, 8, 10, 12)
    assert nn.ZeroPad3d(1)(x).shape == (2, 1, 6, 7, 8)
    assert nn.ReplicationPad3d((1, 0, 0, 0, 2, 0))(x).shape == (2, 1, 6, 5, 7)
    bn = nn.BatchNorm3d(1)
    assert sorted(bn.state_dict()) == ["bias", "num_batches_tracked", "running_mean",
                                       "running_var", "weight"]
    assert repr(conv) == "Conv3d(1, 4, kernel_size=(3, 3, 3), padding=same)"


def test_3d_errors_teach():
    with pytest.raises(ValueError, match=r"\(batch, channels, depth, height, width\)"):
        F.conv3d(Tensor(np.zeros((1, 2, 4, 4))), Tensor(np.zeros((1, 2, 2, 2, 2))))
    with pytest.raises(ValueError, match="volumes add it"):
        nn.Conv3d(1, 2, 2)(Tensor(np.zeros((3, 4, 4, 4), dtype=np.float32)))
    with pytest.raises(ValueError, match=r"kd, kh, kw"):
        F.conv3d(Tensor(np.zeros((1, 2, 4, 4, 4))), Tensor(np.zeros((1, 2, 2, 2))))
    with pytest.raises(ValueError, match="depth, height, width"):
        F.max_pool3d(Tensor(np.zeros((4, 4))), 2)
    with pytest.raises(ValueError, match="padding does not count"):
        F.avg_pool3d(Tensor(np.zeros((1, 1, 1, 4, 4))), 2, padding=1)
    with pytest.raises(ValueError, match="for images use BatchNorm2d"):
        nn.BatchNorm3d(2)(Tensor(np.zeros((2, 2, 3, 3), dtype=np.float32)))
    with pytest.raises(ValueError, match="depth, height, width"):
        nn.InstanceNorm3d(2)(Tensor(np.zeros((2, 2, 3), dtype=np.float32)))
    with pytest.raises(ValueError, match="6 ints"):
        nn.ConstantPad3d((1, 1), 0.5)


def test_dropout3d_zeros_whole_channels():
    tg.manual_seed(0)
    x = Tensor(np.ones((4, 8, 2, 2, 2)))
    y = nn.Dropout3d(0.5)(x).numpy()
    per_channel = y.reshape(4, 8, -1)
    assert np.all((per_channel == 0).all(-1) | (per_channel == 2).all(-1))
    assert 0 < (per_channel == 0).all(-1).sum() < 32
    assert np.array_equal(nn.Dropout3d(0.5).eval()(x).numpy(), x.numpy())


def test_a_3d_conv_net_learns_a_step():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Conv3d(1, 4, 3, padding=1), nn.BatchNorm3d(4), nn.ReLU(),
                          nn.MaxPool3d(2), nn.AdaptiveAvgPool3d(1), nn.Flatten(),
                          nn.Linear(4, 2))
    x = Tensor(RNG.standard_normal((6, 1, 4, 4, 4)).astype(np.float32))
    y = Tensor(np.array([0, 1, 0, 1, 0, 1]))
    opt = optim.SGD(model.parameters(), lr=0.1)
    losses = []
    for _ in range(5):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    assert model[0].weight.grad.shape == (4, 1, 3, 3, 3)


# --- image layers ------------------------------------------------------------------------------


def test_channel_shuffle_known_order_and_errors():
    x = Tensor(np.arange(6.0).reshape(1, 6, 1, 1))
    np.testing.assert_array_equal(F.channel_shuffle(x, 2).numpy().ravel(), [0, 3, 1, 4, 2, 5])
    np.testing.assert_array_equal(nn.ChannelShuffle(3)(x).numpy().ravel(), [0, 2, 4, 1, 3, 5])
    with pytest.raises(ValueError, match="do not split into 4 groups"):
        F.channel_shuffle(x, 4)
    with pytest.raises(ValueError, match="at least 3 axes"):
        F.channel_shuffle(Tensor(np.zeros((2, 6))), 2)


def test_local_response_norm_known_value_and_gradcheck():
    # one channel, size 1: x / (k + alpha * x^2) ** beta
    x = np.array([[[2.0]]])
    y = F.local_response_norm(Tensor(x), 1, alpha=0.5, beta=1.0, k=1.0).numpy()
    np.testing.assert_allclose(y, 2.0 / (1.0 + 0.5 * 4.0))
    assert gradcheck(lambda x: (nn.LocalResponseNorm(3, alpha=0.5)(x) ** 2).sum(),
                     [_t(2, 4, 3)])
    with pytest.raises(ValueError, match="size must be a positive int"):
        F.local_response_norm(Tensor(np.zeros((1, 2, 3))), 0)


@pytest.mark.parametrize("shape", [(0, 4, 3), (1, 0, 3), (2, 3, 0, 2)])
def test_local_response_norm_of_an_empty_input_is_empty(shape):
    # as PyTorch: an empty batch, no channels or an empty spatial axis give an empty output
    x = tg.zeros(*shape, requires_grad=True)
    y = F.local_response_norm(x, 2)
    assert y.shape == shape
    y.sum().backward()
    assert x.grad.shape == shape


def test_lp_pool_is_the_p_norm_of_each_window():
    x = np.abs(RNG.standard_normal((1, 2, 4, 4))) + 0.1
    y = F.lp_pool2d(Tensor(x), 3, 2).numpy()
    blocks = x.reshape(1, 2, 2, 2, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(1, 2, 2, 2, 4)
    np.testing.assert_allclose(y, (blocks ** 3).sum(-1) ** (1 / 3), rtol=1e-12)
    assert gradcheck(lambda x: nn.LPPool1d(2, 2)(x).sum(), [Tensor(x[0, :, 0], requires_grad=True)])
    with pytest.raises(ValueError, match="use max_pool2d"):
        F.lp_pool2d(Tensor(x), float("inf"), 2)


def test_softmax2d_sums_to_one_over_channels():
    y = nn.Softmax2d()(Tensor(RNG.standard_normal((2, 3, 4, 5)))).numpy()
    np.testing.assert_allclose(y.sum(axis=1), 1.0)
    with pytest.raises(ValueError, match="Softmax2d"):
        nn.Softmax2d()(Tensor(np.zeros((2, 3))))


def test_fold_and_unfold_modules_are_siblings_with_pytorchs_repr():
    fold, unfold = nn.Fold((4, 4), 2), nn.Unfold(2, stride=2)
    assert not isinstance(fold, nn.Unfold) and not isinstance(unfold, nn.Fold)  # as PyTorch
    assert repr(fold) == "Fold(output_size=(4, 4), kernel_size=2, dilation=1, padding=0, stride=1)"
    assert repr(unfold) == "Unfold(kernel_size=2, dilation=1, padding=0, stride=2)"
    x = Tensor(np.arange(16.0).reshape(1, 1, 4, 4))
    np.testing.assert_array_equal(nn.Fold((4, 4), 2, stride=2)(unfold(x)).numpy(), x.numpy())
