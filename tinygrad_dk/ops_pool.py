"""Pooling: the maximum or the mean of every window, forward and derivative.

Pooling shrinks a feature map: ``max_pool2d(x, 2)`` keeps the largest of every 2x2
block, so an 8x8 map becomes 4x4 and a feature found anywhere in a block still counts.
Both poolings use the strided window view of ``ops_conv`` (no Python loop over pixels).

* Max pooling sends each output's gradient to the one input that was the maximum of
  its window (the first one, on a tie), as PyTorch does. The derivative is a scatter
  (``max_unpool``); its own derivative is the matching gather (``max_gather``), and
  the two are one another's derivatives, so second derivatives work.
* Average pooling is linear: its derivative spreads each output gradient evenly back
  over the window (``avg_unpool``, the same ``fold`` as a convolution's derivative),
  and the derivative of that is average pooling again.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tinygrad_dk.ops_conv import Pads, as_tuple, crop, fold, out_size, pad, windows
from tinygrad_dk.primitive import Primitive, quiet, raw

# --- max pooling ---------------------------------------------------------------------------


def _lowest(dtype: np.dtype) -> Any:
    """The padding value that never wins a maximum."""
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _max_pool_forward(x: np.ndarray, *, kernel: tuple, stride: tuple, padding: Pads,
                      dilation: tuple) -> np.ndarray:
    cols = windows(pad(x, padding, _lowest(x.dtype)), kernel, stride, dilation)
    return cols.max(axis=tuple(range(-len(kernel), 0)))


def max_positions(x: np.ndarray, kernel: tuple, stride: tuple, padding: Pads,
                  dilation: tuple) -> np.ndarray:
    """For every output of max pooling, the flat index into ``x`` of its window's maximum.

    ``argmax`` takes the first maximum of a window (as PyTorch), so a tie (the zeros
    after a ReLU) gives the whole gradient to one element.
    """
    d = len(kernel)
    cols = windows(pad(x, padding, _lowest(x.dtype)), kernel, stride, dilation)
    lead = cols.shape[:2 + d]  # (N, C, *out)
    tap = np.unravel_index(cols.reshape(*lead, -1).argmax(axis=-1), kernel)
    coords: list[Any] = [np.arange(lead[0]).reshape(-1, *(1,) * (d + 1)),
                         np.arange(lead[1]).reshape(-1, *(1,) * d)]
    for i in range(d):
        at = np.arange(lead[2 + i]).reshape(-1, *(1,) * (d - 1 - i))
        where = at * stride[i] + tap[i] * dilation[i] - padding[i][0]
        # A window whose maximum is -inf may pick a padding element; its output is -inf
        # whatever we do, so send that (meaningless) gradient to the nearest real element.
        coords.append(np.clip(where, 0, x.shape[2 + i] - 1))
    return np.ravel_multi_index(tuple(coords), x.shape)


def _max_unpool_forward(g: np.ndarray, index: np.ndarray, shape: tuple) -> np.ndarray:
    # add every output gradient at its maximum's position (overlapping windows may share one)
    flat = np.bincount(index.reshape(-1), weights=g.reshape(-1), minlength=math.prod(shape))
    return flat.reshape(shape).astype(g.dtype, copy=False)


max_unpool = Primitive(
    "max_unpool", _max_unpool_forward,
    lambda gy, out, g, index, shape: max_gather(gy, index), None,
)
max_gather = Primitive(
    "max_gather", lambda x, index: np.take(x, index),
    lambda gy, out, x, index: max_unpool(gy, index, np.shape(raw(x))), None,
)


def _max_pool_vjp(g: Any, out: Any, x: Any, **p: Any) -> Any:
    data = raw(x)
    return max_unpool(g, max_positions(data, **p), data.shape)


_MAX_POOL = {d: Primitive(f"max_pool{d}d", _max_pool_forward, _max_pool_vjp) for d in (1, 2, 3)}

# --- average pooling ---------------------------------------------------------------------


def _divisor(size: tuple, kernel: tuple, stride: tuple, padding: Pads,
             count_include_pad: bool) -> Any:
    """What each window's sum is divided by: its size, or its number of real (unpadded) inputs."""
    if count_include_pad or not any(lo or hi for lo, hi in padding):
        return math.prod(kernel)
    ones = np.ones((1, 1, *size))
    counts = windows(pad(ones, padding), kernel, stride, (1,) * len(kernel))
    return counts.sum(axis=tuple(range(-len(kernel), 0)))[0, 0]


def _avg_pool_forward(x: np.ndarray, *, kernel: tuple, stride: tuple, padding: Pads,
                      count_include_pad: bool) -> np.ndarray:
    cols = windows(pad(x, padding), kernel, stride, (1,) * len(kernel))
    total = cols.sum(axis=tuple(range(-len(kernel), 0)))
    return (total / _divisor(x.shape[2:], kernel, stride, padding, count_include_pad)
            ).astype(x.dtype, copy=False)


def _avg_unpool_forward(g: np.ndarray, *, size: tuple, kernel: tuple, stride: tuple,
                        padding: Pads, count_include_pad: bool) -> np.ndarray:
    # every input of a window gets an equal share of the window's output gradient
    share = g / _divisor(size, kernel, stride, padding, count_include_pad)
    cols = np.broadcast_to(share.reshape(*share.shape, *(1,) * len(kernel)),
                           (*share.shape, *kernel))
    padded = tuple(n + lo + hi for n, (lo, hi) in zip(size, padding))
    return crop(fold(cols, padded, stride, (1,) * len(kernel)), padding).astype(g.dtype,
                                                                             copy=False)


def avg_pool(x: Any, **p: Any) -> Any:
    """The average-pooling primitive on normalised arguments (see ``avg_pool2d``)."""
    return _AVG_POOL[len(p["kernel"])](x, **p)


def avg_unpool(g: Any, *, size: tuple, **p: Any) -> Any:
    """d/dx of ``avg_pool``: each output gradient shared evenly over its window."""
    return _avg_unpool(g, size=tuple(size), **p)


_AVG_POOL = {d: Primitive(f"avg_pool{d}d", quiet(_avg_pool_forward),
                          lambda g, out, x, **p: avg_unpool(g, size=np.shape(raw(x))[2:], **p))
             for d in (1, 2, 3)}
_avg_unpool = Primitive("avg_unpool", quiet(_avg_unpool_forward),
                        lambda gy, out, g, *, size, **p: avg_pool(gy, **p))

# --- the public functions -----------------------------------------------------------------


def _arguments(op: str, d: int, x: Any, kernel_size: Any, stride: Any, padding: Any,
               dilation: Any, ceil_mode: bool) -> tuple[Any, bool, dict]:
    """Check and normalise pooling arguments as PyTorch takes them."""
    kernel = as_tuple(kernel_size, d, "kernel_size", op)
    stride = kernel if stride is None or stride == () else as_tuple(stride, d, "stride", op)
    dilation = as_tuple(dilation, d, "dilation", op)
    pads = as_tuple(padding, d, "padding", op, minimum=0)
    if ceil_mode:
        raise NotImplementedError(f"{op}: ceil_mode=True is not supported; pad the input so "
                                  "the windows fit, or use ceil_mode=False")
    for p, k, dl in zip(pads, kernel, dilation):
        if p > (dl * (k - 1) + 1) // 2:
            raise ValueError(f"{op}: padding {padding!r} is more than half the window "
                             f"({kernel}); a window would then hold only padding (PyTorch's rule)")
    shape = np.shape(raw(x))
    if len(shape) not in (d + 1, d + 2):
        raise ValueError(f"{op}: expected input of shape (batch, channels, "
                         f"{'length' if d == 1 else 'height, width'}) or one example without "
                         f"the batch axis, got shape {tuple(shape)}")
    batched = len(shape) == d + 2
    if not batched:
        x = x[None]
    size = np.shape(raw(x))[2:]
    pad_pairs = tuple((p, p) for p in pads)
    if min(out_size(n, k, s, p, dl) for n, k, s, p, dl
           in zip(size, kernel, stride, pad_pairs, dilation)) < 1:
        raise ValueError(f"{op}: the input's spatial size {tuple(size)} is smaller than the "
                         f"window {kernel}")
    return x, batched, dict(kernel=kernel, stride=stride, padding=pad_pairs, dilation=dilation)


def max_pool1d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False) -> Any:
    """The maximum of every window along the last axis, as ``torch.nn.functional.max_pool1d``."""
    x, batched, p = _arguments("max_pool1d", 1, x, kernel_size, stride, padding, dilation,
                               ceil_mode)
    out = _MAX_POOL[1](x, **p)
    return out if batched else out[0]


def max_pool2d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False) -> Any:
    """The maximum of every window, as ``torch.nn.functional.max_pool2d``.

    ``x`` (batch, channels, height, width); ``stride`` defaults to ``kernel_size``
    (windows side by side); padding counts as -inf. The gradient of each output goes
    to the input that was its window's maximum (the first one, on a tie).
    """
    x, batched, p = _arguments("max_pool2d", 2, x, kernel_size, stride, padding, dilation,
                               ceil_mode)
    out = _MAX_POOL[2](x, **p)
    return out if batched else out[0]


def _avg(op: str, d: int, x: Any, kernel_size: Any, stride: Any, padding: Any,
         ceil_mode: bool, count_include_pad: bool) -> Any:
    x, batched, p = _arguments(op, d, x, kernel_size, stride, padding, 1, ceil_mode)
    del p["dilation"]
    out = avg_pool(x, count_include_pad=bool(count_include_pad), **p)
    return out if batched else out[0]


def avg_pool1d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> Any:
    """The mean of every window along the last axis, as ``torch.nn.functional.avg_pool1d``."""
    return _avg("avg_pool1d", 1, x, kernel_size, stride, padding, ceil_mode, count_include_pad)


def avg_pool2d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> Any:
    """The mean of every window, as ``torch.nn.functional.avg_pool2d``.

    ``stride`` defaults to ``kernel_size``. Padding adds zeros, which count in the
    mean unless ``count_include_pad=False``.
    """
    return _avg("avg_pool2d", 2, x, kernel_size, stride, padding, ceil_mode, count_include_pad)


__all__ = ["max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d"]
