"""Layers that change the spatial size: adaptive pooling (``AdaptiveAvgPool1d/2d``,
``AdaptiveMaxPool1d/2d``), resizing (``Upsample``, ``UpsamplingNearest2d``,
``UpsamplingBilinear2d``) and padding (``ZeroPad1d/2d``, ``ConstantPad1d/2d``,
``ReflectionPad1d/2d``, ``ReplicationPad1d/2d``, ``CircularPad1d/2d``), as PyTorch's.

Adaptive pooling is what lets an image network accept any image size: however large
the last feature maps are, ``AdaptiveAvgPool2d(1)`` averages each to one number, so
the following ``Linear`` always gets ``channels`` features. The functions are in
``nn.functional`` (``nn.functional_resize``).
"""

from __future__ import annotations

from typing import Any

from nn import functional_resize as FR
from nn.module import Module
from tinygrad_dk import Tensor

# --- adaptive pooling ---------------------------------------------------------------------


class _AdaptivePool(Module):
    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = output_size

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptivePool):
    """The means of ``output_size`` windows spread evenly over the length."""

    def forward(self, input: Any) -> Tensor:
        return FR.adaptive_avg_pool1d(input, self.output_size)


class AdaptiveAvgPool2d(_AdaptivePool):
    """The means of an ``output_size`` grid of windows (int, or (height, width), None keeping
    the input's size) over each channel; ``AdaptiveAvgPool2d(1)`` is global average pooling."""

    def forward(self, input: Any) -> Tensor:
        return FR.adaptive_avg_pool2d(input, self.output_size)


class _AdaptiveMaxPool(_AdaptivePool):
    def __init__(self, output_size: Any, return_indices: bool = False) -> None:
        super().__init__(output_size)
        self.return_indices = bool(return_indices)  # forward returns (maxima, indices)


class AdaptiveMaxPool1d(_AdaptiveMaxPool):
    """The maxima of ``output_size`` windows spread evenly over the length."""

    def forward(self, input: Any) -> Tensor:
        return FR.adaptive_max_pool1d(input, self.output_size, self.return_indices)


class AdaptiveMaxPool2d(_AdaptiveMaxPool):
    """The maxima of an ``output_size`` grid of windows over each channel."""

    def forward(self, input: Any) -> Tensor:
        return FR.adaptive_max_pool2d(input, self.output_size, self.return_indices)


# --- resizing ---------------------------------------------------------------------------------


class Upsample(Module):
    """Resize (batch, channels, *spatial) to ``size`` or by ``scale_factor``
    (``mode="nearest"``, ``"bilinear"``, ...; see ``F.interpolate``)."""

    def __init__(self, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
                 align_corners: bool | None = None,
                 recompute_scale_factor: bool | None = None) -> None:
        super().__init__()
        self.name = type(self).__name__
        self.size, self.mode, self.align_corners = size, mode, align_corners
        self.scale_factor = float(scale_factor) if isinstance(scale_factor, (int, float)) \
            else scale_factor
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input: Any) -> Tensor:
        return FR.interpolate(input, self.size, self.scale_factor, self.mode,
                              self.align_corners, self.recompute_scale_factor)

    def extra_repr(self) -> str:
        what = f"size={self.size}" if self.scale_factor is None \
            else f"scale_factor={self.scale_factor}"
        return f"{what}, mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """``Upsample(size, scale_factor, mode="nearest")`` for images."""

    def __init__(self, size: Any = None, scale_factor: Any = None) -> None:
        super().__init__(size, scale_factor, "nearest")


class UpsamplingBilinear2d(Upsample):
    """``Upsample(size, scale_factor, mode="bilinear", align_corners=True)`` for images."""

    def __init__(self, size: Any = None, scale_factor: Any = None) -> None:
        super().__init__(size, scale_factor, "bilinear", align_corners=True)


# --- padding ------------------------------------------------------------------------------------


class _Pad(Module):
    """``padding``: one int for every side, or (left, right) / (left, right, top, bottom)."""

    _mode = "constant"
    _sides = 2  # 2 for 1-d padding (left, right), 4 for 2-d

    def __init__(self, padding: Any, value: float = 0.0) -> None:
        super().__init__()
        if isinstance(padding, int):
            padding = (padding,) * self._sides
        self.padding = tuple(int(p) for p in padding)
        if len(self.padding) != self._sides:
            raise ValueError(f"{type(self).__name__}: padding must be an int or "
                             f"{self._sides} ints, got {padding!r}")
        self.value = float(value)

    def forward(self, input: Any) -> Tensor:
        value = self.value if self._mode == "constant" else None
        return FR.pad(input, self.padding, self._mode, value)

    def extra_repr(self) -> str:
        return f"{self.padding}" + (f", value={self.value}" if self._mode == "constant" else "")


class ConstantPad1d(_Pad):
    """Pad the last axis with ``value``: ``ConstantPad1d(padding, value)``."""

    def __init__(self, padding: Any, value: float) -> None:
        super().__init__(padding, value)


class ConstantPad2d(ConstantPad1d):
    """Pad the last two axes with ``value``: padding (left, right, top, bottom)."""

    _sides = 4


class ZeroPad1d(_Pad):
    """Pad the last axis with zeros."""

    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)


class ZeroPad2d(ZeroPad1d):
    """Pad the last two axes with zeros: padding (left, right, top, bottom)."""

    _sides = 4


class ReflectionPad1d(ZeroPad1d):
    """Pad the last axis with its mirror image (without repeating the edge)."""

    _mode = "reflect"


class ReflectionPad2d(ReflectionPad1d):
    """Pad height and width with their mirror images."""

    _sides = 4


class ReplicationPad1d(ZeroPad1d):
    """Pad the last axis by repeating its edge values."""

    _mode = "replicate"


class ReplicationPad2d(ReplicationPad1d):
    """Pad height and width by repeating the edge pixels."""

    _sides = 4


class CircularPad1d(ZeroPad1d):
    """Pad the last axis by wrapping around (the other end's values)."""

    _mode = "circular"


class CircularPad2d(CircularPad1d):
    """Pad height and width by wrapping around."""

    _sides = 4
