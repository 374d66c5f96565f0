"""Transposed convolution ("deconvolution"): a convolution run backwards, to make images bigger.

A convolution with stride 2 halves an image; its *transpose* doubles it: every input
pixel stamps the filter, times its value, onto the output, ``stride`` pixels apart, and
overlapping stamps add up. That is exactly what a convolution's input gradient does
with the output gradient, so ``conv_transpose2d(x, w)`` is the engine's
``ops_conv.conv_transpose`` primitive (d/dx of a convolution) applied to ``x``, and its
own derivatives are already there: a convolution (w.r.t. ``x``) and the convolution's
weight gradient (w.r.t. ``w``). No new primitive, no second copy of the mechanics.

The weight has shape ``(in_channels, out_channels // groups, *kernel)``: read as a
convolution's weight ``(out, in, *kernel)`` it is the convolution this one transposes,
which maps the *output* channels back to the input channels. Output size per axis::

    (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1

``output_padding`` picks one of the sizes a strided convolution maps onto the same size
(a stride-2 convolution makes 4 out of both 7 and 8; ``output_padding=1`` gives 8).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_dk.ops_conv import as_tuple, check_input, conv_transpose
from tinygrad_dk.primitive import raw

_WEIGHT_LAYOUT = {1: "(in_channels, out_channels // groups, k)",
                  2: "(in_channels, out_channels // groups, kh, kw)",
                  3: "(in_channels, out_channels // groups, kd, kh, kw)"}


def _conv_transpose_nd(d: int, x: Any, weight: Any, bias: Any, stride: Any, padding: Any,
                       output_padding: Any, groups: int, dilation: Any) -> Any:
    op = f"conv_transpose{d}d"
    w_shape = tuple(np.shape(raw(weight)))
    if len(w_shape) != d + 2:
        raise ValueError(f"{op}: weight must have shape {_WEIGHT_LAYOUT[d]} with {d + 2} "
                         f"axes, got {w_shape}")
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1 \
            or w_shape[0] % groups:
        raise ValueError(f"{op}: groups must be a positive int that divides in_channels "
                         f"(weight axis 0, {w_shape[0]}), got {groups!r}")
    kernel = w_shape[2:]
    stride = as_tuple(stride, d, "stride", op)
    dilation = as_tuple(dilation, d, "dilation", op)
    if isinstance(padding, str):
        raise ValueError(f"{op}: padding must be an int or a tuple of {d} ints (PyTorch has no "
                         f"'same'/'valid' for transposed convolutions), got {padding!r}")
    pads = tuple((p, p) for p in as_tuple(padding, d, "padding", op, minimum=0))
    extra = as_tuple(output_padding, d, "output_padding", op, minimum=0)
    if any(e >= s for e, s in zip(extra, stride)):
        # (PyTorch also allows output_padding < dilation with a smaller stride; the
        # convolution this transposes would then not map the result back onto x's size)
        raise ValueError(f"{op}: output_padding {extra} must be smaller than the stride "
                         f"{stride}: it only chooses between the sizes one stride apart")
    batched = check_input(op, x, d, w_shape[0], f"the weight of shape {w_shape} (axis 0 is "
                          "in_channels for a transposed convolution)")
    out_channels = w_shape[1] * groups
    if bias is not None and tuple(np.shape(raw(bias))) != (out_channels,):
        raise ValueError(f"{op}: bias has shape {np.shape(raw(bias))}, must be "
                         f"(out_channels,) = ({out_channels},)")
    if not batched:
        x = x[None]
    in_size = np.shape(raw(x))[2:]
    size = tuple((n - 1) * s - 2 * p + dl * (k - 1) + e + 1 for n, s, (p, _), dl, k, e
                 in zip(in_size, stride, pads, dilation, kernel, extra))
    if min(size) < 1:
        raise ValueError(f"{op}: the output size {size} would be empty: padding {padding!r} "
                         f"cuts off more than the input of size {tuple(in_size)} spreads to; "
                         "use less padding")
    options = {"size": size, "stride": stride, "padding": pads, "dilation": dilation}
    # read as a convolution's weight, (in, out / groups, *k) is a grouped one's (O, C / G, *k)
    out = conv_transpose(x, weight, **options, groups=groups)
    if bias is not None:
        out = out + bias.reshape(out_channels, *(1,) * d)
    return out if batched else out[0]


def conv_transpose1d(input: Any, weight: Any, bias: Any = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> Any:
    """1-D transposed convolution, as ``torch.nn.functional.conv_transpose1d``.

    ``input`` (batch, in_channels, length), ``weight`` (in_channels, out_channels //
    groups, k), ``bias`` (out_channels,) or None. Returns (batch, out_channels, out_length),
    ``out_length = (length - 1) * stride - 2 * padding + dilation * (k - 1) +
    output_padding + 1``.
    """
    return _conv_transpose_nd(1, input, weight, bias, stride, padding, output_padding, groups,
                              dilation)


def conv_transpose2d(input: Any, weight: Any, bias: Any = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> Any:
    """2-D transposed convolution, as ``torch.nn.functional.conv_transpose2d``: the decoder's
    upsampling step (``stride=2`` doubles height and width, ``kernel 2`` or ``kernel 4,
    padding 1``).

    ``input`` (batch, in_channels, height, width), ``weight`` (in_channels, out_channels //
    groups, kh, kw), ``bias`` (out_channels,) or None; ``stride``, ``padding``,
    ``output_padding``, ``dilation`` an int or a pair.
    """
    return _conv_transpose_nd(2, input, weight, bias, stride, padding, output_padding, groups,
                              dilation)


def conv_transpose3d(input: Any, weight: Any, bias: Any = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> Any:
    """3-D transposed convolution, as ``torch.nn.functional.conv_transpose3d``: volumes
    made bigger. ``input`` (batch, in_channels, depth, height, width), ``weight``
    (in_channels, out_channels // groups, kd, kh, kw); otherwise as ``conv_transpose2d``.
    """
    return _conv_transpose_nd(3, input, weight, bias, stride, padding, output_padding, groups,
                              dilation)


__all__ = ["conv_transpose1d", "conv_transpose2d", "conv_transpose3d"]
