"""Convolution layers: ``Conv1d`` and ``Conv2d``, as in PyTorch.

A convolution layer learns ``out_channels`` small filters. Each filter looks at a
``kernel_size`` window of all input channels at once and is slid over the whole
image (or sequence), so the same few weights find a pattern (an edge, a stroke)
wherever it is. Compared with a ``Linear`` layer on the flattened pixels, that is
far fewer weights and a built-in assumption that nearby pixels belong together.

Weight shape ``(out_channels, in_channels / groups, *kernel_size)``, bias
``(out_channels,)``, both drawn as PyTorch draws them (``kaiming_uniform_`` with
a = sqrt(5), i.e. uniform in +-1/sqrt(fan_in) with fan_in = in_channels / groups *
kernel taps); state-dict
keys ``weight`` and ``bias``, so a trained model loads into ``torch.nn`` unchanged.
``groups`` splits the channels into groups that are convolved separately: ResNeXt's
grouped convolutions, and MobileNet's depthwise ones (``groups=in_channels``: every
channel its own filters), usually followed by a 1x1 convolution that mixes the channels.
``padding_mode`` 'reflect', 'replicate' or 'circular' pads the border by mirroring,
repeating or wrapping the image (``F.pad`` in that mode) instead of with zeros.
Like ``nn.Linear``, a layer computes in its weights' dtype: a float64 numpy batch into
a float32 layer is converted first.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import tinygrad_dk as tg
from nn import init
from nn.functional_layers import to_tensor
from nn.functional_resize import pad
from nn.module import Module, float_dtype
from tinygrad_dk import Tensor

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _sizes(value: Any, d: int, name: str, layer: str, minimum: int = 1) -> tuple[int, ...]:
    values = (value,) * d if isinstance(value, (int, np.integer)) else tuple(value)
    if len(values) != d or any(isinstance(v, bool) or not isinstance(v, (int, np.integer))
                               or v < minimum for v in values):
        raise ValueError(f"{layer}: {name} must be an int >= {minimum} or a tuple of {d} such "
                         f"ints, got {value!r}")
    return tuple(int(v) for v in values)


class _ConvNd(Module):
    """What Conv1d and Conv2d share; ``_d`` is the number of spatial axes."""

    _d = 0

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", dtype: Any = None) -> None:
        super().__init__()
        dtype = float_dtype(dtype)  # None: the default dtype (float32 unless set)
        name, d = type(self).__name__, self._d
        if int(in_channels) < 1 or int(out_channels) < 1:
            raise ValueError(f"{name}: in_channels and out_channels must be >= 1, got "
                             f"{in_channels} and {out_channels}")
        if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
            raise ValueError(f"{name}: groups must be a positive int, got {groups!r}")
        for what, channels in (("out_channels", out_channels), ("in_channels", in_channels)):
            if channels % groups:  # each group gets an equal share of both
                raise ValueError(f"{name}: {what} ({channels}) must be divisible by groups "
                                 f"({groups}); use a divisor of {channels} for groups")
        if padding_mode not in PADDING_MODES:
            raise ValueError(f"{name}: padding_mode must be one of {PADDING_MODES}, got "
                             f"{padding_mode!r}")
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.groups, self.padding_mode = int(groups), padding_mode
        self.kernel_size = _sizes(kernel_size, d, "kernel_size", name)
        self.stride = _sizes(stride, d, "stride", name)
        self.dilation = _sizes(dilation, d, "dilation", name)
        self.padding = padding if isinstance(padding, str) else _sizes(padding, d, "padding",
                                                                        name, minimum=0)
        if isinstance(padding, str) and padding not in ("same", "valid"):
            raise ValueError(f"{name}: padding must be an int, a tuple, 'valid' or 'same', got "
                             f"{padding!r}")
        if padding == "same" and any(s != 1 for s in self.stride):  # (as PyTorch, here)
            raise ValueError(f"{name}: padding='same' needs stride 1 (as in PyTorch), got "
                             f"stride={self.stride}")
        self.weight = Tensor(np.empty((self.out_channels, self.in_channels // self.groups,
                                       *self.kernel_size),
                                      dtype=dtype), requires_grad=True)
        self.bias = Tensor(np.empty(self.out_channels, dtype=dtype), requires_grad=True) \
            if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw fresh starting weights (PyTorch's default scheme, shared generator)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init.fans(self.weight)
            bound = 1.0 / math.sqrt(fan_in)
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x: Any) -> Tensor:
        x = to_tensor(x)
        weight = self.weight  # read once: a parametrized weight is computed at each read
        if x.dtype != weight.dtype:  # computed in the weights' dtype, as nn.Linear
            x = x.to(weight.dtype)
        conv = (tg.conv1d, tg.conv2d, tg.conv3d)[self._d - 1]
        padding = self.padding
        try:
            if self.padding_mode != "zeros":  # as PyTorch: pad in that mode, then no padding
                x, padding = pad(x, self._pad_widths(), mode=self.padding_mode), 0
            return conv(x, weight, self.bias, self.stride, padding, self.dilation,
                        self.groups)
        except ValueError as err:  # name the layer: "Conv2d(3, 16, ...): conv2d: ..."
            raise ValueError(f"{self!r}: {err}") from None

    def _pad_widths(self) -> list[int]:
        """F.pad's widths for ``padding``: (before, after) pairs from the LAST axis on;
        'same' puts the odd one after, as the zero padding of ``tg.conv2d`` does."""
        if self.padding == "same":
            totals = [dl * (k - 1) for k, dl in zip(self.kernel_size, self.dilation)]
            pairs = [(t // 2, t - t // 2) for t in totals]
        else:
            pairs = [(p, p) for p in ((0,) * self._d if self.padding == "valid"
                                      else self.padding)]
        return [w for pair in reversed(pairs) for w in pair]

    def extra_repr(self) -> str:
        size = self.kernel_size if self._d > 1 else self.kernel_size[0]
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={size}"
        if any(s != 1 for s in self.stride):
            text += f", stride={self.stride}"
        if self.padding not in ((0,) * self._d, "valid"):
            text += f", padding={self.padding}"
        if any(dl != 1 for dl in self.dilation):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        text += "" if self.bias is not None else ", bias=False"
        return text + ("" if self.padding_mode == "zeros"
                       else f", padding_mode={self.padding_mode}")


class Conv1d(_ConvNd):
    """1-D convolution over ``(batch, in_channels, length)``: filters slid along a sequence.

    ``Conv1d(in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
    bias=True)``; output ``(batch, out_channels, out_length)``.
    """

    _d = 1


class Conv2d(_ConvNd):
    """2-D convolution over ``(batch, in_channels, height, width)``: filters slid over images.

    ``Conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
    bias=True)``; sizes are an int or a pair, ``padding`` also 'same' or 'valid'.
    Output ``(batch, out_channels, out_h, out_w)`` with
    ``out = (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1``;
    ``Conv2d(1, 16, 3, padding=1)`` keeps an 8x8 image 8x8.
    """

    _d = 2
