"""The convgroups group against PyTorch, by the differential harness: grouped and depthwise
convolutions (``groups``) in 1, 2 and 3 dimensions, and the layers' ``padding_mode``.

Each row draws the number of groups, the channels per group (1 input channel per group:
depthwise, with a channel multiplier now and then), kernels, strides, dilations and
paddings (including 'same' and 'valid') as ``test_differential_images.py`` does, and its
*form*: the engine's ``tg.conv2d``, ``F.conv2d`` or the layer ``nn.Conv2d`` (weights
bound by PyTorch's state-dict names). Now and then the weight's channels do not match the
input's for the groups drawn: both libraries must then refuse.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

import differential as D  # noqa: E402
from differential import FINITE, Case, Op, values  # noqa: E402
from test_differential_images import _bind, _call, _layer_args  # noqa: E402

import nn  # noqa: E402
import nn.functional as F  # noqa: E402
import tinygrad_dk as tg  # noqa: E402

D.use_torch(torch)
TF = torch.nn.functional
MODES = ("zeros", "reflect", "replicate", "circular")


def _grouped(d, padding_modes=False):
    def draw(data):
        groups = data.draw(st.integers(1, 3), label="groups")
        depthwise = data.draw(st.booleans(), label="depthwise")
        per_in = 1 if depthwise else data.draw(st.integers(1, 2), label="in per group")
        per_out = data.draw(st.integers(1, 2), label="out per group")
        cin = groups * per_in
        # now and then a weight whose channels do not fit the input: both must refuse
        w_in = per_in + (data.draw(st.integers(0, 9), label="misfit") == 0)
        kernel = [data.draw(st.integers(1, 3), label="kernel") for _ in range(d)]
        dilation = [data.draw(st.sampled_from([1, 1, 2]), label="dilation") for _ in range(d)]
        mode = data.draw(st.sampled_from(MODES)) if padding_modes else "zeros"
        padding_kind = data.draw(st.sampled_from(["int", "int", "same", "valid"]))
        stride = ([1] * d if padding_kind == "same"
                  else [data.draw(st.integers(1, 3), label="stride") for _ in range(d)])
        pads = [data.draw(st.integers(0, 2), label="padding") if padding_kind == "int" else 0
                for _ in range(d)]
        # reflect pads must be smaller than the axis: sizes from the pads up, the filter fits
        size = tuple(max(1, dl * (k - 1) + 1 - 2 * p, p + 1) + data.draw(st.integers(0, 2))
                     for k, dl, p in zip(kernel, dilation, pads))
        if mode == "reflect" and padding_kind == "same":
            size = tuple(max(n, dl * (k - 1) + 1) for n, k, dl in zip(size, kernel, dilation))
        unbatched = data.draw(st.integers(0, 7), label="unbatched") == 0
        batch = data.draw(D.SIZES, label="batch")
        x_shape = (cin, *size) if unbatched else (batch, cin, *size)
        arrays = [values(data, x_shape, FINITE),
                  values(data, (groups * per_out, w_in, *kernel), FINITE)]
        if data.draw(st.booleans(), label="bias"):
            arrays.append(values(data, (groups * per_out,), FINITE))
        as_arg = _layer_args(data, d, "sizes")
        padding = padding_kind if padding_kind in ("same", "valid") else as_arg(pads)
        form = "module" if mode != "zeros" else data.draw(st.sampled_from(("tg", "F", "module")))
        options = {"form": form, "stride": as_arg(stride), "padding": padding,
                   "dilation": as_arg(dilation), "groups": groups}
        if padding_modes:
            options["padding_mode"] = mode
        return Case(arrays, options)
    return draw


def _ours(d):
    def run(x, w, b=None, *, form, groups, padding_mode="zeros", **options):
        if form in ("tg", "F"):
            f = getattr(tg if form == "tg" else F, f"conv{d}d")
            return f(x, w, b, groups=groups, **options)
        in_channels = x.shape[-d - 1]
        layer = getattr(nn, f"Conv{d}d")(in_channels, w.shape[0], w.shape[2:], groups=groups,
                                         bias=b is not None, padding_mode=padding_mode,
                                         dtype=w.dtype, **options)
        names = ["weight"] + (["bias"] if b is not None else [])
        return _bind(layer, names, [w] + ([b] if b is not None else []))(x)
    return run


def _torch(d):
    def run(x, w, b=None, *, form, groups, padding_mode="zeros", **options):
        if form != "module":
            return getattr(TF, f"conv{d}d")(x, w, b, groups=groups, **options)
        in_channels = x.shape[-d - 1]
        layer = getattr(torch.nn, f"Conv{d}d")(
            in_channels, w.shape[0], tuple(w.shape[2:]), groups=groups, bias=b is not None,
            padding_mode=padding_mode, dtype=w.dtype, **options)
        names = ["weight"] + (["bias"] if b is not None else [])
        return _call(layer, names, [w] + ([b] if b is not None else []), x)
    return run


CONVGROUPS_OPS = [
    *(Op(f"conv{d}d groups", _ours(d), _torch(d), _grouped(d), sums=1,
         covers=(f"tg.conv{d}d", f"F.conv{d}d", f"nn.Conv{d}d", f"ops_conv.conv{d}d",
                 "ops_conv.conv", "ops_conv.conv_transpose", "ops_conv.conv_weight_grad"))
      for d in (1, 2, 3)),
    *(Op(f"Conv{d}d padding_mode", _ours(d), _torch(d), _grouped(d, padding_modes=True),
         sums=1, covers=(f"nn.Conv{d}d",))
      for d in (1, 2)),
]


@pytest.mark.parametrize("op", CONVGROUPS_OPS, ids=lambda op: op.name)
@D.SETTINGS
@given(data=st.data())
def test_convgroups_op_matches_torch(op, data):
    D.check(op, data)
