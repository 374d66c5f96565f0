"""Layers for volumes (batch, channels, depth, height, width): ``Conv3d``, ``ConvTranspose3d``,
``MaxPool3d``, ``AvgPool3d``, ``AdaptiveAvgPool3d``, ``AdaptiveMaxPool3d``, ``BatchNorm3d``,
``InstanceNorm3d``, ``Dropout3d`` and the 3-D paddings; and a few image layers: ``Unfold``,
``Fold``, ``Softmax2d``, ``ChannelShuffle``, ``LocalResponseNorm``, ``LPPool1d/2d/3d``.

A volume is a stack of images: a medical scan (slices), a video clip (frames) or a
simulation grid. The 3-D layers are the 2-D ones with one more spatial axis: each is
the 2-D layer's class with ``_d = 3`` (or its accepted ranks), so arguments, defaults,
state-dict keys and errors are the same as PyTorch's 3-D layers, and the same code runs.
"""

from __future__ import annotations

from typing import Any

import tinygrad_dk as tg
from nn import functional_3d as F3
from nn import functional_extra as FX
from nn import functional_resize as FR
from nn.conv import _ConvNd
from nn.conv_transpose import _ConvTransposeNd
from nn.functional_layers import to_tensor
from nn.layers import Dropout
from nn.layers_extra import _InstanceNorm
from nn.module import Module
from nn.normalization import _BatchNorm
from nn.pooling import _AvgPoolDivisor, _MaxPool
from nn.resizing import _AdaptiveMaxPool, _AdaptivePool, _Pad
from tinygrad_dk import Tensor

# --- volumes ----------------------------------------------------------------------------------


class Conv3d(_ConvNd):
    """3-D convolution over ``(batch, in_channels, depth, height, width)``.

    ``Conv3d(in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
    bias=True)``; sizes an int or a triple, ``padding`` also 'same' or 'valid'. Weight
    ``(out_channels, in_channels, kd, kh, kw)``.
    """

    _d = 3


class ConvTranspose3d(_ConvTransposeNd):
    """3-D transposed convolution over ``(batch, in_channels, depth, height, width)``: bigger
    volumes. Weight ``(in_channels, out_channels // groups, kd, kh, kw)``; arguments as
    ``ConvTranspose2d``."""

    _d = 3


class MaxPool3d(_MaxPool):
    """The maximum of every ``kernel_size`` window of ``(batch, channels, depth, height,
    width)``; ``MaxPool3d(kernel_size, stride=None, padding=0, dilation=1)``."""

    def forward(self, x: Any) -> Any:
        return self._run(tg.max_pool3d, x, self.dilation, self.ceil_mode, self.return_indices)


class AvgPool3d(_AvgPoolDivisor):
    """The mean of every ``kernel_size`` window of a volume; ``AvgPool3d(kernel_size,
    stride=None, padding=0, ceil_mode=False, count_include_pad=True,
    divisor_override=None)``."""

    def forward(self, x: Any) -> Tensor:
        return self._run(tg.avg_pool3d, x, self.ceil_mode, self.count_include_pad,
                         self.divisor_override)


class AdaptiveAvgPool3d(_AdaptivePool):
    """The means of an ``output_size`` grid (depth, height, width) of windows per channel;
    ``AdaptiveAvgPool3d(1)`` is global average pooling of a volume."""

    def forward(self, input: Any) -> Tensor:
        return FR.adaptive_avg_pool3d(input, self.output_size)


class AdaptiveMaxPool3d(_AdaptiveMaxPool):
    """The maxima of an ``output_size`` grid (depth, height, width) of windows per channel."""

    def forward(self, input: Any) -> Tensor:
        return FR.adaptive_max_pool3d(input, self.output_size, self.return_indices)


class BatchNorm3d(_BatchNorm):
    """Batch normalisation of volumes ``(batch, channels, depth, height, width)``, per
    channel; put it between a ``Conv3d`` and its activation."""

    _dims = (5,)
    _layout = "(batch, channels, depth, height, width)"
    _rank_hints = {4: "; for images use BatchNorm2d",
                   **dict.fromkeys((2, 3), "; for (batch, features) or (batch, channels, "
                                           "length) use BatchNorm1d")}


class InstanceNorm3d(_InstanceNorm):
    """Normalise every channel of every volume over its voxels: (batch, channels, depth,
    height, width) or (channels, depth, height, width)."""

    _spatial = 3
    _layout = ("(batch, channels, depth, height, width) or (channels, depth, height, "
               "width)")


class Dropout3d(Dropout):
    """While training, zero whole channels of a volume with probability ``p`` (the rest
    scaled by 1 / (1 - p)); in ``eval()`` mode, pass the input through."""

    def forward(self, input: Any) -> Any:
        return FX.dropout3d(input, self.p, self.training)


class ConstantPad3d(_Pad):
    """Pad the last three axes with ``value``: padding (left, right, top, bottom, front,
    back)."""

    _sides = 6

    def __init__(self, padding: Any, value: float) -> None:
        super().__init__(padding, value)


class ZeroPad3d(_Pad):
    """Pad depth, height and width with zeros."""

    _sides = 6

    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)


class ReflectionPad3d(ZeroPad3d):
    """Pad depth, height and width with their mirror images (the edge not repeated)."""

    _mode = "reflect"


class ReplicationPad3d(ZeroPad3d):
    """Pad depth, height and width by repeating the edge values."""

    _mode = "replicate"


class CircularPad3d(ZeroPad3d):
    """Pad depth, height and width by wrapping around."""

    _mode = "circular"


# --- windows as columns ------------------------------------------------------------------------


class _Windows(Module):
    """What Unfold and Fold share: the window settings and their repr."""

    def __init__(self, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
                 stride: Any = 1) -> None:
        super().__init__()
        self.kernel_size, self.dilation = kernel_size, dilation
        self.padding, self.stride = padding, stride

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")


class Unfold(_Windows):
    """Every ``kernel_size`` window of (N, C, H, W) as a column: (N, C * kh * kw, L).

    ``Unfold(kernel_size, dilation=1, padding=0, stride=1)``; with stride = kernel_size
    the windows are the patches a vision transformer embeds."""

    def forward(self, input: Any) -> Tensor:
        return F3.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)


class Fold(_Windows):
    """Columns (N, C * kh * kw, L) back into images (N, C, *output_size), values of
    overlapping windows added: the adjoint of ``Unfold`` (a sibling, not a subclass, as in
    PyTorch: ``isinstance(Fold(...), nn.Unfold)`` is False).

    ``Fold(output_size, kernel_size, dilation=1, padding=0, stride=1)``."""

    def __init__(self, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
                 stride: Any = 1) -> None:
        super().__init__(kernel_size, dilation, padding, stride)
        self.output_size = output_size

    def forward(self, input: Any) -> Tensor:
        return F3.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding,
                       self.stride)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}, " + super().extra_repr()


# --- image layers -----------------------------------------------------------------------------


class Softmax2d(Module):
    """Softmax over the channels of every pixel: (batch, channels, height, width) or
    (channels, height, width); each pixel's channel values then sum to 1 (segmentation)."""

    def forward(self, input: Any) -> Tensor:
        x = to_tensor(input)
        if x.ndim not in (3, 4):
            raise ValueError(f"Softmax2d: expected input of shape (batch, channels, height, "
                             f"width) or (channels, height, width), got {x.shape}")
        return x.softmax(-3)


class ChannelShuffle(Module):
    """Interleave the channels of ``groups`` groups (ShuffleNet); see ``F.channel_shuffle``."""

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups

    def forward(self, input: Any) -> Tensor:
        return F3.channel_shuffle(input, self.groups)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"


class LocalResponseNorm(Module):
    """AlexNet's normalisation across neighbouring channels; see ``F.local_response_norm``.

    ``LocalResponseNorm(size, alpha=1e-4, beta=0.75, k=1.0)``."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75,
                 k: float = 1.0) -> None:
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, float(alpha), float(beta), float(k)

    def forward(self, input: Any) -> Tensor:
        return F3.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class _LPPool(Module):
    _d = 0

    def __init__(self, norm_type: float, kernel_size: Any, stride: Any = None,
                 ceil_mode: bool = False) -> None:
        super().__init__()
        self.norm_type, self.kernel_size = norm_type, kernel_size
        self.stride, self.ceil_mode = stride, bool(ceil_mode)

    def forward(self, input: Any) -> Tensor:
        lp_pool = (F3.lp_pool1d, F3.lp_pool2d, F3.lp_pool3d)[self._d - 1]
        return lp_pool(input, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)

    def extra_repr(self) -> str:
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, ceil_mode={self.ceil_mode}")


class LPPool1d(_LPPool):
    """The ``norm_type``-norm of every window along the length; ``LPPool1d(norm_type,
    kernel_size, stride=None, ceil_mode=False)``."""

    _d = 1


class LPPool2d(_LPPool):
    """The ``norm_type``-norm of every ``kernel_size`` window of an image."""

    _d = 2


class LPPool3d(_LPPool):
    """The ``norm_type``-norm of every ``kernel_size`` window of a volume."""

    _d = 3
