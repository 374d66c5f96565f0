"""Fractional max pooling layers, as ``torch.nn``: ``FractionalMaxPool2d`` and
``FractionalMaxPool3d`` (the functions are in ``nn.functional_more``).

Ordinary max pooling shrinks a map by a whole factor (2x2 windows: 8x8 to 4x4).
Fractional max pooling (Graham, 2014) shrinks it by any factor, 7x7 to 5x5 say, with
windows whose starts follow a pseudo-random sequence drawn anew at every call: a
regularising randomness, like dropout's, that lets a deep network shrink its maps
gently, over many layers.
"""

from __future__ import annotations

from typing import Any

from nn.functional_more import fractional_max_pool2d, fractional_max_pool3d
from nn.functional_resize import _per_axis as per_axis
from nn.module import Module
from tinygrad_dk import Tensor

__all__ = ["FractionalMaxPool2d", "FractionalMaxPool3d"]


def _per_axis(name: str, value: Any, d: int, what: str) -> tuple | None:
    """PyTorch's _pair/_triple: a number repeated per axis, a sequence as a tuple (of d
    entries: ``functional_resize``'s check)."""
    return None if value is None else tuple(per_axis(name, value, d, what))


class _FractionalMaxPool(Module):
    """``FractionalMaxPoolNd(kernel_size, output_size=None, output_ratio=None,
    return_indices=False, _random_samples=None)``: exactly one of ``output_size`` and
    ``output_ratio`` (in (0, 1)); ``_random_samples`` (a buffer, as in PyTorch) fixes the
    windows."""

    d = 2
    _pool = staticmethod(fractional_max_pool2d)

    def __init__(self, kernel_size: Any, output_size: Any = None, output_ratio: Any = None,
                 return_indices: bool = False, _random_samples: Tensor | None = None) -> None:
        super().__init__()
        name = type(self).__name__
        self.kernel_size = _per_axis(name, kernel_size, self.d, "kernel_size")
        self.return_indices = bool(return_indices)
        self.register_buffer("_random_samples", _random_samples)
        self.output_size = _per_axis(name, output_size, self.d, "output_size")
        self.output_ratio = _per_axis(name, output_ratio, self.d, "output_ratio")
        if output_size is None and output_ratio is None:
            raise ValueError(f"{name} requires specifying either an output size, or a "
                             "pooling ratio")
        if output_size is not None and output_ratio is not None:
            raise ValueError(f"{name}: only one of output_size and output_ratio may be "
                             "specified")
        if self.output_ratio is not None and not all(0 < r < 1 for r in self.output_ratio):
            raise ValueError(f"{name}: output_ratio must be between 0 and 1 (got "
                             f"{output_ratio})")

    def forward(self, input: Any) -> Any:
        return self._pool(input, self.kernel_size, self.output_size, self.output_ratio,
                          self.return_indices, _random_samples=self._random_samples)

    def extra_repr(self) -> str:
        size = (f"output_size={self.output_size}" if self.output_size is not None
                else f"output_ratio={self.output_ratio}")
        return f"kernel_size={self.kernel_size}, {size}"


class FractionalMaxPool2d(_FractionalMaxPool):
    """Max pooling of (N, C, H, W) to ``output_size`` (or ``output_ratio`` times the input
    size) with ``kernel_size`` windows at pseudo-random places (``F.fractional_max_pool2d``)."""


class FractionalMaxPool3d(_FractionalMaxPool):
    """Fractional max pooling of volumes (N, C, T, H, W) (``F.fractional_max_pool3d``)."""

    d = 3
    _pool = staticmethod(fractional_max_pool3d)
