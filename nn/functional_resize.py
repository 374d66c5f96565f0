"""Padding, resizing and adaptive pooling, as ``torch.nn.functional``: ``pad``,
``interpolate``, ``adaptive_avg_pool1d/2d`` and ``adaptive_max_pool1d/2d``, re-exported by
``nn.functional``.

None of them needs a derivative of its own. Each output element is one input element
(padding by reflection or replication, nearest-neighbour resizing), a weighted sum of
two neighbours per axis (linear resizing) or of four (bicubic resizing, ``cubic_weights``,
which ``grid_sample`` shares), or a mean or maximum of a window (adaptive pooling, and
``mode="area"`` resizing); so each is built from indexing (``x[..., idx]``, whose gradient adds up
where an index repeats), products with constant weights, ``concatenate``, ``mean`` and
``max``, and the engine differentiates them. Every spatial axis is handled on its own,
one after the other (``_along``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

import tinygrad_dk as tg
from nn.functional_layers import to_tensor
from tinygrad_dk import Tensor

__all__ = ["pad", "interpolate", "upsample", "upsample_nearest", "upsample_bilinear",
           "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
           "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d"]

PAD_MODES = ("constant", "reflect", "replicate", "circular")


def _along(x: Tensor, axis: int, idx: np.ndarray) -> Tensor:
    """``x`` indexed by the integer array ``idx`` along ``axis``."""
    return x[(slice(None),) * (axis % x.ndim) + (idx,)]


def _weights(w: np.ndarray, axis: int, ndim: int, dtype: Any) -> np.ndarray:
    """A weight per position of ``axis``, shaped to broadcast against an ndim-array."""
    shape = [1] * ndim
    shape[axis % ndim] = len(w)
    return w.astype(dtype).reshape(shape)


# --- padding -------------------------------------------------------------------------------


def _source_index(n: int, before: int, after: int, mode: str) -> np.ndarray:
    """For every position of the padded axis, the position of the input it copies."""
    i = np.arange(-before, n + after)
    if mode == "reflect":  # mirror at the edges, without repeating the edge itself
        i = np.where(i < 0, -i, i)
        return np.where(i > n - 1, 2 * (n - 1) - i, i)
    if mode == "replicate":
        return np.clip(i, 0, n - 1)
    return i % n  # circular: wrap around


def _pad_constant(x: Tensor, axis: int, before: int, after: int, value: float) -> Tensor:
    n = x.shape[axis]
    if before < 0 or after < 0:  # a negative pad crops, as PyTorch
        keep = slice(max(-before, 0), n - max(-after, 0))
        x = x[(slice(None),) * axis + (keep,)]
    parts = []
    for width in (before, after):
        shape = list(x.shape)
        shape[axis] = max(width, 0)
        parts.append(tg.full(tuple(shape), value, dtype=x.dtype))
    return tg.concatenate([parts[0], x, parts[1]], axis=axis)


def pad(input: Any, pad: Sequence[int], mode: str = "constant",
        value: float | None = None) -> Tensor:
    """Pad the last axes of ``input``; ``pad`` lists (before, after) pairs starting from the
    LAST axis: ``(left, right)`` pads the width, ``(left, right, top, bottom)`` width and
    height, as PyTorch.

    ``mode``: ``"constant"`` (``value``, default 0; negative pads crop), ``"reflect"``
    (mirror without repeating the edge: pads must be smaller than the axis),
    ``"replicate"`` (repeat the edge), ``"circular"`` (wrap around).
    """
    x = to_tensor(input)
    widths = [int(p) for p in pad]
    if len(widths) % 2 or len(widths) // 2 > x.ndim:
        raise ValueError(f"pad: pad must hold (before, after) pairs for at most {x.ndim} axes "
                         f"(the input has shape {x.shape}), got {tuple(pad)}")
    if mode not in PAD_MODES:
        raise ValueError(f"pad: mode must be one of {PAD_MODES}, got {mode!r}")
    axes = len(widths) // 2
    if mode != "constant":
        if value not in (None, 0):
            raise ValueError(f"pad: mode {mode!r} takes no value (only mode 'constant' does)")
        if not 1 <= axes <= 3 or x.ndim - axes not in (1, 2):
            raise ValueError(f"pad: mode {mode!r} pads the last 1, 2 or 3 axes of an input "
                             f"with 1 or 2 more axes (channels, or batch and channels); got "
                             f"{axes} axes to pad for input of shape {x.shape}")
    for k in range(axes):
        axis, before, after = x.ndim - 1 - k, widths[2 * k], widths[2 * k + 1]
        n = x.shape[axis]
        if mode == "constant":
            if max(-before, 0) + max(-after, 0) > n:
                raise ValueError(f"pad: the negative pads {before, after} would crop more than "
                                 f"the {n} elements of axis {axis}")
            x = _pad_constant(x, axis, before, after, 0.0 if value is None else value)
            continue
        limit = {"reflect": n - 1, "circular": n}.get(mode, max(before, after, 0))
        if min(before, after) < 0 or max(before, after) > limit or n == 0:
            raise ValueError(f"pad: mode {mode!r} needs pads 0 .. {max(limit, 0)} for axis "
                             f"{axis} of length {n} (input shape {x.shape}), got "
                             f"{(before, after)}"
                             + ("; reflection cannot repeat the edge" if mode == "reflect"
                                else ""))
        x = _along(x, axis, _source_index(n, before, after, mode))
    return x


# --- resizing ------------------------------------------------------------------------------

LINEAR_MODES = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5}  # mode: input rank
CUBIC_A = -0.75  # PyTorch's cubic convolution constant


def _per_axis(name: str, value: Any, n: int, what: str) -> list:
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"{name}: {what} has {len(value)} entries, the input has {n} "
                             "spatial axes")
        return list(value)
    return [value] * n


def _sizes_and_scales(x: Tensor, size: Any, scale_factor: Any,
                      recompute: bool | None) -> tuple[list[int], list[float | None]]:
    """The output size of every spatial axis, and the scale PyTorch maps coordinates with
    (1 / scale_factor when that was given and not recomputed, else None: in / out)."""
    spatial = x.shape[2:]
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: give either size or scale_factor (exactly one)")
    if size is not None:
        sizes = [int(s) for s in _per_axis("interpolate", size, len(spatial), "size")]
        return sizes, [None] * len(spatial)
    factors = [float(f) for f in _per_axis("interpolate", scale_factor, len(spatial),
                                           "scale_factor")]
    if any(not f > 0 for f in factors):
        raise ValueError(f"interpolate: scale_factor must be positive, got {scale_factor}")
    sizes = [int(math.floor(n * f)) for n, f in zip(spatial, factors)]
    return sizes, [None if recompute else f for f in factors]


def _nearest(x: Tensor, axis: int, out: int, factor: float | None, exact: bool) -> Tensor:
    n = x.shape[axis]
    scale = np.float32(1.0 / factor if factor else n / out)
    if exact:  # the pixel whose centre is nearest: floor((dst + 1/2) scale)
        src = np.floor((np.arange(out) + 0.5) * np.float64(scale))
    elif out in (n, 2 * n):  # PyTorch's shortcuts: a copy, or every pixel twice
        src = np.arange(out) // (out // n)
    else:  # floor(dst * scale), computed in float32 as PyTorch does (the same rounding)
        src = np.floor(np.arange(out, dtype=np.float32) * scale)
    return _along(x, axis, np.minimum(src.astype(np.int64), n - 1))


def _source(n: int, out: int, factor: float | None, align_corners: bool,
            cubic: bool = False) -> np.ndarray:
    """Where each of the ``out`` output pixels of an axis reads the ``n`` input pixels: a
    (fractional) input position, PyTorch's rule for the linear and cubic modes."""
    dst = np.arange(out, dtype=np.float64)
    if align_corners:  # the corner pixels' centres line up: src = dst (n - 1) / (out - 1)
        return dst * ((n - 1) / (out - 1) if out > 1 else 0.0)
    scale = 1.0 / factor if factor else n / out
    src = scale * (dst + 0.5) - 0.5  # pixel centres
    return src if cubic else np.maximum(src, 0.0)  # linear: not below 0


def cubic_weights(t: Any) -> list:
    """The weights of the four pixels at -1, 0, 1, 2 around a point ``t`` (0 <= t <= 1)
    past a pixel: Keys' cubic convolution with A = -0.75, as PyTorch (bicubic resizing
    and ``grid_sample``). ``t`` may be an array or a Tensor (then so are the weights)."""
    a = CUBIC_A

    def near(d: Any) -> Any:  # the kernel at distance |d| <= 1
        return ((a + 2) * d - (a + 3)) * d * d + 1

    def far(d: Any) -> Any:  # the kernel at distance 1 < |d| < 2
        return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a

    return [far(t + 1.0), near(t), near(1.0 - t), far((1.0 - t) + 1.0)]


def _resample(x: Tensor, axis: int, out: int, factor: float | None, align_corners: bool,
              cubic: bool) -> Tensor:
    """Linear (2 taps) or cubic (4 taps) resizing of one axis: every output pixel is a
    weighted sum of the input pixels around its source position (edges repeated)."""
    n = x.shape[axis]
    src = _source(n, out, factor, align_corners, cubic)
    lo = np.minimum(np.floor(src).astype(np.int64), n - 1)
    t = np.clip(src - lo, 0.0, 1.0)  # how far past pixel lo
    if cubic:
        taps = [(np.clip(lo + j - 1, 0, n - 1), w) for j, w in enumerate(cubic_weights(t))]
    else:
        taps = [(lo, 1.0 - t), (np.minimum(lo + 1, n - 1), t)]
    result = _weighted(x, axis, *taps[0])
    for idx, w in taps[1:]:
        result = result + _weighted(x, axis, idx, w)
    return result


def _weighted(x: Tensor, axis: int, idx: np.ndarray, w: np.ndarray) -> Tensor:
    """x[idx] times the weights ``w`` along ``axis``. A weight of exactly 0 (a pixel that
    lands on its source, as when the size does not change) takes no part at all, so an
    infinite neighbour or an infinite gradient does not make 0 * inf = nan."""
    part = _along(x, axis, idx) * _weights(w, axis, x.ndim, x.dtype)
    if np.all(w != 0):
        return part
    return tg.where(_weights(w != 0, axis, x.ndim, bool), part, np.zeros((), x.dtype))


def interpolate(input: Any, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Tensor:
    """Resize the spatial axes of (batch, channels, *spatial) to ``size`` or by
    ``scale_factor``, as PyTorch.

    ``mode``: ``"nearest"`` (copy the nearest pixel, PyTorch's floor rule),
    ``"nearest-exact"``, ``"linear"`` (3-axis input), ``"bilinear"`` (images) or
    ``"trilinear"``: weighted means of the two nearest pixels per axis;
    ``"bicubic"`` (images): the four nearest pixels per axis, by Keys' cubic
    convolution (sharper; may overshoot the input's range); ``"area"``: the mean of the
    input pixels under each output pixel (``adaptive_avg_pool``, good for shrinking).
    ``align_corners=True`` (linear and cubic modes only) maps the corner pixels onto each
    other; False (the default) maps pixel areas, as ``scale_factor`` says.
    """
    x = to_tensor(input)
    if x.ndim not in (3, 4, 5):
        raise ValueError(f"interpolate: expected input of shape (batch, channels, *spatial) "
                         f"with 1 to 3 spatial axes, got {x.shape}")
    if mode in LINEAR_MODES:
        if x.ndim != LINEAR_MODES[mode]:
            raise ValueError(f"interpolate: mode {mode!r} needs an input with "
                             f"{LINEAR_MODES[mode]} axes, got shape {x.shape}")
    elif mode in ("nearest", "nearest-exact", "area"):
        if align_corners is not None:
            raise ValueError("interpolate: align_corners can only be set with the "
                             "interpolating modes (linear, bilinear, bicubic, trilinear)")
    else:
        raise NotImplementedError(f"interpolate: mode {mode!r} is not supported; use "
                                  "'nearest', 'nearest-exact', 'linear', 'bilinear', "
                                  "'bicubic', 'trilinear' or 'area'")
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported")
    sizes, factors = _sizes_and_scales(x, size, scale_factor, recompute_scale_factor)
    if any(s < 1 for s in sizes) or any(n < 1 for n in x.shape[2:]):
        raise ValueError(f"interpolate: input spatial sizes {x.shape[2:]} and output sizes "
                         f"{tuple(sizes)} must be positive")
    if mode == "area":
        return _adaptive_avg("interpolate", x, sizes, len(sizes))
    # the last axis first: for bilinear this is exactly PyTorch's order of operations
    for k in reversed(range(len(sizes))):
        axis = 2 + k
        if mode in LINEAR_MODES:
            x = _resample(x, axis, sizes[k], factors[k], bool(align_corners),
                          mode == "bicubic")
        else:
            x = _nearest(x, axis, sizes[k], factors[k], mode == "nearest-exact")
    return x


def upsample(input: Any, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
             align_corners: bool | None = None) -> Tensor:
    """The old name of ``interpolate``."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Any, size: Any = None, scale_factor: Any = None) -> Tensor:
    """The old name of ``interpolate(..., mode="nearest")``."""
    return interpolate(input, size, scale_factor, "nearest")


def upsample_bilinear(input: Any, size: Any = None, scale_factor: Any = None) -> Tensor:
    """The old name of ``interpolate(..., mode="bilinear", align_corners=True)``."""
    return interpolate(input, size, scale_factor, "bilinear", align_corners=True)


# --- adaptive pooling ------------------------------------------------------------------------


def _windows(n: int, out: int) -> list[tuple[int, int]]:
    """PyTorch's adaptive windows: output i covers floor(i n / out) .. ceil((i + 1) n / out),
    so the windows cover the whole axis and overlap by at most one element."""
    return [((i * n) // out, -((-(i + 1) * n) // out)) for i in range(out)]


def _output_sizes(name: str, x: Tensor, output_size: Any, dims: int) -> list[int]:
    if x.ndim not in (dims + 1, dims + 2):
        raise ValueError(f"{name}: expected input of shape (batch, channels, *spatial) or "
                         f"(channels, *spatial) with {dims} spatial axes, got {x.shape}")
    spatial = x.shape[x.ndim - dims:]
    wanted = _per_axis(name, output_size, dims, "output_size")
    sizes = [n if s is None else int(s) for s, n in zip(wanted, spatial)]
    if any(s < 1 for s in sizes) or any(n < 1 for n in spatial):
        raise ValueError(f"{name}: the spatial sizes {spatial} of the input and output_size "
                         f"{tuple(sizes)} must be positive")
    return sizes


def _adaptive_avg(name: str, input: Any, output_size: Any, dims: int) -> Tensor:
    x = to_tensor(input)
    sizes = _output_sizes(name, x, output_size, dims)
    for k, out in enumerate(sizes):  # a window's mean is the mean of its rows' means
        axis = x.ndim - dims + k
        means = [x[(slice(None),) * axis + (slice(a, b),)].mean(axis=axis, keepdims=True)
                 for a, b in _windows(x.shape[axis], out)]
        x = means[0] if len(means) == 1 else tg.concatenate(means, axis=axis)
    return x


def first_max(rows: np.ndarray) -> np.ndarray:
    """Per row (last axis), where PyTorch's max pooling finds the maximum: the first
    largest value, or the last nan if the row holds one (a nan beats everything)."""
    where = np.argmax(rows, axis=-1)  # the first maximum (numpy: the first nan)
    nan = np.isnan(rows) if rows.dtype.kind == "f" else np.zeros(rows.shape, dtype=bool)
    last_nan = rows.shape[-1] - 1 - np.argmax(nan[..., ::-1], axis=-1)
    return np.where(nan.any(axis=-1), last_nan, where)


def _adaptive_indices(data: np.ndarray, sizes: list[int], dims: int) -> np.ndarray:
    """For every output of adaptive max pooling, the flat index of its maximum within the
    input's (batch, channel) plane (PyTorch's ``return_indices``)."""
    lead, spatial = data.shape[:data.ndim - dims], data.shape[data.ndim - dims:]
    spans = [_windows(n, out) for n, out in zip(spatial, sizes)]
    found = np.zeros(lead + tuple(sizes), dtype=np.int64)
    for cell in np.ndindex(*sizes):  # one window at a time, every plane at once
        box = [spans[k][i] for k, i in enumerate(cell)]
        part = data[(...,) + tuple(slice(a, b) for a, b in box)]
        count = math.prod(part.shape[len(lead):])
        local = np.unravel_index(first_max(part.reshape(lead + (count,))),
                                 part.shape[len(lead):])
        corner = tuple(a + offset for (a, _), offset in zip(box, local))
        found[(...,) + cell] = np.ravel_multi_index(corner, spatial)
    return found


def _adaptive_max(name: str, input: Any, output_size: Any, dims: int,
                  return_indices: bool) -> Any:
    """The maxima picked by their indices (a gather), so the gradient goes exactly where
    PyTorch sends it, and the values and ``return_indices`` cannot disagree."""
    x = to_tensor(input)
    sizes = _output_sizes(name, x, output_size, dims)
    where = _adaptive_indices(x.numpy(), sizes, dims)
    out = take_in_plane(x, where, dims)
    return (out, Tensor(where)) if return_indices else out


def take_in_plane(x: Tensor, where: np.ndarray, dims: int) -> Tensor:
    """The elements of ``x`` at the flat indices ``where`` (one per output cell) within each
    plane of its last ``dims`` axes: a gather, so the gradient goes back exactly there
    (max pooling by indices: adaptive and fractional)."""
    lead = x.shape[:x.ndim - dims]
    plane, cells = math.prod(x.shape[x.ndim - dims:]), math.prod(where.shape[len(lead):])
    flat = x.reshape(lead + (plane,)).gather(-1, Tensor(where.reshape(lead + (cells,))))
    return flat.reshape(where.shape)


def adaptive_avg_pool1d(input: Any, output_size: Any) -> Tensor:
    """The mean of ``output_size`` windows spread evenly over the length: any input length
    gives the same output length."""
    return _adaptive_avg("adaptive_avg_pool1d", input, output_size, 1)


def adaptive_avg_pool2d(input: Any, output_size: Any) -> Tensor:
    """The mean of an ``output_size`` grid of windows over every channel; ``1`` is global
    average pooling (one number per channel, whatever the image size)."""
    return _adaptive_avg("adaptive_avg_pool2d", input, output_size, 2)


def adaptive_avg_pool3d(input: Any, output_size: Any) -> Tensor:
    """The means of an ``output_size`` grid (depth, height, width) of windows per channel."""
    return _adaptive_avg("adaptive_avg_pool3d", input, output_size, 3)


def adaptive_max_pool1d(input: Any, output_size: Any, return_indices: bool = False) -> Any:
    """The maximum of ``output_size`` windows spread evenly over the length."""
    return _adaptive_max("adaptive_max_pool1d", input, output_size, 1, return_indices)


def adaptive_max_pool2d(input: Any, output_size: Any, return_indices: bool = False) -> Any:
    """The maximum of an ``output_size`` grid of windows over every channel."""
    return _adaptive_max("adaptive_max_pool2d", input, output_size, 2, return_indices)


def adaptive_max_pool3d(input: Any, output_size: Any, return_indices: bool = False) -> Any:
    """The maxima of an ``output_size`` grid (depth, height, width) of windows per channel."""
    return _adaptive_max("adaptive_max_pool3d", input, output_size, 3, return_indices)
