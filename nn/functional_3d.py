"""Functional forms of the volume layers and a few image layers, re-exported by
``nn.functional``: ``conv3d``, ``conv_transpose3d``, ``max_pool3d``, ``avg_pool3d``,
``unfold``, ``fold``, ``channel_shuffle``, ``local_response_norm`` and ``lp_pool1d/2d/3d``.
(``adaptive_avg_pool3d`` and ``adaptive_max_pool3d`` stand with their 1-D and 2-D
versions in ``nn.functional_resize``, ``dropout3d`` with ``dropout1d/2d`` in
``nn.functional_extra``.)

Nothing here has a derivative of its own. The 3-D convolution and pooling are the
engine's N-d operations with one spatial axis more; unfold and fold are the engine's
``tinygrad_dk.ops_fold``. The rest are compositions of differentiable operations
(reshape, transpose, pad, average pooling, powers), so the engine differentiates them.
"""

from __future__ import annotations

import math
from typing import Any

import tinygrad_dk as tg
from nn import functional_resize as FR
from nn.functional_layers import to_tensor
from tinygrad_dk import Tensor

__all__ = ["conv3d", "conv_transpose3d", "max_pool3d", "avg_pool3d", "unfold", "fold",
           "channel_shuffle", "local_response_norm", "lp_pool1d", "lp_pool2d", "lp_pool3d"]


# --- volumes: the engine's N-d operations --------------------------------------------------


def conv3d(input: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Tensor:
    """3-D convolution of (batch, in_channels, depth, height, width) with weight
    (out_channels, in_channels, kd, kh, kw) (``tinygrad_dk.conv3d``)."""
    return tg.conv3d(to_tensor(input), weight, bias, stride, padding, dilation, groups)


def conv_transpose3d(input: Any, weight: Any, bias: Any = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> Tensor:
    """3-D transposed convolution with weight (in_channels, out_channels // groups, kd, kh,
    kw) (``tinygrad_dk.conv_transpose3d``)."""
    return tg.conv_transpose3d(to_tensor(input), weight, bias, stride, padding, output_padding,
                               groups, dilation)


def max_pool3d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """The maximum of every ``kernel_size`` window of a volume (stride defaults to it)."""
    return tg.max_pool3d(to_tensor(input), kernel_size, stride, padding, dilation, ceil_mode,
                         return_indices)


def avg_pool3d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """The mean of every ``kernel_size`` window of a volume (stride defaults to it)."""
    return tg.avg_pool3d(to_tensor(input), kernel_size, stride, padding, ceil_mode,
                         count_include_pad, divisor_override)


# --- windows as columns ----------------------------------------------------------------------


def unfold(input: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
           stride: Any = 1) -> Tensor:
    """Every window of (N, C, H, W) as a column: (N, C * kh * kw, L) (``tg.ops_fold``)."""
    return tg.ops_fold.unfold(to_tensor(input), kernel_size, dilation, padding, stride)


def fold(input: Any, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
         stride: Any = 1) -> Tensor:
    """Columns (N, C * kh * kw, L) back into (N, C, H, W), overlaps summed (``tg.ops_fold``)."""
    return tg.ops_fold.fold(to_tensor(input), output_size, kernel_size, dilation, padding,
                            stride)


# --- image layers made of other operations -------------------------------------------------


def channel_shuffle(input: Any, groups: int) -> Tensor:
    """Interleave the channels of ``groups`` groups (ShuffleNet): with 2 groups of 3,
    channels 0 1 2 | 3 4 5 become 0 3 1 4 2 5, so the next grouped convolution mixes
    information across groups. A reshape, a transpose and a reshape back."""
    x = to_tensor(input)
    if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1:
        raise ValueError(f"channel_shuffle: groups must be a positive int, got {groups!r}")
    if x.ndim < 3:
        raise ValueError(f"channel_shuffle: expected input of shape (batch, channels, ...) "
                         f"with at least 3 axes, got {x.shape}")
    n, c, *rest = x.shape
    if c % groups:
        raise ValueError(f"channel_shuffle: the {c} channels (axis 1 of {x.shape}) do not "
                         f"split into {groups} groups of equal size; use a divisor of {c}")
    return x.reshape(n, groups, c // groups, *rest).transpose(1, 2).reshape(x.shape)


def local_response_norm(input: Any, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0) -> Tensor:
    """AlexNet's normalisation across channels: every value divided by
    ``(k + alpha * mean of the squares of the `size` neighbouring channels) ** beta``.

    The window over the channels reaches ``size // 2`` channels back and ``(size - 1) // 2``
    forward (zeros beyond the edges, counted in the mean), as in PyTorch. Computed as an
    average pooling of the squares over the channel axis."""
    x = to_tensor(input)
    if x.ndim < 3:
        raise ValueError(f"local_response_norm: expected input of shape (batch, channels, "
                         f"...) with at least 3 axes, got {x.shape}")
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"local_response_norm: size must be a positive int, got {size!r}")
    if 0 in x.shape:  # nothing to normalise (and no window fits an empty axis)
        return x * 1.0
    n, c = x.shape[:2]
    # the channels as the height of a one-channel image, every position as its width
    squares = (x * x).reshape(n, 1, c, -1)
    squares = FR.pad(squares, (0, 0, size // 2, (size - 1) // 2))
    mean = tg.avg_pool2d(squares, (size, 1), stride=1).reshape(x.shape)
    return x / (mean * alpha + k) ** beta


def _lp_pool(d: int, input: Any, norm_type: float, kernel_size: Any, stride: Any,
             ceil_mode: bool) -> Tensor:
    """The p-norm of every window: (sum of x ** p) ** (1 / p), as PyTorch computes it:
    p = 1 is sum pooling, p = inf would be max pooling. The sum is the mean times the
    window size; a negative sum (odd p) gives nan, as in PyTorch."""
    x = to_tensor(input)
    name = f"lp_pool{d}d"
    p = float(norm_type)
    if not p > 0 or p == float("inf"):
        raise ValueError(f"{name}: norm_type must be a positive finite number, got "
                         f"{norm_type!r}; for p = inf use max_pool{d}d")
    pool = (tg.avg_pool1d, tg.avg_pool2d, tg.avg_pool3d)[d - 1]
    try:
        mean = pool(x ** p, kernel_size, stride, 0, ceil_mode)
    except ValueError as err:
        raise ValueError(str(err).replace(f"avg_pool{d}d", name)) from None
    kernel = (kernel_size,) * d if isinstance(kernel_size, int) else tuple(kernel_size)
    taps = math.prod(int(k_) for k_ in kernel)
    return (tg.sign(mean) * tg.relu(abs(mean)) * taps) ** (1.0 / p)


def lp_pool1d(input: Any, norm_type: float, kernel_size: Any, stride: Any = None,
              ceil_mode: bool = False) -> Tensor:
    """The ``norm_type``-norm of every window along the length."""
    return _lp_pool(1, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(input: Any, norm_type: float, kernel_size: Any, stride: Any = None,
              ceil_mode: bool = False) -> Tensor:
    """The ``norm_type``-norm of every ``kernel_size`` window of an image."""
    return _lp_pool(2, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool3d(input: Any, norm_type: float, kernel_size: Any, stride: Any = None,
              ceil_mode: bool = False) -> Tensor:
    """The ``norm_type``-norm of every ``kernel_size`` window of a volume."""
    return _lp_pool(3, input, norm_type, kernel_size, stride, ceil_mode)
