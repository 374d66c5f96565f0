"""Spatial transforms, as ``torch.nn.functional``: ``affine_grid`` and ``grid_sample``,
re-exported by ``nn.functional``.

Together they rotate, shift, scale and shear images (data augmentation) and let a
network learn where to look (a spatial transformer): ``affine_grid(theta, size)`` says,
for every output pixel, which point of the input to read, in coordinates from -1 (the
left/top edge) to +1 (the right/bottom edge); ``grid_sample(input, grid)`` reads the
input there, mixing the neighbouring pixels.

Neither needs a derivative of its own. ``affine_grid`` is a matrix product of a fixed
grid of pixel positions with ``theta``. ``grid_sample`` gathers, for every output
pixel, a few input pixels (*taps*: 1 for nearest, 2 per axis for bilinear, 4 per axis
for bicubic) and adds them up times weights that are polynomials of the sampled point's
coordinates. The tap positions are whole numbers (constants: no gradient), the weights
are Tensors computed from the grid, so the engine differentiates the result with
respect to the input (through the gather) *and* the grid (through the weights), to any
order.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

import tinygrad_dk as tg
from nn.functional_layers import to_tensor
from nn.functional_resize import cubic_weights
from tinygrad_dk import Tensor

__all__ = ["affine_grid", "grid_sample"]

GRID_MODES = ("bilinear", "nearest", "bicubic")
PADDING_MODES = ("zeros", "border", "reflection")


# --- affine_grid ----------------------------------------------------------------------------


def _positions(n: int, align_corners: bool, dtype: Any) -> np.ndarray:
    """The normalised coordinates (-1 .. 1) of the ``n`` pixels of an axis: the corner
    pixels' centres at -1 and 1 (align_corners), or the edges of the image there.

    Computed as PyTorch does, to the last bit (its linspace counts the second half back
    from +1): a point that lands exactly on a pixel is a kink of bilinear sampling, so
    one ulp more or less would change the gradient there.
    """
    if n <= 1:
        return np.zeros(max(n, 0), dtype)
    step = dtype.type(2.0) / dtype.type(n - 1)
    i = np.arange(n)
    steps = np.where(i < n // 2, -1 + step * i, 1 - step * (n - 1 - i)).astype(dtype)
    return steps if align_corners else (steps * dtype.type(n - 1) / dtype.type(n))


def affine_grid(theta: Any, size: Sequence[int], align_corners: bool | None = None) -> Tensor:
    """The sampling grid of the affine maps ``theta`` for outputs of ``size``, as PyTorch.

    ``size`` is (N, C, H, W) with ``theta`` of shape (N, 2, 3), or (N, C, D, H, W) with
    ``theta`` (N, 3, 4). The result, (N, H, W, 2) or (N, D, H, W, 3), holds for every
    output pixel the point ``theta @ (x, y, 1)`` (x first, then y, z) that
    ``grid_sample`` reads. The identity ``[[1, 0, 0], [0, 1, 0]]`` reads every pixel
    where it is. ``align_corners`` (default False) as in ``grid_sample``.
    """
    theta = to_tensor(theta)
    size = tuple(int(s) for s in size)
    if len(size) not in (4, 5):
        raise ValueError(f"affine_grid: size must be (N, C, H, W) or (N, C, D, H, W), got "
                         f"{size}")
    if min(size) <= 0:
        raise ValueError(f"affine_grid: every entry of size must be positive, got {size}")
    if theta.dtype.kind != "f":
        raise TypeError(f"affine_grid: theta must hold floating-point numbers, got "
                        f"{theta.dtype}; use theta.float()")
    k = len(size) - 2  # spatial axes: 2 for images, 3 for volumes
    if theta.shape != (size[0], k, k + 1):
        raise ValueError(f"affine_grid: for size {size} theta must be a batch of {k}-D affine "
                         f"matrices of shape ({size[0]}, {k}, {k + 1}), got shape "
                         f"{theta.shape}")
    spatial = size[2:]
    axes = np.meshgrid(*(_positions(n, bool(align_corners), theta.dtype) for n in spatial),
                       indexing="ij")
    # one row (x, y[, z], 1) per output pixel: x runs along the last axis (the width)
    base = np.stack([*reversed(axes), np.ones(spatial, theta.dtype)], axis=-1)
    base = base.reshape(1, -1, 1, k + 1)  # (1, pixels, 1, k + 1)
    # theta @ (x, y, 1) for every pixel, the terms added in PyTorch's order (bit-exact)
    rows = theta.reshape(size[0], 1, k, k + 1)
    grid = base[..., 0] * rows[..., 0]
    for i in range(1, k + 1):
        grid = grid + base[..., i] * rows[..., i]
    return grid.reshape((size[0], *spatial, k))


# --- grid_sample: where the taps are and what they weigh ------------------------------------


def _unnormalize(g: Tensor, n: int, align_corners: bool) -> Tensor:
    """Grid coordinates (-1 .. 1) as pixel positions (0 .. n - 1) of an axis of length n."""
    if align_corners:
        return (g + 1.0) * ((n - 1) / 2)
    return (g + 1.0) * (n / 2) - 0.5


def _fold(c: np.ndarray, n: int, padding_mode: str,
          align_corners: bool) -> tuple[np.ndarray, np.ndarray]:
    """Bring the pixel positions ``c`` into the image as ``padding_mode`` says; returns
    the new positions and their slope d(new)/d(c) (1, -1 where reflected, 0 where
    clipped). 'zeros' keeps ``c`` (its taps outside read 0)."""
    slope = np.ones_like(c)
    if padding_mode == "zeros":
        return c, slope
    if padding_mode == "reflection":  # mirror at the edges, again and again
        low, span = (0.0, n - 1.0) if align_corners else (-0.5, float(n))
        if span == 0:
            return np.zeros_like(c), np.zeros_like(c)
        d = c - low
        flips = np.floor(np.abs(d) / span)
        extra = np.abs(d) - flips * span
        odd = flips % 2 == 1
        c = np.where(odd, span - extra, extra) + low
        slope = np.where(d < 0, -1.0, 1.0) * np.where(odd, -1.0, 1.0)
    # clip into 0 .. n - 1; as PyTorch, a point on the edge itself counts as clipped
    inside = (c > 0) & (c < n - 1)
    return np.clip(c, 0, n - 1), np.where(inside, slope, 0.0)


def _folded(c: Tensor, n: int, padding_mode: str, align_corners: bool) -> Tensor:
    """``_fold`` on a Tensor: the folded value, with the slope as its derivative."""
    if padding_mode == "zeros":
        return c
    now = np.asarray(c.data)
    value, slope = _fold(now, n, padding_mode, align_corners)
    # c - now is exactly 0, so the value is unchanged; its derivative is the slope
    return value.astype(c.dtype) + slope.astype(c.dtype) * (c - now)


Tap = tuple[np.ndarray, np.ndarray, "Tensor | None"]  # position, inside the image, weight


def _taps(c: Tensor, n: int, mode: str, padding_mode: str, align_corners: bool) -> list[Tap]:
    """The taps along one axis for the pixel positions ``c``."""
    dtype = c.dtype
    now = np.asarray(c.data)
    # inf (or nan): a point infinitely far outside, moved to a fixed point outside (no
    # gradient), so it reads 0 or the edge; PyTorch gives nan there
    if not np.isfinite(now).all():
        far = np.where(now > 0, n + 10.0, -10.0).astype(dtype)
        c = tg.where(np.isfinite(now), c, far)
    if mode == "bicubic":  # the point itself is not folded, each of its taps is
        base = np.floor(np.asarray(c.data))
        weights = cubic_weights(c - base.astype(dtype))
        positions = [_fold(base + (i - 1), n, padding_mode, align_corners)[0]
                     for i in range(4)]
        return [(p, _inside(p, n), w) for p, w in zip(positions, weights)]
    c = _folded(c, n, padding_mode, align_corners)
    now = np.asarray(c.data)
    if mode == "nearest":  # round half to even, as PyTorch (nearbyint)
        p = np.rint(now)
        return [(p, _inside(p, n), None)]
    lo = np.floor(now)
    w_hi = c - lo.astype(dtype)
    return [(lo, _inside(lo, n), 1.0 - w_hi), (lo + 1, _inside(lo + 1, n), w_hi)]


def _inside(p: np.ndarray, n: int) -> np.ndarray:
    return (p >= 0) & (p <= n - 1)


# --- grid_sample ------------------------------------------------------------------------------


def _check(x: Tensor, grid: Tensor, mode: str, padding_mode: str) -> None:
    if mode not in GRID_MODES:
        raise ValueError(f"grid_sample: mode must be one of {GRID_MODES}, got {mode!r}")
    if padding_mode not in PADDING_MODES:
        raise ValueError(f"grid_sample: padding_mode must be one of {PADDING_MODES}, got "
                         f"{padding_mode!r}")
    if x.ndim not in (4, 5) or grid.ndim != x.ndim:
        raise ValueError(f"grid_sample: expected input (N, C, H, W) with grid (N, H_out, "
                         f"W_out, 2), or input (N, C, D, H, W) with grid (N, D_out, H_out, "
                         f"W_out, 3); got input of shape {x.shape} and grid of shape "
                         f"{grid.shape}")
    k = x.ndim - 2
    if grid.shape[0] != x.shape[0] or grid.shape[-1] != k:
        raise ValueError(f"grid_sample: the grid must have the input's batch size "
                         f"{x.shape[0]} and {k} coordinates (x, y{', z' if k == 3 else ''}) "
                         f"per point: shape ({x.shape[0]}, ..., {k}); got {grid.shape}")
    if mode == "bicubic" and k != 2:
        raise ValueError("grid_sample: mode 'bicubic' needs a 4-D input (N, C, H, W); use "
                         "'bilinear' (trilinear) or 'nearest' for volumes")
    if min(x.shape[2:]) == 0:
        raise ValueError(f"grid_sample: the input's spatial sizes {x.shape[2:]} must not be "
                         "empty")
    if x.dtype.kind != "f" or grid.dtype != x.dtype:
        raise TypeError(f"grid_sample: input and grid must be floating-point tensors of one "
                        f"dtype, got {x.dtype} and {grid.dtype}; convert with .to(dtype)")


def grid_sample(input: Any, grid: Any, mode: str = "bilinear", padding_mode: str = "zeros",
                align_corners: bool | None = None) -> Tensor:
    """Read ``input`` (N, C, H, W) at the points of ``grid`` (N, H_out, W_out, 2), as
    PyTorch; the result is (N, C, H_out, W_out). Volumes: input (N, C, D, H, W), grid
    (N, D_out, H_out, W_out, 3).

    ``grid[n, i, j] = (x, y)`` in normalised coordinates: -1 is the left (top) edge of
    the image, +1 the right (bottom) one; ``align_corners=True`` puts -1 and +1 on the
    centres of the corner pixels instead (default False, PyTorch's default).
    ``mode``: ``"bilinear"`` (the 2 x 2 nearest pixels, weighted by closeness;
    trilinear for volumes), ``"nearest"`` or ``"bicubic"`` (4 x 4 pixels, sharper).
    ``padding_mode`` says what lies outside the image: ``"zeros"``, ``"border"`` (the
    edge pixels repeated) or ``"reflection"`` (the image mirrored at its edges).
    Differentiable with respect to the input and the grid (nearest: the grid's
    gradient is zero, as in PyTorch).
    """
    x, grid = to_tensor(input), to_tensor(grid)
    _check(x, grid, mode, padding_mode)
    align = bool(align_corners)
    n, channels, spatial = x.shape[0], x.shape[1], x.shape[2:]
    k = len(spatial)
    out = grid.shape[1:-1]
    # per spatial axis (depth, height, width), the taps; grid[..., 0] is x (the width)
    taps = [_taps(_unnormalize(grid[..., k - 1 - a], size, align), size, mode,
                  padding_mode, align) for a, size in enumerate(spatial)]
    # the input as (N, pixels + 1, C): the extra last pixel is 0, read by taps outside
    pixels = int(np.prod(spatial))
    flat = x.reshape(n, channels, pixels).permute(0, 2, 1)
    flat = tg.concatenate([flat, tg.zeros((n, 1, channels), dtype=x.dtype)], axis=1)
    strides = [int(np.prod(spatial[a + 1:])) for a in range(k)]
    batch = np.arange(n).reshape((n,) + (1,) * len(out))
    result = None
    for combo in itertools.product(*taps):  # every neighbour: nw, ne, sw, se for bilinear
        inside = np.logical_and.reduce([t[1] for t in combo])
        index = sum(np.where(inside, t[0], 0).astype(np.int64) * s
                    for t, s in zip(combo, strides))
        value = flat[batch, np.where(inside, index, pixels)]  # (N, *out, C)
        weights = [t[2] for t in combo if t[2] is not None]
        if weights:
            weight = weights[0]
            for w in weights[1:]:
                weight = weight * w
            # a tap outside (or a point at inf) takes no part at all: not even its
            # gradient, which would be 0 * inf = nan for an infinite upstream gradient
            value = tg.where(inside[..., None], value * weight[..., None], 0.0)
        result = value if result is None else result + value
    if mode == "nearest" and grid.requires_grad:
        # the rounded position does not move with the grid: its gradient is zero (as in
        # PyTorch), not missing; a 0-weight link gives grid.grad zeros (no 0 * inf = nan)
        result = result + tg.where(np.zeros((), bool), grid.sum(), 0.0)
    return result.permute(0, k + 1, *range(1, k + 1))
