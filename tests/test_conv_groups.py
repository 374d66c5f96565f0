"""Grouped and depthwise convolutions and the layers' padding modes: known values,
PyTorch's numbers, float64 gradcheck (first and second derivatives), errors that name
the fix, and a depthwise-separable block training a step."""

from __future__ import annotations

import numpy as np
import pytest

import nn
import tinygrad_dk as tg
from tinygrad_dk import Tensor, gradcheck

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def test_depthwise_known_values():
    # two channels, each with its own 1x2 filter: [1, 1] sums neighbours, [1, -1] differences
    x = Tensor(np.array([[[[1.0, 2.0, 4.0]], [[1.0, 2.0, 4.0]]]]))
    w = Tensor(np.array([[[[1.0, 1.0]]], [[[1.0, -1.0]]]]))
    out = tg.conv2d(x, w, groups=2)
    np.testing.assert_array_equal(out.numpy(), [[[[3.0, 6.0]], [[-1.0, -2.0]]]])


def test_groups_equal_separate_convolutions():
    """groups=2 is two convolutions side by side, each on its half of the channels."""
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 4, 5, 5)), rng.standard_normal((6, 2, 3, 3))
    whole = tg.conv2d(Tensor(x), Tensor(w), groups=2).numpy()
    halves = [tg.conv2d(Tensor(x[:, 2 * i:2 * i + 2]), Tensor(w[3 * i:3 * i + 3])).numpy()
              for i in range(2)]
    np.testing.assert_allclose(whole, np.concatenate(halves, axis=1), rtol=1e-12)


@pytest.mark.parametrize("d", [1, 2, 3])
@pytest.mark.parametrize("cin, cout, groups", [(4, 4, 4), (2, 6, 2), (6, 4, 2)])
@pytest.mark.parametrize("stride", [1, 2])
def test_values_and_gradients_match_torch(d, cin, cout, groups, stride):
    rng = np.random.default_rng(d + cin + cout + groups + stride)
    x = rng.standard_normal((2, cin, *(6, 5, 4)[:d]))
    w = rng.standard_normal((cout, cin // groups, *(3, 2, 2)[:d]))
    b, gy = rng.standard_normal(cout), None
    ours = [Tensor(a, requires_grad=True) for a in (x, w, b)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    out = getattr(tg, f"conv{d}d")(*ours, stride=stride, padding=1, groups=groups)
    ref = getattr(TF, f"conv{d}d")(*theirs, stride=stride, padding=1, groups=groups)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    gy = rng.standard_normal(ref.shape)
    (out * Tensor(gy)).sum().backward()
    (ref * torch.tensor(gy)).sum().backward()
    for a, t in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("cin, cout, groups, stride", [(3, 3, 3, 1), (2, 4, 2, 2), (4, 2, 2, 1),
                                                       (2, 4, 2, 1)])
def test_gradcheck_first_and_second_derivatives(cin, cout, groups, stride):
    rng = np.random.default_rng(1)
    x = Tensor(rng.standard_normal((2, cin, 5, 4)), requires_grad=True)
    w = Tensor(rng.standard_normal((cout, cin // groups, 2, 3)), requires_grad=True)
    b = Tensor(rng.standard_normal(cout), requires_grad=True)

    def f(x, w, b):
        return tg.conv2d(x, w, b, stride=stride, padding=1, groups=groups)

    assert gradcheck(f, [x, w, b])
    # second derivatives: the gradient of sum(grad * h), checked numerically too
    h = [Tensor(rng.standard_normal(t.shape)) for t in (x, w)]

    def g(x, w):
        with tg.enable_grad():  # (gradcheck's numeric side runs without a graph)
            out = f(x, w, b)
            gx, gw = tg.autograd.grad((out * out).sum(), [x, w], create_graph=True)
            return (gx * h[0]).sum() + (gw * h[1]).sum()

    assert gradcheck(g, [x, w])


def test_second_derivatives_match_torch_depthwise_strided():
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((2, 3, 6, 6)), rng.standard_normal((6, 1, 3, 3))
    ours = [Tensor(a, requires_grad=True) for a in (x, w)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, w)]
    results = []
    for lib, (a, b) in (("ours", ours), ("torch", theirs)):
        conv = tg.conv2d if lib == "ours" else TF.conv2d
        out = conv(a, b, stride=2, padding=1, groups=3)
        grad = tg.autograd.grad if lib == "ours" else torch.autograd.grad
        gx, gw = grad((out ** 2).sum(), [a, b], create_graph=True)
        results.append([r.detach().numpy() if lib == "torch" else r.numpy()
                        for r in grad(gx.sum() + (gw ** 2).sum(), [a, b])])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-10)


def test_errors_name_the_fix():
    x = tg.randn(1, 4, 5, 5)
    with pytest.raises(ValueError, match=r"out_channels.*= 6 must be divisible by groups=4"):
        tg.conv2d(x, tg.randn(6, 1, 3, 3), groups=4)
    with pytest.raises(ValueError, match=r"groups=2 \(in_channels = weight axis 1 \* groups\)"):
        tg.conv2d(x, tg.randn(4, 1, 3, 3), groups=2)  # expects 2 input channels, has 4
    with pytest.raises(ValueError, match="groups must be a positive int"):
        tg.conv2d(x, tg.randn(4, 4, 3, 3), groups=0)
    with pytest.raises(ValueError, match=r"in_channels \(4\) must be divisible by groups \(3\)"):
        nn.Conv2d(4, 6, 3, groups=3)
    with pytest.raises(ValueError, match=r"out_channels \(5\) must be divisible"):
        nn.Conv2d(4, 5, 3, groups=2)
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(4, 4, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match="Conv2d.*reflect"):  # reflect pads < the axis
        nn.Conv2d(1, 1, 3, padding=3, padding_mode="reflect")(tg.randn(1, 1, 2, 2))


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("padding", [1, "same", (2, 1)])
def test_padding_modes_match_torch(mode, padding):
    torch.manual_seed(0)
    theirs = torch.nn.Conv2d(4, 4, 3, padding=padding, padding_mode=mode, groups=2).double()
    ours = nn.Conv2d(4, 4, 3, padding=padding, padding_mode=mode, groups=2, dtype=np.float64)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(3).standard_normal((2, 4, 5, 6))
    xt, xo = torch.tensor(x, requires_grad=True), Tensor(x, requires_grad=True)
    ref, out = theirs(xt), ours(xo)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    ref.square().sum().backward()
    (out * out).sum().backward()
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-10)
    assert f"padding_mode={mode}" in repr(ours) and "groups=2" in repr(ours)


def test_layer_weight_shape_state_dict_and_lazy():
    layer = nn.Conv2d(8, 16, 3, groups=8)
    assert layer.weight.shape == (16, 1, 3, 3)
    theirs = torch.nn.Conv2d(8, 16, 3, groups=8)
    theirs.load_state_dict({k: torch.tensor(np.asarray(v)) for k, v in layer.state_dict().items()})
    lazy = nn.LazyConv2d(16, 3, groups=8)
    assert lazy(tg.randn(2, 8, 5, 5)).shape == (2, 16, 3, 3) and lazy.weight.shape == (16, 1, 3, 3)
    loaded = nn.LazyConv2d(16, 3, groups=8)
    loaded.load_state_dict(layer.state_dict())
    assert loaded.in_channels == 8


def test_depthwise_separable_block_trains_a_step():
    tg.manual_seed(0)
    block = nn.Sequential(nn.Conv2d(4, 4, 3, padding=1, groups=4, padding_mode="reflect"),
                          nn.BatchNorm2d(4), nn.ReLU(), nn.Conv2d(4, 8, 1),
                          nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 2))
    x, y = tg.randn(16, 4, 6, 6), tg.Tensor(np.arange(16) % 2)
    opt = nn.optim.SGD(block.parameters(), lr=0.1)
    losses = []
    for _ in range(5):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(block(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    assert block[0].weight.grad is not None and np.isfinite(block[0].weight.grad.numpy()).all()


@pytest.mark.parametrize("mode", ["zeros", "reflect"])
def test_same_padding_with_stride_is_refused_in_every_padding_mode(mode):
    # as PyTorch, when the layer is made (reflect pads by hand and used to slip through)
    with pytest.raises(ValueError, match="padding='same' needs stride 1"):
        nn.Conv2d(2, 2, 3, stride=2, padding="same", padding_mode=mode)
    with pytest.raises(ValueError):
        torch.nn.Conv2d(2, 2, 3, stride=2, padding="same", padding_mode=mode)


def test_lazy_layer_takes_numpy_int_groups():
    layer = nn.LazyConv2d(4, 3, groups=np.int64(2))
    assert layer(tg.randn(1, 2, 5, 5)).shape == (1, 4, 3, 3) and layer.weight.shape == (4, 1, 3, 3)


def test_layer_refuses_an_unknown_padding_string_when_made():
    for mode in ("zeros", "reflect"):
        with pytest.raises(ValueError, match="padding must be an int, a tuple, 'valid' or 'same'"):
            nn.Conv2d(2, 2, 3, padding="full", padding_mode=mode)
