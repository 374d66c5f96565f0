"""Pooling: the maximum or the mean of every window, forward and derivative.

Pooling shrinks a feature map: ``max_pool2d(x, 2)`` keeps the largest of every 2x2
block, so an 8x8 map becomes 4x4 and a feature found anywhere in a block still counts.
Both poolings use the strided window view of ``ops_conv`` and loop over the filter
taps (4 for a 2x2 window), each step one vectorised numpy operation on every window
at once; never a Python loop over pixels.

* Max pooling sends each output's gradient to the one input that was the maximum of
  its window (the first one, on a tie), as PyTorch does. The derivative puts every
  gradient at its window's winning tap and adds the windows back into place
  (``max_unpool``, with the same ``fold`` as a convolution's derivative); its own
  derivative is the matching gather (``max_gather``), and the two are one another's
  derivatives, so second derivatives work.
* Average pooling is linear: its derivative spreads each output gradient evenly back
  over the window (``avg_unpool``, the same ``fold`` as a convolution's derivative),
  and the derivative of that is average pooling again.
* ``ceil_mode`` is extra padding on the right (the last window's overhang, see
  ``_ceil_mode_pads``), so the window arithmetic above has no second case; ``return_indices``
  turns each output's winning tap (``winners``) into a flat position in its input plane.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tinygrad_dk.ops_conv import LAYOUT, Pads, as_tuple, fold, out_size, pad, taps, windows
from tinygrad_dk.ops_index import _positions
from tinygrad_dk.primitive import Primitive, quiet, raw

# --- max pooling ---------------------------------------------------------------------------


def _lowest(dtype: np.dtype) -> Any:
    """The padding value that never wins a maximum."""
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _windows(x: np.ndarray, kernel: tuple, stride: tuple, padding: Pads, dilation: tuple,
             value: Any = 0) -> np.ndarray:
    """The windows of ``x``, padded with ``value`` (no copy when there is no padding)."""
    xp = pad(x, padding, value) if any(lo or hi for lo, hi in padding) else x
    return windows(xp, kernel, stride, dilation)


def _first_tap(cols: np.ndarray, kernel: tuple) -> np.ndarray:
    # a copy in the memory order of the input (order="K"), so the per-tap loops below
    # run along the same memory as the windows they read
    return cols[(Ellipsis, *(0,) * len(kernel))].copy(order="K")


def _max_pool_forward(x: np.ndarray, *, kernel: tuple, stride: tuple, padding: Pads,
                      dilation: tuple) -> np.ndarray:
    cols = _windows(x, kernel, stride, padding, dilation, _lowest(x.dtype))
    # the maximum over the filter taps: one vectorised np.maximum per tap (4 for 2x2)
    best = _first_tap(cols, kernel)
    for tap in taps(kernel)[1:]:
        np.maximum(best, cols[(Ellipsis, *tap)], out=best)
    return best


def winners(x: np.ndarray, out: np.ndarray, kernel: tuple, stride: tuple, padding: Pads,
            dilation: tuple) -> np.ndarray:
    """For every output of max pooling, which filter tap (0 .. taps - 1) held the maximum.

    The first tap equal to the maximum wins, as in PyTorch, so on a tie (the zeros after
    a ReLU) one element gets the whole gradient. Padding never wins: in a window whose
    real values are all -inf, the first real one does (as in PyTorch), not the -inf of
    the padding, which would lose the gradient. ``out`` is the pooling's result.
    """
    cols = _windows(x, kernel, stride, padding, dilation, _lowest(x.dtype))
    # Each tap's values copied once, in the input's memory order: every step below then
    # runs along contiguous memory. The steps are arithmetic, not masked copies, which
    # would branch on every element.
    values = [cols[(Ellipsis, *tap)].copy(order="K") for tap in taps(kernel)]
    out = _like(values[0], out)
    real = _real_taps(x.shape[2:], kernel, stride, padding, dilation)
    if out.dtype.kind == "f" and np.isnan(out).any():
        return _nan_winners(values, real)
    which = np.zeros_like(values[0], dtype=np.uint8 if len(values) < 256 else np.intp)
    found = values[0] == out
    if real is not None:
        found &= real[0]
    for k, value in enumerate(values[1:], start=1):
        here = (value == out) & ~found  # the maximum, and no earlier tap had it
        if real is not None:
            here &= real[k]
        which += here * which.dtype.type(k)
        found |= here
    return which


def _real_taps(size: tuple, kernel: tuple, stride: tuple, padding: Pads,
               dilation: tuple) -> list[np.ndarray] | None:
    """Per filter tap, where it looks at the input rather than the padding: a boolean
    array (1, 1, *out) each; None without padding (every tap is real)."""
    if not any(lo or hi for lo, hi in padding):
        return None
    inside = _windows(np.ones((1, 1, *size), dtype=bool), kernel, stride, padding, dilation,
                      False)
    return [inside[(Ellipsis, *tap)] for tap in taps(kernel)]


def _nan_winners(values: list[np.ndarray], real: list[np.ndarray] | None) -> np.ndarray:
    """Winners when a window holds nan: PyTorch's rule, a later tap wins if it is larger
    or nan (so the last nan of a window gets the gradient); padding (-inf) never wins,
    and a window of -inf gives it to its first real tap."""
    best = values[0].copy()
    which = np.zeros_like(best, dtype=np.intp)
    if real is not None:  # start at each window's first real tap
        which[...] = np.argmax(np.stack(real), axis=0)
    for k, value in enumerate(values[1:], start=1):
        better = (value > best) | np.isnan(value)
        np.copyto(best, value, where=better)
        np.copyto(which, k, where=better)
    return which


def _max_unpool_forward(g: np.ndarray, which: np.ndarray, *, size: tuple, kernel: tuple,
                        stride: tuple, padding: Pads, dilation: tuple) -> np.ndarray:
    # each output gradient goes to its window's winning tap; fold adds the windows back
    if g.strides != which.strides:  # lay g out like `which` (see winners)
        g = _like(which, g)
    if np.isfinite(g).all():  # g * 0/1 is exact here (and faster than a branching where)
        pieces = [g * (which == k) for k in range(math.prod(kernel))]
    else:  # inf * 0 would be nan: select instead
        zero = np.zeros((), dtype=g.dtype)
        pieces = [np.where(which == k, g, zero) for k in range(math.prod(kernel))]
    return fold(pieces, kernel, size, stride, padding, dilation)


def _like(layout: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``values`` copied into an array with the memory order of ``layout``."""
    out = np.empty_like(layout, dtype=values.dtype)
    out[...] = values
    return out


def _max_gather_forward(x: np.ndarray, which: np.ndarray, *, kernel: tuple, stride: tuple,
                        padding: Pads, dilation: tuple) -> np.ndarray:
    # the value of every window at its winning tap (the adjoint of max_unpool)
    cols = _windows(x, kernel, stride, padding, dilation)
    out = np.zeros_like(which, dtype=x.dtype)
    for k, tap in enumerate(taps(kernel)):
        np.copyto(out, cols[(Ellipsis, *tap)], where=which == k)
    return out


max_unpool = Primitive(
    "max_unpool", _max_unpool_forward,
    lambda gy, out, g, which, *, size, **p: max_gather(gy, which, **p), None,
)
max_gather = Primitive(
    "max_gather", _max_gather_forward,
    lambda gy, out, x, which, **p: max_unpool(gy, which, size=np.shape(raw(x))[2:], **p), None,
)


def _max_pool_vjp(g: Any, out: Any, x: Any, **p: Any) -> Any:
    data = raw(x)
    return max_unpool(g, winners(data, raw(out), **p), size=data.shape[2:], **p)


_MAX_POOL = {d: Primitive(f"max_pool{d}d", _max_pool_forward, _max_pool_vjp) for d in (1, 2, 3)}

# --- average pooling ---------------------------------------------------------------------


def _divisor(size: tuple, kernel: tuple, stride: tuple, padding: Pads,
             count_include_pad: bool, divisor_override: int | None = None) -> Any:
    """What each window's sum is divided by, as PyTorch computes it.

    ``divisor_override`` if given; else the window's inputs that count: the real ones, and
    with ``count_include_pad`` the padding too. ``padding`` is (before, after) per axis,
    where ``after - before`` extra cells are ceil_mode's overhang past the padding (see
    ``_ceil_mode_pads``): they never count, so a window hanging over the edge in ceil_mode
    divides by less than the kernel's size even with ``count_include_pad``.
    """
    if divisor_override is not None:
        return divisor_override
    overhang = any(hi != lo for lo, hi in padding)
    if not overhang and (count_include_pad or not any(lo for lo, _ in padding)):
        return math.prod(kernel)  # every window is full: one number
    # 1 where an input counts, padded with 1 (counted padding) or 0, then 0 (overhang)
    counted = np.ones((1, 1, *size))
    if any(lo for lo, _ in padding):
        counted = pad(counted, tuple((lo, lo) for lo, _ in padding), float(count_include_pad))
    if overhang:
        counted = pad(counted, tuple((0, hi - lo) for lo, hi in padding), 0.0)
    counts = windows(counted, kernel, stride, (1,) * len(kernel))
    return counts.sum(axis=tuple(range(-len(kernel), 0)))[0, 0]


def _avg_pool_forward(x: np.ndarray, *, kernel: tuple, stride: tuple, padding: Pads,
                      count_include_pad: bool, divisor_override: int | None = None) -> np.ndarray:
    cols = _windows(x, kernel, stride, padding, (1,) * len(kernel))
    total = _first_tap(cols, kernel)
    for tap in taps(kernel)[1:]:
        total += cols[(Ellipsis, *tap)]
    divisor = _divisor(x.shape[2:], kernel, stride, padding, count_include_pad, divisor_override)
    return (total / divisor).astype(x.dtype, copy=False)


def _avg_unpool_forward(g: np.ndarray, *, size: tuple, kernel: tuple, stride: tuple,
                        padding: Pads, count_include_pad: bool,
                        divisor_override: int | None = None) -> np.ndarray:
    # every input of a window gets an equal share of the window's output gradient
    divisor = _divisor(size, kernel, stride, padding, count_include_pad, divisor_override)
    share = (g / divisor).astype(g.dtype, copy=False)
    return fold([share] * math.prod(kernel), kernel, size, stride, padding,
                (1,) * len(kernel))


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


def _ceil_mode_pads(size: tuple, kernel: tuple, stride: tuple, pads: tuple,
                    dilation: tuple) -> Pads:
    """``ceil_mode`` as padding: (before, after) per axis, the after part grown by the last
    window's overhang. PyTorch rounds the output size up, but the last window must start
    inside the input or its left padding (a window starting in the right padding would
    hold no input)."""
    pairs = []
    for n, k, s, p, dl in zip(size, kernel, stride, pads, dilation):
        span = dl * (k - 1) + 1  # the stretch of input one (dilated) window covers
        last = -(-(n + 2 * p - span) // s) * s  # where the last window starts, rounded up
        if last > 0 and last >= n + p:
            last -= s
        pairs.append((p, max(p, last + span - n - p)))
    return tuple(pairs)


def _arguments(op: str, d: int, x: Any, kernel_size: Any, stride: Any, padding: Any,
               dilation: Any, ceil_mode: bool) -> tuple[Any, bool, dict]:
    """Check and normalise pooling arguments as PyTorch takes them.

    The padding comes back as (before, after) pairs; with ``ceil_mode`` the after part
    grows by the overhang of the last window past the padding, so the usual floor-mode
    window arithmetic (and the derivative's ``fold``) needs no second case.
    """
    kernel = as_tuple(kernel_size, d, "kernel_size", op)
    stride = kernel if stride is None or stride == () else as_tuple(stride, d, "stride", op)
    dilation = as_tuple(dilation, d, "dilation", op)
    pads = as_tuple(padding, d, "padding", op, minimum=0)
    for p, k in zip(pads, kernel):  # PyTorch's rule counts the taps, not the dilated span
        if p > k // 2:
            raise ValueError(f"{op}: padding {padding!r} is more than half the window "
                             f"({kernel}); a window would then hold only padding (PyTorch's rule)")
    shape = np.shape(raw(x))
    if len(shape) not in (d + 1, d + 2):
        raise ValueError(f"{op}: expected input of shape {LAYOUT[d]} or one example without "
                         f"the batch axis, got shape {tuple(shape)}")
    batched = len(shape) == d + 2
    if not batched:
        x = x[None]
    size = np.shape(raw(x))[2:]
    pad_pairs = (_ceil_mode_pads(size, kernel, stride, pads, dilation) if ceil_mode
                 else tuple((p, p) for p in pads))
    if min(out_size(n, k, s, p, dl) for n, k, s, p, dl
           in zip(size, kernel, stride, pad_pairs, dilation)) < 1:
        raise ValueError(f"{op}: the input's spatial size {tuple(size)} is smaller than the "
                         f"window {kernel}")
    return x, batched, dict(kernel=kernel, stride=stride, padding=pad_pairs, dilation=dilation)


def indices(x: np.ndarray, out: np.ndarray, kernel: tuple, stride: tuple, padding: Pads,
            dilation: tuple) -> np.ndarray:
    """``return_indices`` of max pooling: where each output's maximum sits, as the flat index
    within its (batch, channel) plane of the input (int64, as PyTorch), with the tie rule
    of ``winners`` (the tap that gets the gradient is the index reported)."""
    which = winners(x, out, kernel, stride, padding, dilation).astype(np.intp)
    flat = np.zeros(which.shape, dtype=np.int64)
    for axis, (k, s, (lo, _), dl) in enumerate(zip(kernel, stride, padding, dilation)):
        tap = which // math.prod(kernel[axis + 1:]) % k  # taps are numbered in row order
        start = np.arange(out.shape[2 + axis]) * s - lo
        position = start.reshape((-1,) + (1,) * (len(kernel) - 1 - axis)) + tap * dl
        # A window of padding only (possible with dilation) has no maximum; PyTorch then
        # reports its first tap at or after 0, as here (it may lie outside the input).
        position = np.where(position < 0, position % dl, position)
        flat = flat * x.shape[2 + axis] + position
    return flat


def _max(op: str, d: int, x: Any, kernel_size: Any, stride: Any, padding: Any,
         dilation: Any, ceil_mode: bool, return_indices: bool = False) -> Any:
    x, batched, p = _arguments(op, d, x, kernel_size, stride, padding, dilation, ceil_mode)
    out = _MAX_POOL[d](x, **p)
    if not return_indices:
        return out if batched else out[0]
    where = _positions(x, indices(raw(x), raw(out), **p))
    return (out, where) if batched else (out[0], where[0])


def max_pool1d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """The maximum of every window along the last axis, as ``torch.nn.functional.max_pool1d``."""
    return _max("max_pool1d", 1, x, kernel_size, stride, padding, dilation, ceil_mode,
                return_indices)


def max_pool2d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """The maximum of every window, as ``torch.nn.functional.max_pool2d``.

    ``x`` (batch, channels, height, width); ``stride`` defaults to ``kernel_size``
    (windows side by side); padding counts as -inf. The gradient of each output goes
    to the input that was its window's maximum (the first one, on a tie).
    ``ceil_mode=True`` rounds the output size up: a last, partial window covers the
    rest of the input. ``return_indices=True`` also returns where every maximum was
    (flat index in its (height, width) plane), for ``max_unpool2d``.
    """
    return _max("max_pool2d", 2, x, kernel_size, stride, padding, dilation, ceil_mode,
                return_indices)


def _avg(op: str, d: int, x: Any, kernel_size: Any, stride: Any, padding: Any,
         ceil_mode: bool, count_include_pad: bool, divisor_override: Any = None) -> Any:
    x, batched, p = _arguments(op, d, x, kernel_size, stride, padding, 1, ceil_mode)
    del p["dilation"]
    if divisor_override is not None and (isinstance(divisor_override, bool) or not
                                         isinstance(divisor_override, (int, np.integer))
                                         or divisor_override == 0):
        raise ValueError(f"{op}: divisor_override must be a non-zero int, got "
                         f"{divisor_override!r}; leave it None to divide by the window size")
    if divisor_override is not None:
        p["divisor_override"] = int(divisor_override)
    out = avg_pool(x, count_include_pad=bool(count_include_pad), **p)
    return out if batched else out[0]


def avg_pool1d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> Any:
    """The mean of every window along the last axis, as ``torch.nn.functional.avg_pool1d``."""
    return _avg("avg_pool1d", 1, x, kernel_size, stride, padding, ceil_mode, count_include_pad)


def avg_pool2d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Any:
    """The mean of every window, as ``torch.nn.functional.avg_pool2d``.

    ``stride`` defaults to ``kernel_size``. Padding adds zeros, which count in the
    mean unless ``count_include_pad=False``. With ``ceil_mode=True`` a last window may
    hang over the edge; the part past the padding never counts. ``divisor_override``
    divides every window's sum by that number instead.
    """
    return _avg("avg_pool2d", 2, x, kernel_size, stride, padding, ceil_mode, count_include_pad,
                divisor_override)


def max_pool3d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """The maximum of every window of a volume (batch, channels, depth, height, width), as
    ``torch.nn.functional.max_pool3d``; arguments and gradient as ``max_pool2d``."""
    return _max("max_pool3d", 3, x, kernel_size, stride, padding, dilation, ceil_mode,
                return_indices)


def avg_pool3d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Any:
    """The mean of every window of a volume, as ``torch.nn.functional.avg_pool3d``.

    Unlike the 1-D and 2-D versions (and max_pool3d), PyTorch's avg_pool3d wants every
    spatial axis at least as long as the window before padding; so do we, to agree."""
    size = np.shape(raw(x))[-3:]
    kernel = as_tuple(kernel_size, 3, "kernel_size", "avg_pool3d")
    if len(size) == 3 and any(n < k for n, k in zip(size, kernel)):
        raise ValueError(f"avg_pool3d: the input's spatial size {tuple(size)} is smaller than "
                         f"the window {kernel} (padding does not count here, as in "
                         "PyTorch); use a smaller kernel_size or pad the input with F.pad")
    return _avg("avg_pool3d", 3, x, kernel_size, stride, padding, ceil_mode, count_include_pad,
                divisor_override)


__all__ = ["max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d"]
