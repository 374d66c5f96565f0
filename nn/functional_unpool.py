"""Max pooling's indices and their inverse, as ``torch.nn.functional``: ``max_unpool1d/2d/3d``
and the ``*_with_indices`` spellings, re-exported by ``nn.functional``.

``max_pool2d(x, 2, return_indices=True)`` returns, next to the maxima, where each one was:
its flat index in its (height, width) plane. ``max_unpool2d`` puts every value back at
that place in a map of zeros, the size the pooling's input had: a SegNet-style decoder
upsamples with the encoder's own choice of positions, and a visualisation shows which
pixels won. Unpooling is a ``scatter`` of the values into zeros, so its derivative (a
gather of the gradient at the same indices) comes from the engine.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import tinygrad_dk as tg
from nn import functional_resize as FR
from nn.functional_layers import to_tensor
from tinygrad_dk import Tensor

__all__ = ["max_unpool1d", "max_unpool2d", "max_unpool3d", "max_pool1d_with_indices",
           "max_pool2d_with_indices", "max_pool3d_with_indices",
           "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices",
           "adaptive_max_pool3d_with_indices"]


def unpool_size(name: str, spatial: tuple, kernel: list, stride: list, padding: list,
                output_size: Any) -> list[int]:
    """The spatial size unpooling restores: by default what max pooling with these settings
    shrinks to ``spatial`` (``(n - 1) * stride - 2 * padding + kernel``), or ``output_size``
    (spatial axes, or the full shape) when the pooling's input was a size in between."""
    d = len(spatial)
    default = [(n - 1) * s - 2 * p + k for n, k, s, p in zip(spatial, kernel, stride, padding)]
    if output_size is None:
        return default
    wanted = [int(n) for n in output_size]
    if len(wanted) == d + 2:  # the full shape (batch, channels, *spatial): keep the spatial
        wanted = wanted[len(wanted) - d:]
    if len(wanted) != d:
        raise ValueError(f"{name}: output_size {tuple(output_size)} must list the {d} spatial "
                         f"sizes (or the full shape)")
    for n, low, s in zip(wanted, default, stride):
        if not low - s < n < low + s:  # PyTorch's rule: the sizes pooling maps to `spatial`
            raise ValueError(f"{name}: output_size {tuple(wanted)} cannot have been pooled to "
                             f"{tuple(spatial)}; each size must lie strictly between "
                             f"{tuple(a - b for a, b in zip(default, stride))} and "
                             f"{tuple(a + b for a, b in zip(default, stride))}")
    return wanted


def _max_unpool(d: int, input: Any, indices: Any, kernel_size: Any, stride: Any,
                padding: Any, output_size: Any) -> Tensor:
    name = f"max_unpool{d}d"
    x = to_tensor(input)
    where = np.asarray(indices.numpy() if isinstance(indices, Tensor) else indices)
    if x.ndim not in (d + 1, d + 2):
        raise ValueError(f"{name}: expected input of shape (batch, channels, *spatial) or "
                         f"(channels, *spatial) with {d} spatial axes, got {x.shape}")
    if where.shape != x.shape:
        raise ValueError(f"{name}: indices have shape {where.shape}, the input {x.shape}; pass "
                         f"the indices max_pool{d}d(..., return_indices=True) returned with it")
    if where.dtype.kind not in "iu":
        raise TypeError(f"{name}: indices must be integers (int64 from max_pool{d}d), got "
                        f"dtype {where.dtype}")
    kernel = [int(k) for k in FR._per_axis(name, kernel_size, d, "kernel_size")]
    steps = kernel if stride is None else [int(s) for s in FR._per_axis(name, stride, d,
                                                                         "stride")]
    pads = [int(p) for p in FR._per_axis(name, padding, d, "padding")]
    lead, spatial = x.shape[:x.ndim - d], x.shape[x.ndim - d:]
    sizes = unpool_size(name, spatial, kernel, steps, pads, output_size)
    plane, cells = math.prod(sizes), math.prod(spatial)  # (no -1 in reshape: an empty batch)
    if where.size and (where.min() < 0 or where.max() >= plane):
        bad = where.min() if where.min() < 0 else where.max()
        raise IndexError(f"{name}: index {bad} is outside the output plane of "
                         f"{tuple(sizes)} ({plane} places); pass the output_size of the "
                         "pooling's input")
    flat = tg.zeros(lead + (plane,), dtype=x.dtype)
    flat = flat.scatter(-1, Tensor(where.reshape(lead + (cells,)).astype(np.int64)),
                        x.reshape(lead + (cells,)))
    return flat.reshape(lead + tuple(sizes))


def max_unpool1d(input: Any, indices: Any, kernel_size: Any, stride: Any = None,
                 padding: Any = 0, output_size: Any = None) -> Tensor:
    """Undo ``max_pool1d``: every value back at its index, zeros elsewhere."""
    return _max_unpool(1, input, indices, kernel_size, stride, padding, output_size)


def max_unpool2d(input: Any, indices: Any, kernel_size: Any, stride: Any = None,
                 padding: Any = 0, output_size: Any = None) -> Tensor:
    """Undo ``max_pool2d``: every value back at its index in the (height, width) plane,
    zeros elsewhere; give ``output_size`` when the pooled input's size was odd."""
    return _max_unpool(2, input, indices, kernel_size, stride, padding, output_size)


def max_unpool3d(input: Any, indices: Any, kernel_size: Any, stride: Any = None,
                 padding: Any = 0, output_size: Any = None) -> Tensor:
    """Undo ``max_pool3d``: every value back at its index in the volume, zeros elsewhere."""
    return _max_unpool(3, input, indices, kernel_size, stride, padding, output_size)


# --- PyTorch's *_with_indices spellings: return_indices=True ----------------------------------


def max_pool1d_with_indices(input: Any, kernel_size: Any, stride: Any = None,
                            padding: Any = 0, dilation: Any = 1, ceil_mode: bool = False,
                            return_indices: bool = True) -> tuple[Tensor, Tensor]:
    """``max_pool1d(..., return_indices=True)``: the maxima and where they were."""
    return tg.max_pool1d(to_tensor(input), kernel_size, stride, padding, dilation, ceil_mode,
                         True)


def max_pool2d_with_indices(input: Any, kernel_size: Any, stride: Any = None,
                            padding: Any = 0, dilation: Any = 1, ceil_mode: bool = False,
                            return_indices: bool = True) -> tuple[Tensor, Tensor]:
    """``max_pool2d(..., return_indices=True)``: the maxima and where they were."""
    return tg.max_pool2d(to_tensor(input), kernel_size, stride, padding, dilation, ceil_mode,
                         True)


def max_pool3d_with_indices(input: Any, kernel_size: Any, stride: Any = None,
                            padding: Any = 0, dilation: Any = 1, ceil_mode: bool = False,
                            return_indices: bool = True) -> tuple[Tensor, Tensor]:
    """``max_pool3d(..., return_indices=True)``: the maxima and where they were."""
    return tg.max_pool3d(to_tensor(input), kernel_size, stride, padding, dilation, ceil_mode,
                         True)


def adaptive_max_pool1d_with_indices(input: Any, output_size: Any,
                                     return_indices: bool = True) -> tuple[Tensor, Tensor]:
    """``adaptive_max_pool1d(..., return_indices=True)``."""
    return FR.adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input: Any, output_size: Any,
                                     return_indices: bool = True) -> tuple[Tensor, Tensor]:
    """``adaptive_max_pool2d(..., return_indices=True)``."""
    return FR.adaptive_max_pool2d(input, output_size, True)


def adaptive_max_pool3d_with_indices(input: Any, output_size: Any,
                                     return_indices: bool = True) -> tuple[Tensor, Tensor]:
    """``adaptive_max_pool3d(..., return_indices=True)``."""
    return FR.adaptive_max_pool3d(input, output_size, True)
