"""Pooling layers: ``MaxPool1d``, ``MaxPool2d``, ``AvgPool1d``, ``AvgPool2d`` and
``MaxUnpool1d/2d/3d``, as in PyTorch.

Pooling has no weights: it summarises every ``kernel_size`` window of each channel by
its maximum or its mean. ``MaxPool2d(2)`` halves the height and width of a feature
map and keeps the strongest response of every 2x2 block, so a pattern a convolution
found still counts when it moves by a pixel. ``stride`` defaults to ``kernel_size``
(windows side by side, no overlap).
"""

from __future__ import annotations

from typing import Any

import tinygrad_dk as tg
from nn import functional_unpool as FU
from nn.functional_layers import to_tensor
from nn.module import Module
from tinygrad_dk import Tensor


class _Pool(Module):
    """Settings and error naming shared by the pooling layers."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding

    def _run(self, fn: Any, x: Any, *args: Any) -> Tensor:
        x = to_tensor(x)
        try:
            return fn(x, self.kernel_size, self.stride, self.padding, *args)
        except ValueError as err:
            raise ValueError(f"{self!r}: {err}") from None

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _MaxPool(_Pool):
    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 dilation: Any = 1, return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__(kernel_size, stride, padding)
        self.dilation, self.ceil_mode = dilation, bool(ceil_mode)
        self.return_indices = bool(return_indices)  # forward returns (maxima, indices)


class MaxPool1d(_MaxPool):
    """The maximum of every window along the length of ``(batch, channels, length)``."""

    def forward(self, x: Any) -> Any:
        return self._run(tg.max_pool1d, x, self.dilation, self.ceil_mode,
                         self.return_indices)


class MaxPool2d(_MaxPool):
    """The maximum of every ``kernel_size`` window of ``(batch, channels, height, width)``.

    ``MaxPool2d(kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
    ceil_mode=False)``; the gradient of an output goes to the input that was its window's
    maximum (the first one on a tie). With ``return_indices=True`` the layer returns
    ``(maxima, indices)``, the indices for ``MaxUnpool2d``.
    """

    def forward(self, x: Any) -> Any:
        return self._run(tg.max_pool2d, x, self.dilation, self.ceil_mode,
                         self.return_indices)


class _AvgPool(_Pool):
    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True) -> None:
        super().__init__(kernel_size, stride, padding)
        self.ceil_mode, self.count_include_pad = bool(ceil_mode), bool(count_include_pad)


class _AvgPoolDivisor(_AvgPool):
    """AvgPool2d and AvgPool3d: PyTorch lets these (not AvgPool1d) set ``divisor_override``."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: int | None = None) -> None:
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad)
        self.divisor_override = divisor_override


class AvgPool1d(_AvgPool):
    """The mean of every window along the length of ``(batch, channels, length)``."""

    def forward(self, x: Any) -> Tensor:
        return self._run(tg.avg_pool1d, x, self.ceil_mode, self.count_include_pad)


class AvgPool2d(_AvgPoolDivisor):
    """The mean of every ``kernel_size`` window of ``(batch, channels, height, width)``.

    ``AvgPool2d(kernel_size, stride=None, padding=0, ceil_mode=False,
    count_include_pad=True, divisor_override=None)``.
    """

    def forward(self, x: Any) -> Tensor:
        return self._run(tg.avg_pool2d, x, self.ceil_mode, self.count_include_pad,
                         self.divisor_override)


# --- PyTorch names: poolidx (unpooling) ---


class _MaxUnpool(_Pool):
    """Undo max pooling: ``MaxUnpool2d(kernel_size, stride=None, padding=0)``, called as
    ``unpool(values, indices, output_size=None)`` with the indices of
    ``MaxPool2d(..., return_indices=True)`` (see ``F.max_unpool2d``)."""

    _unpool = staticmethod(FU.max_unpool2d)

    def forward(self, input: Any, indices: Any, output_size: Any = None) -> Tensor:
        return self._unpool(input, indices, self.kernel_size, self.stride, self.padding,
                            output_size)


class MaxUnpool1d(_MaxUnpool):
    """Every value back at its ``MaxPool1d`` index along the length, zeros elsewhere."""

    _unpool = staticmethod(FU.max_unpool1d)


class MaxUnpool2d(_MaxUnpool):
    """Every value back at its ``MaxPool2d`` index in the (height, width) plane, zeros
    elsewhere: the upsampling of a SegNet-style decoder."""


class MaxUnpool3d(_MaxUnpool):
    """Every value back at its ``MaxPool3d`` index in the volume, zeros elsewhere."""

    _unpool = staticmethod(FU.max_unpool3d)


# --- end poolidx ---
