"""The 3-D layers, unfold/fold and a few image layers against PyTorch (group "layers3d").

Rows of the differential harness (``tests/differential.py``): forward, first derivatives
with a random upstream gradient and (float64) second derivatives, on drawn shapes and
the harness's kinds of values. The 3-D convolution and pooling rows draw their
arguments with the very recipes of the 1-D and 2-D rows (``test_differential_images``,
``test_differential_attn``: written for any number of spatial axes), with 3 axes; each
row draws its form: the engine's operation, the ``nn.functional`` function or the layer.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

import differential as D  # noqa: E402
from differential import FINITE, MODERATE, REAL, Case, Op, values  # noqa: E402
from test_differential_attn import _conv_transpose  # noqa: E402
from test_differential_images import FORMS, _bind, _call, _conv, _pool  # noqa: E402

import nn  # noqa: E402
import nn.functional as F  # noqa: E402
import tinygrad_dk as tg  # noqa: E402

D.use_torch(torch)
TF = torch.nn.functional


def _weights(w, b):
    """The parameter names and tensors of a layer with weight ``w`` and maybe bias ``b``."""
    return ["weight"] + (["bias"] if b is not None else []), [w] + ([b] if b is not None else [])


# --- 3-D convolution and transposed convolution ---------------------------------------------


def _ours_conv3d(x, w, b=None, *, form, **options):
    if form != "module":
        return (tg.conv3d if form == "tg" else F.conv3d)(x, w, b, **options)
    layer = nn.Conv3d(w.shape[1], w.shape[0], w.shape[2:], bias=b is not None, dtype=w.dtype,
                      **options)
    return _bind(layer, *_weights(w, b))(x)


def _torch_conv3d(x, w, b=None, *, form, **options):
    if form != "module":
        return TF.conv3d(x, w, b, **options)
    layer = torch.nn.Conv3d(w.shape[1], w.shape[0], tuple(w.shape[2:]), bias=b is not None,
                            dtype=w.dtype, **options)
    return _call(layer, *_weights(w, b), x)


def _ours_conv_transpose3d(x, w, b=None, *, form, **options):
    if form != "module":
        return (tg.conv_transpose3d if form == "tg" else F.conv_transpose3d)(x, w, b, **options)
    layer = nn.ConvTranspose3d(w.shape[0], w.shape[1] * options["groups"], w.shape[2:],
                               bias=b is not None, dtype=w.dtype, **options)
    return _bind(layer, *_weights(w, b))(x)


def _torch_conv_transpose3d(x, w, b=None, *, form, **options):
    if form != "module":
        return TF.conv_transpose3d(x, w, b, **options)
    layer = torch.nn.ConvTranspose3d(w.shape[0], w.shape[1] * options["groups"],
                                     tuple(w.shape[2:]), bias=b is not None, dtype=w.dtype,
                                     **options)
    return _call(layer, *_weights(w, b), x)


# --- 3-D pooling -------------------------------------------------------------------------------


def _pool3d_run(kind, library):
    def run(x, *, form, **options):
        if library == "torch":
            if form == "module":
                return getattr(torch.nn, f"{kind.capitalize()}Pool3d")(**options)(x)
            return getattr(TF, f"{kind}_pool3d")(x, **options)
        if form == "module":
            return getattr(nn, f"{kind.capitalize()}Pool3d")(**options)(x)
        return getattr(tg if form == "tg" else F, f"{kind}_pool3d")(x, **options)
    return run


def _adaptive3d(data):
    s = (data.draw(st.integers(0, 2)), data.draw(st.integers(1, 2)),
         *(data.draw(st.integers(1, 5)) for _ in range(3)))
    if data.draw(st.booleans(), label="unbatched"):
        s = s[1:]
    sizes = tuple(data.draw(st.sampled_from([1, 2, 3, None])) for _ in range(3))
    size = sizes[0] if sizes[0] is not None and data.draw(st.booleans()) else sizes
    return Case([values(data, s, REAL)], {"kind": data.draw(st.sampled_from(["avg", "max"])),
                                          "size": size, "form": data.draw(st.sampled_from(FORMS))})


def _adaptive3d_run(nn_module, functional):
    def run(x, kind, size, form):
        if form == "module":
            return getattr(nn_module, f"Adaptive{kind.capitalize()}Pool3d")(size)(x)
        return getattr(functional, f"adaptive_{kind}_pool3d")(x, size)
    return run


# --- normalisation, dropout and padding of volumes --------------------------------------------


def _volume(data, lo=1):
    return (data.draw(st.integers(lo, 3), label="batch"), data.draw(st.integers(1, 3)),
            *(data.draw(st.integers(1, 3)) for _ in range(3)))


def _norm3d(data):
    s = _volume(data)
    kind = data.draw(st.sampled_from(["BatchNorm3d", "InstanceNorm3d"]))
    if kind == "BatchNorm3d":  # training needs more than one value per channel
        assume(s[0] * s[2] * s[3] * s[4] > 1)
    else:
        assume(s[2] * s[3] * s[4] > 1)
    arrays = [values(data, s, FINITE)]
    if data.draw(st.booleans(), label="affine"):
        arrays += [values(data, (s[1],), FINITE), values(data, (s[1],), FINITE)]
    return Case(arrays, {"kind": kind, "eps": data.draw(st.sampled_from([1e-5, 1e-3]))})


def _norm3d_run(library):
    def run(x, w=None, b=None, *, kind, eps):
        module = nn if library == "ours" else torch.nn
        layer = getattr(module, kind)(x.shape[1], eps=eps, affine=w is not None, dtype=x.dtype)
        names = ["weight", "bias"] if w is not None else []
        tensors = [w, b] if w is not None else []
        if library == "ours":  # BatchNorm3d's buffers as PyTorch's fresh layer has them
            buffers = {k: np.asarray(v) for k, v in layer.state_dict().items()
                       if k not in names}
            return _bind(layer, names, tensors, buffers)(x)
        return _call(layer, names, tensors, x)
    return run


_PADS_3D = {"constant": "ConstantPad3d", "zeros": "ZeroPad3d", "reflect": "ReflectionPad3d",
            "replicate": "ReplicationPad3d", "circular": "CircularPad3d"}


def _pad3d(data):
    mode = data.draw(st.sampled_from(sorted(_PADS_3D)))
    s = _volume(data)
    if data.draw(st.booleans(), label="unbatched"):
        s = s[1:]
    low = -1 if mode in ("constant", "zeros") else 0
    pads = tuple(data.draw(st.integers(low, 3 if mode == "replicate" else 2))
                 for _ in range(6))
    return Case([values(data, s, REAL)], {"mode": mode, "pads": pads,
                                          "value": data.draw(st.sampled_from([0.0, 1.5]))})


def _pad3d_run(module):
    def run(x, mode, pads, value):
        layer = getattr(module, _PADS_3D[mode])
        return (layer(pads, value) if mode == "constant" else layer(pads))(x) * 1.0
    return run


def _dropout3d(data):
    s = _volume(data)
    if data.draw(st.booleans(), label="unbatched"):
        s = s[1:]
    return Case([values(data, s, REAL)], {"form": data.draw(st.sampled_from(["F", "module"])),
                                          "p": data.draw(st.sampled_from([0.0, 0.5, 0.9]))})


def _dropout3d_run(module, functional):
    def run(x, form, p):
        if form == "module":
            return module.Dropout3d(p).eval()(x) * 1.0
        return functional.dropout3d(x, p, training=False) * 1.0
    return run


# --- unfold and fold -------------------------------------------------------------------------


def _unfold(data):
    """Unfold of a drawn image, or fold of drawn columns (the windows of a drawn image size):
    kernels, dilations, paddings and strides that fit, and now and then a kernel that does
    not (both must refuse)."""
    kernel = [data.draw(st.integers(1, 3), label="kernel") for _ in range(2)]
    dilation = [data.draw(st.sampled_from([1, 1, 2]), label="dilation") for _ in range(2)]
    pads = [data.draw(st.integers(0, 2), label="padding") for _ in range(2)]
    stride = [data.draw(st.integers(1, 3), label="stride") for _ in range(2)]
    size = tuple(max(1, dl * (k - 1) + 1 - 2 * p + data.draw(st.integers(-1, 3)))
                 for k, dl, p in zip(kernel, dilation, pads))
    grid = [(n + 2 * p - dl * (k - 1) - 1) // s + 1
            for n, k, s, p, dl in zip(size, kernel, stride, pads, dilation)]
    channels = data.draw(st.integers(1, 3), label="channels")
    kind = data.draw(st.sampled_from(["unfold", "fold"]))
    batch = () if data.draw(st.integers(0, 5), label="unbatched") == 0 else (
        data.draw(D.SIZES, label="batch"),)
    if kind == "unfold":
        shape = (*batch, channels, *size)
    else:
        assume(min(grid) >= 1)
        shape = (*batch, channels * kernel[0] * kernel[1], grid[0] * grid[1])
    kwargs = {"kind": kind, "form": data.draw(st.sampled_from(["F", "module"])),
              "kernel_size": tuple(kernel), "dilation": tuple(dilation),
              "padding": tuple(pads), "stride": tuple(stride)}
    if kind == "fold":
        kwargs["output_size"] = size
    return Case([values(data, shape, REAL)], kwargs)


def _unfold_run(module, functional):
    def run(x, kind, form, **options):
        if form == "module":
            return getattr(module, kind.capitalize())(**options)(x)
        return getattr(functional, kind)(x, **options)
    return run


# --- image layers made of other operations --------------------------------------------------


def _shuffle(data):
    groups = data.draw(st.integers(1, 3), label="groups")
    s = (data.draw(D.SIZES), groups * data.draw(st.integers(1, 3)),
         *(data.draw(st.integers(1, 3)) for _ in range(data.draw(st.integers(1, 2)))))
    return Case([values(data, s, REAL)], {"groups": groups,
                                          "form": data.draw(st.sampled_from(["F", "module"]))})


def _lrn(data):
    s = (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 5)),
         *(data.draw(st.integers(1, 3)) for _ in range(data.draw(st.integers(1, 3)))))
    return Case([values(data, s, MODERATE)], {
        "size": data.draw(st.integers(1, 4)), "alpha": data.draw(st.sampled_from([1e-4, 0.5])),
        "beta": data.draw(st.sampled_from([0.75, 0.5, 2.0])),
        "k": data.draw(st.sampled_from([1.0, 2.0])),
        "form": data.draw(st.sampled_from(["F", "module"]))})


def _lp_pool(data):
    """Moderate positive inputs: a window's sum of x ** p is then positive (a negative one
    is nan in both libraries; at 0 the root has a kink), and its second derivative is not
    the difference of two numbers near 1e40 (x = 1e-40: PyTorch's rounding, ours exact 0).
    ``kernel_size`` is an int for 1-D: PyTorch's lp_pool1d fails on a tuple."""
    d = data.draw(st.integers(1, 3), label="spatial axes")
    kernel = [data.draw(st.integers(1, 3)) for _ in range(d)]
    s = (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2)),
         *(k + data.draw(st.integers(0, 2)) for k in kernel))
    stride = None if data.draw(st.booleans()) else tuple(
        data.draw(st.integers(1, 2)) for _ in range(d))
    return Case([np.abs(values(data, s, MODERATE)) + 0.5], {
        "d": d, "norm_type": data.draw(st.sampled_from([1.0, 2.0, 3.0])),
        "kernel_size": kernel[0] if d == 1 else tuple(kernel),
        "stride": stride[0] if d == 1 and stride else stride,
        "form": data.draw(st.sampled_from(["F", "module"]))})


def _lp_pool_run(module, functional):
    def run(x, d, form, norm_type, kernel_size, stride):
        if form == "module":
            return getattr(module, f"LPPool{d}d")(norm_type, kernel_size, stride)(x)
        return getattr(functional, f"lp_pool{d}d")(x, norm_type, kernel_size, stride)
    return run


def _softmax2d(data):
    s = (data.draw(st.integers(1, 3)), *(data.draw(st.integers(1, 3)) for _ in range(2)))
    if data.draw(st.booleans(), label="batched"):
        s = (data.draw(D.SIZES), *s)
    # finite values: a pixel whose channels hold inf is nan in PyTorch, 0 here (tg.softmax's
    # rule, compared in the softmax rows)
    return Case([values(data, s, FINITE)], {})


LAYERS3D_OPS = [
    Op("conv3d", _ours_conv3d, _torch_conv3d, _conv(3), sums=1,
       covers=("tg.conv3d", "F.conv3d", "nn.Conv3d", "ops_conv.conv3d")),
    Op("conv_transpose3d", _ours_conv_transpose3d, _torch_conv_transpose3d, _conv_transpose(3),
       sums=1, covers=("tg.conv_transpose3d", "F.conv_transpose3d", "nn.ConvTranspose3d",
                       "ops_conv_transpose.conv_transpose3d")),
    Op("max_pool3d", _pool3d_run("max", "ours"), _pool3d_run("max", "torch"), _pool(3, "max"),
       covers=("tg.max_pool3d", "F.max_pool3d", "nn.MaxPool3d", "ops_pool.max_pool3d")),
    Op("avg_pool3d", _pool3d_run("avg", "ours"), _pool3d_run("avg", "torch"), _pool(3, "avg"),
       sums=1, covers=("tg.avg_pool3d", "F.avg_pool3d", "nn.AvgPool3d", "ops_pool.avg_pool3d")),
    Op("adaptive pooling 3d", _adaptive3d_run(nn, F), _adaptive3d_run(torch.nn, TF), _adaptive3d,
       sums=1, covers=("F.adaptive_avg_pool3d", "F.adaptive_max_pool3d", "nn.AdaptiveAvgPool3d",
                       "nn.AdaptiveMaxPool3d")),
    Op("BatchNorm3d, InstanceNorm3d", _norm3d_run("ours"), _norm3d_run("torch"), _norm3d, sums=2,
       grad_sums=True, covers=("nn.BatchNorm3d", "nn.InstanceNorm3d"),
       finite_upstream="instance norm's input gradient subtracts the channel's means of g "
       "and of g * x_hat: an inf in g meets inf of the other sign there, nan or -inf by the "
       "order of the terms, which differs between PyTorch's batch-norm kernel and ours "
       "(group norm's) both ways round (as the instance_norm row)"),
    Op("3-D padding", _pad3d_run(nn), _pad3d_run(torch.nn), _pad3d,
       covers=tuple(f"nn.{name}" for name in _PADS_3D.values())),
    Op("dropout3d (eval)", _dropout3d_run(nn, F), _dropout3d_run(torch.nn, TF), _dropout3d,
       covers=("F.dropout3d", "nn.Dropout3d")),
    Op("unfold, fold", _unfold_run(nn, F), _unfold_run(torch.nn, TF), _unfold,
       covers=("F.unfold", "F.fold", "nn.Unfold", "nn.Fold", "ops_fold.unfold",
               "ops_fold.fold")),
    Op("channel_shuffle",
       lambda x, groups, form: (nn.ChannelShuffle(groups)(x) if form == "module"
                                else F.channel_shuffle(x, groups)),
       lambda x, groups, form: (torch.nn.ChannelShuffle(groups)(x) if form == "module"
                                else TF.channel_shuffle(x, groups)),
       _shuffle, covers=("F.channel_shuffle", "nn.ChannelShuffle")),
    Op("local_response_norm",
       lambda x, form, **o: (nn.LocalResponseNorm(**o)(x) if form == "module"
                             else F.local_response_norm(x, **o)),
       lambda x, form, **o: (torch.nn.LocalResponseNorm(**o)(x) if form == "module"
                             else TF.local_response_norm(x, **o)),
       _lrn, sums=1, grad_sums=True,
       covers=("F.local_response_norm", "nn.LocalResponseNorm")),
    Op("lp_pool", _lp_pool_run(nn, F), _lp_pool_run(torch.nn, TF), _lp_pool, sums=1,
       covers=("F.lp_pool1d", "F.lp_pool2d", "F.lp_pool3d", "nn.LPPool1d", "nn.LPPool2d",
               "nn.LPPool3d")),
    Op("Softmax2d", lambda x: nn.Softmax2d()(x), lambda x: torch.nn.Softmax2d()(x), _softmax2d,
       sums=1, grad_sums=True, covers=("nn.Softmax2d",)),
]


@pytest.mark.parametrize("op", LAYERS3D_OPS, ids=lambda op: op.name)
@D.SETTINGS
@given(data=st.data())
def test_layers3d_op_matches_torch(op, data):
    D.check(op, data)
