"""Convolution layers: ``Conv1d`` and ``Conv2d``, as in PyTorch.

A convolution layer learns ``out_channels`` small filters. Each filter looks at a
``kernel_size`` window of all input channels at once and is slid over the whole
image (or sequence), so the same few weights find a pattern (an edge, a stroke)
wherever it is. Compared with a ``Linear`` layer on the flattened pixels, that is
far fewer weights and a built-in assumption that nearby pixels belong together.

Weight shape ``(out_channels, in_channels, *kernel_size)``, bias ``(out_channels,)``,
both drawn as PyTorch draws them (``kaiming_uniform_`` with a = sqrt(5), i.e.
uniform in +-1/sqrt(fan_in) with fan_in = in_channels * kernel taps); state-dict
keys ``weight`` and ``bias``, so a trained model loads into ``torch.nn`` unchanged.
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
from nn.module import Module, float_dtype
from tinygrad_dk import Tensor


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
        if groups != 1 or padding_mode != "zeros":
            raise NotImplementedError(f"{name}: only groups=1 and padding_mode='zeros' are "
                                      "supported")
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size = _sizes(kernel_size, d, "kernel_size", name)
        self.stride = _sizes(stride, d, "stride", name)
        self.dilation = _sizes(dilation, d, "dilation", name)
        self.padding = padding if isinstance(padding, str) else _sizes(padding, d, "padding",
                                                                        name, minimum=0)
        self.weight = Tensor(np.empty((self.out_channels, self.in_channels, *self.kernel_size),
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
        if x.dtype != self.weight.dtype:  # computed in the weights' dtype, as nn.Linear
            x = x.to(self.weight.dtype)
        conv = (tg.conv1d, tg.conv2d, tg.conv3d)[self._d - 1]
        try:
            return conv(x, self.weight, self.bias, self.stride, self.padding, self.dilation)
        except ValueError as err:  # name the layer: "Conv2d(3, 16, ...): conv2d: ..."
            raise ValueError(f"{self!r}: {err}") from None

    def extra_repr(self) -> str:
        size = self.kernel_size if self._d > 1 else self.kernel_size[0]
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={size}"
        if any(s != 1 for s in self.stride):
            text += f", stride={self.stride}"
        if self.padding not in ((0,) * self._d, "valid"):
            text += f", padding={self.padding}"
        if any(dl != 1 for dl in self.dilation):
            text += f", dilation={self.dilation}"
        return text + ("" if self.bias is not None else ", bias=False")


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
