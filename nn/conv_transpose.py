"""Transposed convolution layers: ``ConvTranspose1d`` and ``ConvTranspose2d``, as in PyTorch.

The decoder half of an autoencoder has to turn a small feature map back into an image.
A transposed convolution does that: every input pixel stamps the learned filters onto
the output, ``stride`` pixels apart (``ConvTranspose2d(16, 8, 2, stride=2)`` doubles
height and width). It is the convolution's input gradient run forwards (see
``tinygrad_dk.ops_conv_transpose``).

Weight ``(in_channels, out_channels // groups, *kernel_size)`` (PyTorch's layout: axis 0
is the *input* channels, unlike ``Conv2d``), bias ``(out_channels,)``, drawn as PyTorch
draws them (uniform in +-1/sqrt(fan_in), fan_in = out_channels // groups * kernel taps:
the fan-in of the convolution it transposes); state-dict keys ``weight`` and ``bias``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import tinygrad_dk as tg
from nn.conv import _ConvNd, _sizes
from nn.functional_layers import to_tensor
from nn.module import Module, float_dtype
from tinygrad_dk import Tensor


def conv_transpose1d(input: Any, weight: Any, bias: Any = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> Tensor:
    """1-D transposed convolution of (batch, in_channels, length) with weight
    (in_channels, out_channels // groups, k) (``tinygrad_dk.conv_transpose1d``)."""
    return tg.conv_transpose1d(to_tensor(input), weight, bias, stride, padding, output_padding,
                               groups, dilation)


def conv_transpose2d(input: Any, weight: Any, bias: Any = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> Tensor:
    """2-D transposed convolution of (batch, in_channels, height, width) with weight
    (in_channels, out_channels // groups, kh, kw) (``tinygrad_dk.conv_transpose2d``)."""
    return tg.conv_transpose2d(to_tensor(input), weight, bias, stride, padding, output_padding,
                               groups, dilation)


class _ConvTransposeNd(Module):
    """What ConvTranspose1d and ConvTranspose2d share; ``_d`` is the number of spatial axes."""

    _d = 0

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, output_padding: Any = 0, groups: int = 1, bias: bool = True,
                 dilation: Any = 1, padding_mode: str = "zeros", device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        dtype = float_dtype(dtype)
        name, d = type(self).__name__, self._d
        if int(in_channels) < 1 or int(out_channels) < 1:
            raise ValueError(f"{name}: in_channels and out_channels must be >= 1, got "
                             f"{in_channels} and {out_channels}")
        if int(groups) < 1 or in_channels % groups or out_channels % groups:
            raise ValueError(f"{name}: groups ({groups}) must divide in_channels "
                             f"({in_channels}) and out_channels ({out_channels})")
        if padding_mode != "zeros":
            raise ValueError(f"{name}: only padding_mode='zeros' is supported (as in PyTorch "
                             f"for transposed convolutions), got {padding_mode!r}")
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.groups = int(groups)
        self.kernel_size = _sizes(kernel_size, d, "kernel_size", name)
        self.stride = _sizes(stride, d, "stride", name)
        self.padding = _sizes(padding, d, "padding", name, minimum=0)
        self.output_padding = _sizes(output_padding, d, "output_padding", name, minimum=0)
        self.dilation = _sizes(dilation, d, "dilation", name)
        self.weight = Tensor(np.empty((self.in_channels, self.out_channels // self.groups,
                                       *self.kernel_size), dtype=dtype), requires_grad=True)
        self.bias = Tensor(np.empty(self.out_channels, dtype=dtype), requires_grad=True) \
            if bias else None
        self.reset_parameters()

    # the same draw as Conv2d's; fan_in is weight axis 1 times the taps, as in PyTorch
    reset_parameters = _ConvNd.reset_parameters

    def _padding_for(self, x: Tensor, output_size: Any) -> tuple[int, ...]:
        """``output_padding`` that gives ``output_size`` (PyTorch's ``forward`` argument)."""
        if output_size is None:
            return self.output_padding
        wanted = tuple(int(n) for n in output_size)[-self._d:]
        sizes = x.shape[-self._d:]
        natural = tuple((n - 1) * s - 2 * p + dl * (k - 1) + 1 for n, s, p, dl, k in zip(
            sizes, self.stride, self.padding, self.dilation, self.kernel_size))
        extra = tuple(w - n for w, n in zip(wanted, natural))
        if len(wanted) != self._d or any(not 0 <= e < s for e, s in zip(extra, self.stride)):
            raise ValueError(f"{self!r}: output_size {tuple(output_size)} is not reachable from "
                             f"an input of size {tuple(sizes)}: the sizes possible per axis "
                             f"are from {natural} to {natural} + stride - 1")
        return extra

    def forward(self, input: Any, output_size: Any = None) -> Tensor:
        x = to_tensor(input)
        weight = self.weight  # read once: a parametrized weight is computed at each read
        if x.dtype != weight.dtype:  # computed in the weights' dtype, as nn.Conv2d
            x = x.to(weight.dtype)
        f = (tg.conv_transpose1d, tg.conv_transpose2d, tg.conv_transpose3d)[self._d - 1]
        try:
            return f(x, weight, self.bias, self.stride, self.padding,
                     self._padding_for(x, output_size), self.groups, self.dilation)
        except ValueError as err:  # name the layer
            raise ValueError(f"{self!r}: {err}") from None

    def extra_repr(self) -> str:
        size = self.kernel_size if self._d > 1 else self.kernel_size[0]
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={size}"
        for name, plain in (("stride", 1), ("padding", 0), ("output_padding", 0),
                            ("dilation", 1)):
            if any(v != plain for v in getattr(self, name)):
                text += f", {name}={getattr(self, name)}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        return text + ("" if self.bias is not None else ", bias=False")


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution over ``(batch, in_channels, length)``: longer sequences.

    ``ConvTranspose1d(in_channels, out_channels, kernel_size, stride=1, padding=0,
    output_padding=0, groups=1, bias=True, dilation=1)``; output length
    ``(length - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1``.
    """

    _d = 1


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution over ``(batch, in_channels, height, width)``: bigger images.

    ``ConvTranspose2d(in_channels, out_channels, kernel_size, stride=1, padding=0,
    output_padding=0, groups=1, bias=True, dilation=1)``; sizes an int or a pair.
    ``ConvTranspose2d(16, 8, kernel_size=2, stride=2)`` turns (N, 16, 7, 7) into
    (N, 8, 14, 14): the decoder's inverse of a stride-2 convolution or pooling.
    ``layer(x, output_size=(28, 28))`` picks ``output_padding`` for that size.
    """

    _d = 2
