"""Convolution, pooling, batch norm and Unflatten against PyTorch (embedding and the
recurrent layers: ``test_differential_sequences.py``, with the helpers of this file).

Rows of the same kind of table as the Tensor ops (``tests/differential.py``): forward,
first derivatives with a random upstream gradient, second derivatives in float64, on
drawn shapes (batch 0 and 1, size-1 images, kernels, strides, paddings and dilations
that fit, and some that do not: then both libraries must refuse) and the harness's
kinds of values (ties, +-1e3, +-1e30, float32's limits, inf where it means something).

Each family is one row that draws its *form*: the engine's operation (``tg.conv2d``),
the ``nn.functional`` function or the layer (``nn.Conv2d``). A layer is built in both
libraries with PyTorch's state-dict names: ours loads the drawn weights with
``load_state_dict`` (strict, so every name and shape must be PyTorch's), then holds the
very tensors the harness made, so the weights' gradients are compared like the
input's; PyTorch's layer runs them through ``torch.func.functional_call``. The running
statistics of batch norm are compared in ``test_batch_norm_running_statistics_match_torch``.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

import differential as D  # noqa: E402
from differential import FINITE, MODERATE, REAL, Case, Op, values  # noqa: E402

import nn  # noqa: E402
import nn.functional as F  # noqa: E402
import tinygrad_dk as tg  # noqa: E402
from tinygrad_dk import Tensor  # noqa: E402

D.use_torch(torch)
TF = torch.nn.functional
FORMS = ("tg", "F", "module")


def _layer_args(data, d, name):
    """An int or a tuple of ``d`` ints, as PyTorch's size arguments take them."""
    return lambda vals: vals[0] if len(set(vals)) == 1 and data.draw(
        st.booleans(), label=f"{name} as int") else tuple(vals)


def _bind(module, names, tensors, buffers=None):
    """Give our layer the drawn weights: loaded by PyTorch's names (strict: the names and
    shapes must be PyTorch's), then the very tensors put in, so their gradients are ours."""
    state = dict(zip(names, (t.numpy() for t in tensors)))
    state.update(buffers or {})
    module.load_state_dict(state, strict=True)
    for name, t in zip(names, tensors):
        setattr(module, name, t)
    return module


def _call(module, names, tensors, *args):
    return torch.func.functional_call(module, dict(zip(names, tensors)), args)


def _params_of(torch_module):
    """PyTorch's parameter names and shapes: the weights to draw, in its order."""
    return [(n, tuple(p.shape)) for n, p in torch_module.named_parameters()]


# --- convolution -------------------------------------------------------------------------


def _conv(d):
    def draw(data):
        cin, cout = data.draw(st.integers(1, 3), label="in"), data.draw(st.integers(1, 3))
        kernel = [data.draw(st.integers(1, 3), label="kernel") for _ in range(d)]
        dilation = [data.draw(st.sampled_from([1, 1, 2]), label="dilation") for _ in range(d)]
        padding_kind = data.draw(st.sampled_from(["int", "int", "same", "valid"]))
        stride = ([1] * d if padding_kind == "same"
                  else [data.draw(st.integers(1, 3), label="stride") for _ in range(d)])
        pads = [data.draw(st.integers(0, 2), label="padding") if padding_kind == "int" else 0
                for _ in range(d)]
        # the smallest input the filter fits, plus a little; one step too small now and then
        # (both libraries must then refuse)
        size = tuple(max(1, dl * (k - 1) + 1 - 2 * p + data.draw(st.integers(-1, 3)))
                     for k, dl, p in zip(kernel, dilation, pads))
        batch = data.draw(D.SIZES, label="batch")
        unbatched = data.draw(st.integers(0, 7), label="unbatched") == 0
        x_shape = (cin, *size) if unbatched else (batch, cin, *size)
        arrays = [values(data, x_shape, FINITE), values(data, (cout, cin, *kernel), FINITE)]
        if data.draw(st.booleans(), label="bias"):
            arrays.append(values(data, (cout,), FINITE))
        as_arg = _layer_args(data, d, "sizes")
        padding = padding_kind if padding_kind in ("same", "valid") else as_arg(pads)
        return Case(arrays, {"form": data.draw(st.sampled_from(FORMS)), "stride": as_arg(stride),
                             "padding": padding, "dilation": as_arg(dilation)})
    return draw


def _ours_conv(d):
    def run(x, w, b=None, *, form, **options):
        if form == "tg":
            return (tg.conv1d if d == 1 else tg.conv2d)(x, w, b, **options)
        if form == "F":
            return (F.conv1d if d == 1 else F.conv2d)(x, w, b, **options)
        layer = (nn.Conv1d if d == 1 else nn.Conv2d)(
            w.shape[1], w.shape[0], w.shape[2:], bias=b is not None, dtype=w.dtype, **options)
        names = ["weight"] + (["bias"] if b is not None else [])
        return _bind(layer, names, [w] + ([b] if b is not None else []))(x)
    return run


def _torch_conv(d):
    def run(x, w, b=None, *, form, **options):
        if form != "module":
            return (TF.conv1d if d == 1 else TF.conv2d)(x, w, b, **options)
        layer = (torch.nn.Conv1d if d == 1 else torch.nn.Conv2d)(
            w.shape[1], w.shape[0], tuple(w.shape[2:]), bias=b is not None, dtype=w.dtype,
            **options)
        names = ["weight"] + (["bias"] if b is not None else [])
        return _call(layer, names, [w] + ([b] if b is not None else []), x)
    return run


# --- pooling -----------------------------------------------------------------------------


def _pool(d, kind):
    """Windows, strides, paddings (up to one too many: both must refuse) and dilations.

    Max pooling draws from every kind of value: small integers and float32's largest
    numbers give ties (PyTorch's rule and ours: the first maximum of a window wins), and
    -inf gives windows whose every value is -inf."""
    def draw(data):
        kernel = [data.draw(st.integers(1, 3), label="kernel") for _ in range(d)]
        dilation = ([data.draw(st.sampled_from([1, 1, 2]), label="dilation") for _ in range(d)]
                    if kind == "max" else [1] * d)
        # up to half the window's taps (PyTorch's rule), now and then one more: refused
        pads = [data.draw(st.integers(0, k // 2 + (data.draw(
            st.integers(0, 9), label="too much padding?") == 0)), label="padding")
            for k in kernel]
        stride = None if data.draw(st.booleans(), label="default stride") else [
            data.draw(st.integers(1, 3), label="stride") for _ in range(d)]
        size = tuple(max(1, dl * (k - 1) + 1 - 2 * p + data.draw(st.integers(-1, 3)))
                     for k, dl, p in zip(kernel, dilation, pads))
        channels, batch = data.draw(st.integers(1, 3)), data.draw(D.SIZES, label="batch")
        unbatched = data.draw(st.integers(0, 7), label="unbatched") == 0
        x_shape = (channels, *size) if unbatched else (batch, channels, *size)
        # no window of padding only: PyTorch then sends the gradient of its -inf outside
        # the window (dilation 2 over one real column: to the next row, or out of bounds)
        assume(all(any(0 <= o * s - p + t * dl < n for t in range(k))
                   for n, k, s, p, dl in zip(size, kernel, stride or kernel, pads, dilation)
                   for o in range((n + 2 * p - dl * (k - 1) - 1) // s + 1)))
        x = values(data, x_shape, REAL)
        if kind == "max" and data.draw(st.integers(0, 3), label="-inf windows") == 0:
            # windows whose real values are all -inf: the first real one wins, not padding
            x[np.random.default_rng(data.draw(st.integers(0, 2**16))).random(x.shape) < .6] = (
                -np.inf)
        as_arg = _layer_args(data, d, "sizes")
        kwargs = {"form": data.draw(st.sampled_from(FORMS)), "kernel_size": as_arg(kernel),
                  "stride": None if stride is None else as_arg(stride), "padding": as_arg(pads)}
        if kind == "max":
            kwargs["dilation"] = as_arg(dilation)
        else:
            kwargs["count_include_pad"] = data.draw(st.booleans(), label="count_include_pad")
        return Case([x], kwargs)
    return draw


_POOLS = {  # (kind, d): (tg, F, nn, PyTorch's function, PyTorch's layer)
    ("max", 1): (tg.max_pool1d, F.max_pool1d, nn.MaxPool1d, TF.max_pool1d, torch.nn.MaxPool1d),
    ("max", 2): (tg.max_pool2d, F.max_pool2d, nn.MaxPool2d, TF.max_pool2d, torch.nn.MaxPool2d),
    ("avg", 1): (tg.avg_pool1d, F.avg_pool1d, nn.AvgPool1d, TF.avg_pool1d, torch.nn.AvgPool1d),
    ("avg", 2): (tg.avg_pool2d, F.avg_pool2d, nn.AvgPool2d, TF.avg_pool2d, torch.nn.AvgPool2d),
}


def _ours_pool(key):
    ours_op, ours_f, ours_layer = _POOLS[key][:3]

    def run(x, *, form, **options):
        if form == "module":
            return ours_layer(**options)(x)
        return (ours_op if form == "tg" else ours_f)(x, **options)
    return run


def _torch_pool(key):
    theirs_f, theirs_layer = _POOLS[key][3:]

    def run(x, *, form, **options):
        return theirs_layer(**options)(x) if form == "module" else theirs_f(x, **options)
    return run


def _pool_row(kind, d, **extra):
    key = (kind, d)
    name = f"{kind}_pool{d}d"
    layer = f"nn.{kind.capitalize()}Pool{d}d"
    # the derivative primitives: max_unpool (first) and max_gather (second derivative);
    # avg_unpool (first) and avg_pool again (second)
    derivatives = (("ops_pool.max_unpool", "ops_pool.max_gather") if kind == "max"
                   else ("ops_pool.avg_pool", "ops_pool.avg_unpool"))
    return Op(name, _ours_pool(key), _torch_pool(key), _pool(d, kind),
              covers=(f"tg.{name}", f"F.{name}", layer, f"ops_pool.{name}", *derivatives),
              **extra)


# --- batch normalisation -----------------------------------------------------------------


def _batch_norm(data):
    """(N, C), (N, C, L) or (N, C, H, W); N * spatial = 1 in training makes PyTorch's
    functional and layer refuse (no variance of one number), and ours too."""
    spatial = data.draw(st.integers(0, 2), label="spatial axes")
    channels = data.draw(st.integers(1, 3), label="channels")
    s = (data.draw(st.integers(1, 4), label="batch"), channels,
         *(data.draw(st.integers(1, 3)) for _ in range(spatial)))
    form = data.draw(st.sampled_from(FORMS))
    training = form == "tg" or data.draw(st.booleans(), label="training")
    arrays = [values(data, s, FINITE)]
    if data.draw(st.booleans(), label="affine"):
        arrays += [values(data, (channels,), FINITE), values(data, (channels,), FINITE)]
    kwargs = {"form": form, "training": training,
              "eps": data.draw(st.sampled_from([1e-5, 1e-3])),
              "running_mean": values(data, (channels,), MODERATE),
              "running_var": np.abs(values(data, (channels,), MODERATE)) + 0.5}
    return Case(arrays, kwargs)


def _ours_batch_norm(x, w=None, b=None, *, form, training, eps, running_mean, running_var):
    if form == "tg":
        return tg.batch_norm(x, w, b, eps)
    if form == "F":
        return F.batch_norm(x, Tensor(running_mean.copy()), Tensor(running_var.copy()), w, b,
                            training=training, eps=eps)
    layer = (nn.BatchNorm2d if x.ndim == 4 else nn.BatchNorm1d)(
        x.shape[1], eps=eps, affine=w is not None, dtype=x.dtype)
    buffers = {"running_mean": running_mean, "running_var": running_var,
               "num_batches_tracked": np.array(3)}
    names = ["weight", "bias"] if w is not None else []
    _bind(layer, names, [w, b] if w is not None else [], buffers)
    return layer.train(training)(x)


def _torch_batch_norm(x, w=None, b=None, *, form, training, eps, running_mean, running_var):
    rm, rv = (torch.tensor(running_mean, dtype=x.dtype),
              torch.tensor(running_var, dtype=x.dtype))
    if form == "tg":  # the engine's op is plain batch statistics: aten's batch_norm, which
        # (unlike F.batch_norm) also takes one value per channel (x_hat = 0)
        return torch.batch_norm(x, w, b, None, None, True, 0.0, eps, False)
    if form == "F":
        return TF.batch_norm(x, rm, rv, w, b, training=training, eps=eps)
    layer = (torch.nn.BatchNorm2d if x.ndim == 4 else torch.nn.BatchNorm1d)(
        x.shape[1], eps=eps, affine=w is not None, dtype=x.dtype)
    layer.load_state_dict({**({"weight": w.detach(), "bias": b.detach()} if w is not None
                              else {}), "running_mean": rm, "running_var": rv,
                           "num_batches_tracked": torch.tensor(3)})
    layer.train(training)
    names = ["weight", "bias"] if w is not None else []
    return _call(layer, names, [w, b] if w is not None else [], x)


# --- unflatten -------------------------------------------------------------------------


def _unflatten(data):
    s = list(D.shape(data, min_dims=1))
    dim = data.draw(st.integers(-len(s), len(s) - 1), label="dim")
    n = data.draw(st.sampled_from([1, 2, 3, 4, 6]), label="length")
    s[dim] = n
    parts = data.draw(st.sampled_from([(n,), (1, n), (n, 1), (-1, 1)]
                                      + ([(2, n // 2), (2, -1)] if n % 2 == 0 else [])))
    return Case([values(data, tuple(s), REAL)], {"dim": dim, "sizes": parts})


IMAGE_OPS = [
    # the derivatives are primitives too: conv_transpose and conv_weight_grad are the first
    # derivatives, their own derivatives (conv again) the second ones
    Op("conv1d", _ours_conv(1), _torch_conv(1), _conv(1), sums=1,
       covers=("tg.conv1d", "F.conv1d", "nn.Conv1d", "ops_conv.conv1d", "ops_conv.conv",
               "ops_conv.conv_transpose", "ops_conv.conv_weight_grad")),
    Op("conv2d", _ours_conv(2), _torch_conv(2), _conv(2), sums=1,
       covers=("tg.conv2d", "F.conv2d", "nn.Conv2d", "ops_conv.conv2d", "ops_conv.conv",
               "ops_conv.conv_transpose", "ops_conv.conv_weight_grad")),
    _pool_row("max", 1),
    _pool_row("max", 2),
    _pool_row("avg", 1, sums=1),
    _pool_row("avg", 2, sums=1),
    Op("batch_norm", _ours_batch_norm, _torch_batch_norm, _batch_norm, sums=2, grad_sums=True,
       covers=("tg.batch_norm", "F.batch_norm", "nn.BatchNorm1d", "nn.BatchNorm2d",
               "ops_norm.batch_norm")),
]

IMAGE_LAYERS = [
    Op("Unflatten", lambda x, dim, sizes: nn.Unflatten(dim, sizes)(x),
       lambda x, dim, sizes: torch.nn.Unflatten(dim, sizes)(x), _unflatten,
       covers=("nn.Unflatten",)),
]


@pytest.mark.parametrize("op", IMAGE_OPS + IMAGE_LAYERS, ids=lambda op: op.name)
@D.SETTINGS
@given(data=st.data())
def test_image_op_matches_torch(op, data):
    D.check(op, data)


@settings(D.SETTINGS, max_examples=max(D.EXAMPLES // 2, 1))
@given(data=st.data())
def test_batch_norm_running_statistics_match_torch(data):
    """Training steps move the running mean and (unbiased) variance as PyTorch's do, with
    momentum 0.1, 0.5 or None (a plain average over the batches); the state dicts then
    agree, num_batches_tracked too, and so does the evaluation output with them."""
    dims = data.draw(st.sampled_from([(2,), (3,), (4,)]), label="axes")
    channels = data.draw(st.integers(1, 3), label="channels")
    momentum = data.draw(st.sampled_from([0.1, 0.5, None]), label="momentum")
    dtype = data.draw(st.sampled_from([np.float32, np.float64]), label="dtype")
    spatial = {2: (), 3: (3,), 4: (2, 3)}[dims[0]]
    batches = [values(data, (data.draw(st.integers(2, 4), label="batch"), channels, *spatial),
                      MODERATE).astype(dtype) for _ in range(data.draw(st.integers(1, 3)))]
    ours_cls, torch_cls = ((nn.BatchNorm2d, torch.nn.BatchNorm2d) if dims[0] == 4
                           else (nn.BatchNorm1d, torch.nn.BatchNorm1d))
    torch_dtype = torch.float32 if dtype == np.float32 else torch.float64
    ours = ours_cls(channels, momentum=momentum, dtype=dtype)
    theirs = torch_cls(channels, momentum=momentum, dtype=torch_dtype)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    for batch in batches:
        ours(Tensor(batch))
        theirs(torch.tensor(batch))
    ours_state, theirs_state = ours.state_dict(), theirs.state_dict()
    assert set(ours_state) == set(theirs_state)
    rtol = 1e-5 if dtype == np.float32 else 1e-9
    # the statistics sum terms as large as the inputs: their rounding scales with them
    atol = rtol * max(1.0, max(float(np.abs(b).max(initial=0)) for b in batches))
    for key, value in theirs_state.items():
        np.testing.assert_allclose(ours_state[key], value.numpy(), rtol=rtol, atol=atol,
                                   err_msg=key)
    ours.eval()
    theirs.eval()
    x = batches[0]
    out = ours(Tensor(x))
    assert out.dtype == dtype
    np.testing.assert_allclose(out.numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               rtol=rtol * 10, atol=atol * 10)
