"""Batch normalisation with batch statistics: one fused operation and its derivative.

For every channel (axis 1), over the batch and any spatial axes,

    x_hat = (x - mean) / sqrt(var + eps),     y = weight * x_hat + bias

with the mean and the (biased) variance of this very batch. Because every example's
output depends on the whole batch through the mean and variance, the derivative has
two extra terms besides the plain 1/std scaling; with ``gh = g * weight``,

    dx = (gh - mean(gh) - x_hat * mean(gh * x_hat)) / sqrt(var + eps)
    dweight = sum(g * x_hat),     dbias = sum(g)

(the means and sums over the same axes as the statistics). One graph node instead of
about ten; the derivative is written with engine operations, so it differentiates
again. The running statistics that evaluation mode uses are kept by
``nn.BatchNorm1d``/``nn.BatchNorm2d`` (see ``nn.functional.batch_norm``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_dk.ops import mean, sqrt
from tinygrad_dk.ops import sum as sum_
from tinygrad_dk.primitive import Primitive, quiet, raw
from tinygrad_dk.tensor_base import ndim_of


def _channel_shape(x: Any) -> tuple[int, ...]:
    """The shape that lines a per-channel vector up with axis 1 of ``x``: (1, C, 1, ...)."""
    shape = np.shape(raw(x))
    return (1, shape[1]) + (1,) * (len(shape) - 2)


def _statistics_axes(x: Any) -> tuple[int, ...]:
    """Every axis but the channel axis: the batch and the spatial axes."""
    return (0, *range(2, ndim_of(x)))


def _normalized(x: Any, eps: float) -> tuple[Any, Any]:
    """(x_hat, 1 / std) with the batch statistics; engine ops, so arrays or Tensors."""
    axes = _statistics_axes(x)
    centred = x - mean(x, axis=axes, keepdims=True)
    inv_std = 1.0 / sqrt(mean(centred * centred, axis=axes, keepdims=True) + eps)
    return centred * inv_std, inv_std


def _wide(x: Any) -> Any:
    """A float32 array as float64 for the statistics: float32's squares of values past
    1e19 overflow (the variance would be inf and every output 0). Tensors (when the
    derivative is recorded for a second derivative) are left as they are."""
    return x.astype(np.float64) if isinstance(x, np.ndarray) and x.dtype == np.float32 else x


def _forward(x: np.ndarray, weight: Any = None, bias: Any = None, *, eps: float) -> np.ndarray:
    y, _ = _normalized(_wide(x), eps)
    if weight is not None:
        y = y * weight.reshape(_channel_shape(x))
    if bias is not None:
        y = y + bias.reshape(_channel_shape(x))
    return y.astype(x.dtype, copy=False)


def _vjp_all(g: Any, out: Any, x: Any, weight: Any = None, bias: Any = None, *,
             eps: float) -> list:
    axes = _statistics_axes(x)
    x_hat, inv_std = _normalized(_wide(x), eps)
    gh = g if weight is None else g * weight.reshape(_channel_shape(x))
    dx = inv_std * (gh - mean(gh, axis=axes, keepdims=True)
                    - x_hat * mean(gh * x_hat, axis=axes, keepdims=True))
    dweight = None if weight is None else sum_(g * x_hat, axis=axes)
    dbias = None if bias is None else sum_(g, axis=axes)
    if isinstance(dx, np.ndarray):  # back to the arguments' dtypes (after _wide)
        dx = dx.astype(raw(x).dtype, copy=False)
        dweight = None if dweight is None else dweight.astype(raw(weight).dtype, copy=False)
    return [dx, dweight, dbias]


_batch_norm = Primitive("batch_norm", quiet(_forward), vjp_all=_vjp_all)


def batch_norm(x: Any, weight: Any = None, bias: Any = None, eps: float = 1e-5) -> Any:
    """Normalise every channel (axis 1) of ``x`` with this batch's mean and variance.

    ``x`` has shape (batch, channels) or (batch, channels, *spatial); ``weight`` and
    ``bias`` (channels,) scale and shift the result (None: 1 and 0). This is batch
    normalisation in training mode; ``nn.functional.batch_norm`` adds the running
    statistics and evaluation mode.
    """
    shape = tuple(np.shape(raw(x)))
    if len(shape) < 2:
        raise ValueError(f"batch_norm: expected input of shape (batch, channels, ...), got "
                         f"{shape}")
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and tuple(np.shape(raw(p))) != (shape[1],):
            raise ValueError(f"batch_norm: {name} has shape {tuple(np.shape(raw(p)))}, must "
                             f"be (channels,) = ({shape[1]},) for input of shape {shape}")
    return _batch_norm(x, weight, bias, eps=float(eps))


__all__ = ["batch_norm"]
