"""Where pixels go: flips, crops, padding, resizing, rotation and affine warps of image
Tensors (..., C, H, W), as ``torchvision.transforms.functional``.

Flips, crops and padding only move pixels, so they keep the dtype (uint8 stays uint8).
Resizing, rotation and affine warps compute new pixels in float and round back for
integer images. Everything is built from the engine's differentiable operations
(indexing, ``F.pad``, ``F.interpolate``, matrix products, ``F.affine_grid`` +
``F.grid_sample``), so a gradient flows through every transform of a float image.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

import nn.functional as F
import tinygrad_dk as tg
from nn.vision.transforms.images import (
    InterpolationMode,
    as_batch,
    back_to,
    check_image,
    interpolation_mode,
    pair,
    to_float,
)
from tinygrad_dk import Tensor

__all__ = ["hflip", "vflip", "crop", "center_crop", "pad", "resize", "resized_crop",
           "rotate", "affine"]


def hflip(img: Tensor) -> Tensor:
    """The image mirrored left to right (the last axis reversed)."""
    return check_image(img, "hflip").flip(-1)


def vflip(img: Tensor) -> Tensor:
    """The image upside down (axis -2 reversed)."""
    return check_image(img, "vflip").flip(-2)


# --- padding and cropping --------------------------------------------------------------------

PADDING_MODES = ("constant", "edge", "reflect", "symmetric")


def ltrb(padding: Any, name: str) -> list[int]:
    """torchvision's padding forms as (left, top, right, bottom): one int for all sides,
    (left/right, top/bottom) or (left, top, right, bottom)."""
    if isinstance(padding, int) and not isinstance(padding, bool):
        return [padding] * 4
    if isinstance(padding, (list, tuple)) and len(padding) in (1, 2, 4) and all(
            isinstance(p, int) for p in padding):
        if len(padding) == 1:
            return [padding[0]] * 4
        if len(padding) == 2:
            return [padding[0], padding[1], padding[0], padding[1]]
        return list(padding)
    raise ValueError(f"{name}: padding must be an int or a sequence of 1, 2 or 4 ints "
                     f"((left, top, right, bottom)), got {padding!r}")


def padding_args(padding: Any, padding_mode: str, name: str) -> list[int]:
    """``padding`` as (left, top, right, bottom), once it and ``padding_mode`` are checked."""
    if padding_mode not in PADDING_MODES:
        raise ValueError(f"{name}: padding_mode must be one of {PADDING_MODES}, got "
                         f"{padding_mode!r}")
    return ltrb(padding, name)


def _symmetric(x: Tensor, axis: int, before: int, after: int) -> Tensor:
    """Pad one axis by mirroring WITH the edge pixel repeated (torchvision's 'symmetric'; a
    pad wider than the axis keeps mirroring back and forth)."""
    n = x.shape[axis]
    i = np.arange(-before, n + after) % (2 * n)  # one period of the mirrored sequence
    i = np.where(i >= n, 2 * n - 1 - i, i)
    return x[(slice(None),) * (axis % x.ndim) + (i,)]


def pad(img: Tensor, padding: Any, fill: float = 0, padding_mode: str = "constant") -> Tensor:
    """Pad the image's borders. ``padding``: an int (all sides), (left/right, top/bottom)
    or (left, top, right, bottom); negative values crop. ``padding_mode``: 'constant'
    (``fill``), 'edge' (repeat the border pixel), 'reflect' (mirror without repeating it)
    or 'symmetric' (mirror repeating it)."""
    img = check_image(img, "pad")
    left, top, right, bottom = padding_args(padding, padding_mode, "pad")
    if not isinstance(fill, (int, float)):
        raise TypeError(f"pad: fill must be one number for a Tensor image, got {fill!r}")
    h, w = img.shape[-2:]
    if min(left, top, right, bottom) < 0:  # negative padding crops first, as torchvision
        img = img[..., max(-top, 0):h - max(-bottom, 0), max(-left, 0):w - max(-right, 0)]
        left, top, right, bottom = (max(p, 0) for p in (left, top, right, bottom))
    if padding_mode == "constant":
        return F.pad(img, [left, right, top, bottom], value=float(fill))
    x, restore = as_batch(img)
    if padding_mode == "symmetric":
        x = _symmetric(_symmetric(x, -1, left, right), -2, top, bottom)
    else:
        mode = "replicate" if padding_mode == "edge" else "reflect"
        x = F.pad(x, [left, right, top, bottom], mode=mode)
    return restore(x)


def crop(img: Tensor, top: int, left: int, height: int, width: int) -> Tensor:
    """The (height, width) window whose top-left pixel is (top, left); parts of the
    window outside the image are zeros."""
    img = check_image(img, "crop")
    if height < 0 or width < 0:
        raise ValueError(f"crop: height and width must be >= 0, got {height, width}")
    h, w = img.shape[-2:]
    bottom, right = top + height, left + width
    inside = img[..., max(top, 0):max(bottom, 0), max(left, 0):max(right, 0)]
    if top >= 0 and left >= 0 and bottom <= h and right <= w:
        return inside
    # the window leaves the image: pad the part inside with zeros to the asked size
    outside = [max(-left, 0) if right > 0 else 0, max(-top, 0) if bottom > 0 else 0]
    outside += [width - inside.shape[-1] - outside[0], height - inside.shape[-2] - outside[1]]
    return pad(inside, outside, fill=0)


def center_crop(img: Tensor, output_size: Any) -> Tensor:
    """The central (h, w) window (an int gives a square); an image smaller than the window
    is padded with zeros first."""
    img = check_image(img, "center_crop")
    th, tw = (int(s) for s in pair(output_size, "center_crop", "output_size"))
    if th <= 0 or tw <= 0:
        raise ValueError(f"center_crop: output_size must be positive, got {output_size!r}")
    h, w = img.shape[-2:]
    if th > h or tw > w:
        img = pad(img, [max(tw - w, 0) // 2, max(th - h, 0) // 2, max(tw - w + 1, 0) // 2,
                        max(th - h + 1, 0) // 2])
        h, w = img.shape[-2:]
        if (h, w) == (th, tw):
            return img
    return crop(img, int(round((h - th) / 2.0)), int(round((w - tw) / 2.0)), th, tw)


# --- resizing --------------------------------------------------------------------------------


def output_size(h: int, w: int, size: Any, max_size: int | None, name: str) -> tuple[int, int]:
    """torchvision's target size: (h, w) as given, or one number for the SMALLER edge with
    the aspect ratio kept (then the longer edge is capped at ``max_size``)."""
    if isinstance(size, (int, float)) and not isinstance(size, bool):
        size = [size]
    if not isinstance(size, (list, tuple)) or len(size) not in (1, 2):
        raise ValueError(f"{name}: size must be an int (the smaller edge) or (h, w), got "
                         f"{size!r}")
    if any(int(s) <= 0 for s in size):
        raise ValueError(f"{name}: size must be positive, got {size!r}")
    if len(size) == 2:
        if max_size is not None:
            raise ValueError(f"{name}: max_size only goes with one size (the smaller edge)")
        return int(size[0]), int(size[1])
    short, long = (w, h) if w <= h else (h, w)
    if short == 0:
        raise ValueError(f"{name}: the image has no pixels (height {h}, width {w}), so it has "
                         f"no aspect ratio to keep; give the size as (h, w) or skip it")
    new_short, new_long = int(size[0]), int(int(size[0]) * long / short)
    if max_size is not None:
        if max_size <= new_short:
            raise ValueError(f"{name}: max_size={max_size} must be larger than the smaller "
                             f"edge size {new_short}")
        if new_long > max_size:
            new_short, new_long = int(max_size * new_short / new_long), max_size
    return (new_long, new_short) if w <= h else (new_short, new_long)


def _filter(mode: str, t: np.ndarray) -> np.ndarray:
    """The antialias filter at distance ``t``: a triangle (bilinear) or Keys' cubic with
    a = -0.5 (bicubic), the filters PIL and PyTorch's antialias use."""
    t = np.abs(t)
    if mode == "bilinear":
        return np.maximum(1.0 - t, 0.0)
    a = -0.5
    near = ((a + 2) * t - (a + 3)) * t * t + 1
    far = (((t - 5) * t + 8) * t - 4) * a
    return np.where(t < 1, near, np.where(t < 2, far, 0.0))


def antialias_weights(n: int, out: int, mode: str) -> np.ndarray:
    """The (out, n) matrix of an antialiased resize of one axis: every output pixel is a
    normalised, filter-weighted mean of the input pixels under its footprint. When
    shrinking by s, the filter is stretched s times, so every input pixel counts (plain
    bilinear would skip pixels and alias)."""
    scale = n / out
    stretch = max(scale, 1.0)
    support = (1.0 if mode == "bilinear" else 2.0) * stretch
    weights = np.zeros((out, n))
    for i in range(out):
        centre = (i + 0.5) * scale
        lo, hi = max(int(centre - support + 0.5), 0), min(int(centre + support + 0.5), n)
        taps = _filter(mode, (np.arange(lo, hi) - centre + 0.5) / stretch)
        weights[i, lo:hi] = taps / taps.sum()
    return weights


def resize(img: Tensor, size: Any, interpolation: Any = InterpolationMode.BILINEAR,
           max_size: int | None = None, antialias: bool | None = True) -> Tensor:
    """The image resized to ``size``: (h, w), or an int for the smaller edge (aspect ratio
    kept). ``interpolation``: nearest, nearest-exact, bilinear or bicubic.

    ``antialias=True`` (torchvision's default) matters when shrinking: bilinear/bicubic
    then use PIL's stretched filters (``antialias_weights``; the same numbers as
    ``F.interpolate(..., antialias=True)`` in PyTorch), so a thin line does not vanish
    between samples; for bicubic the filter is Keys' cubic with a = -0.5 (PIL's), also
    when enlarging. Nearest modes ignore it, as torchvision. uint8 images are computed in
    float and rounded back (torchvision's uint8 antialias kernel may differ by one level).
    """
    img = check_image(img, "resize")
    mode = interpolation_mode(interpolation, "resize",
                              ("nearest", "nearest-exact", "bilinear", "bicubic"))
    h, w = img.shape[-2:]
    oh, ow = output_size(h, w, size, max_size, "resize")
    if (oh, ow) == (h, w):
        return img
    dtype = img.dtype
    x, restore = as_batch(to_float(img))
    if antialias and mode in ("bilinear", "bicubic"):
        rows = Tensor(antialias_weights(h, oh, mode).astype(x.dtype))
        cols = Tensor(antialias_weights(w, ow, mode).T.astype(x.dtype))
        x = rows @ (x @ cols)  # columns, then rows: the filter is separable
    else:
        align = False if mode in ("bilinear", "bicubic") else None
        x = F.interpolate(x, size=(oh, ow), mode=mode, align_corners=align)
    return back_to(restore(x), dtype, clamp=mode == "bicubic")


def resized_crop(img: Tensor, top: int, left: int, height: int, width: int, size: Any,
                 interpolation: Any = InterpolationMode.BILINEAR,
                 antialias: bool | None = True) -> Tensor:
    """``crop`` then ``resize``: the window (top, left, height, width) scaled to ``size``."""
    return resize(crop(img, top, left, height, width), size, interpolation,
                  antialias=antialias)


# --- rotation and affine warps ---------------------------------------------------------------


def inverse_affine_matrix(center: Sequence[float], angle: float, translate: Sequence[float],
                          scale: float, shear: Sequence[float]) -> list[float]:
    """The 2x3 matrix (row-major, 6 numbers) that takes an OUTPUT pixel back to where it
    comes from in the input, for the forward map  T * C * R * S * Shear * C^-1:
    rotate by ``angle`` degrees (clockwise on screen, y points down), scale, shear by
    ``shear`` = (x, y) degrees about ``center``, then move by ``translate``. Coordinates are
    pixels measured from the image centre. Sampling needs the inverse: every output pixel
    looks up its source."""
    rot, sx, sy = math.radians(angle), math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    # forward rotation-shear (without scale) [[a, b], [c, d]]; its determinant is 1
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    m = [v / scale for v in (d, -b, 0.0, -c, a, 0.0)]  # inverse = adjugate / scale
    m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty) + cx  # undo the move, then the centre
    m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty) + cy
    return m


def _expanded_size(m: list[float], h: int, w: int) -> tuple[int, int]:
    """The (h, w) that holds the whole warped image (rotate's ``expand=True``): the moved
    corners' box, rounded outwards in pixel coordinates from the top-left corner (as PIL
    and torchvision: 45 degrees of a 5x5 image needs 9x9, not 8x8)."""
    corners = np.array([[-0.5 * w, -0.5 * h, 1.0], [-0.5 * w, 0.5 * h, 1.0],
                        [0.5 * w, 0.5 * h, 1.0], [0.5 * w, -0.5 * h, 1.0]], np.float32)
    # in float32, as torchvision: cos(90 degrees) ~ 6e-17 then leaves no noise behind
    moved = corners @ np.array(m, np.float32).reshape(2, 3).T + np.float32([0.5 * w, 0.5 * h])
    tol = np.float32(1e-4)  # ignore float noise before rounding outwards
    high = np.ceil(np.trunc(moved.max(axis=0) / tol) * tol)
    low = np.floor(np.trunc(moved.min(axis=0) / tol) * tol)
    ow, oh = (high - low).astype(int)
    return int(oh), int(ow)


def _fill_values(fill: Any, c: int, name: str) -> list[float] | None:
    if fill is None:
        return None
    values = [float(fill)] * c if isinstance(fill, (int, float)) else [float(f) for f in fill]
    if len(values) == 1:
        values = values * c
    if len(values) != c:
        raise ValueError(f"{name}: fill needs one number or one per channel ({c}), got "
                         f"{fill!r}")
    return values


def warp(img: Tensor, m: list[float], interpolation: Any, fill: Any, name: str,
         size: tuple[int, int] | None = None) -> Tensor:
    """Sample the image at the positions the inverse matrix ``m`` gives for every output
    pixel (``F.affine_grid`` + ``F.grid_sample``). With ``fill``, pixels from outside the
    image get the fill colour: a channel of ones is warped along and says how much of each
    output pixel came from inside (torchvision's method)."""
    img = check_image(img, name)
    mode = interpolation_mode(interpolation, name, ("nearest", "bilinear"))
    dtype = img.dtype
    x, restore = as_batch(to_float(img))
    n, c, h, w = x.shape
    oh, ow = size or (h, w)
    values = _fill_values(fill, c, name)
    if values is not None:
        x = tg.concatenate([x, tg.ones((n, 1, h, w), dtype=x.dtype)], axis=1)
    # pixels from the centre -> grid_sample's [-1, 1] coordinates of input and output
    theta = np.array([[m[0] * ow / w, m[1] * oh / w, 2 * m[2] / w],
                      [m[3] * ow / h, m[4] * oh / h, 2 * m[5] / h]], dtype=x.dtype)
    grid = F.affine_grid(Tensor(np.broadcast_to(theta, (n, 2, 3)).copy()),
                         [n, x.shape[1], oh, ow], align_corners=False)
    x = F.grid_sample(x, grid, mode=mode, padding_mode="zeros", align_corners=False)
    if values is not None:
        x, inside = x[:, :c], x[:, c:]
        colour = Tensor(np.array(values, dtype=x.dtype).reshape(1, c, 1, 1))
        if mode == "nearest":
            x = tg.where(inside < 0.5, colour, x)
        else:
            x = x * inside + (1.0 - inside) * colour
    return back_to(restore(x), dtype)


def _centre_offset(center: Sequence[float] | None, h: int, w: int) -> list[float]:
    """A centre in pixel coordinates (x, y) measured from the image centre instead."""
    return [0.0, 0.0] if center is None else [center[0] - 0.5 * w, center[1] - 0.5 * h]


def rotate(img: Tensor, angle: float, interpolation: Any = InterpolationMode.NEAREST,
           expand: bool = False, center: Sequence[float] | None = None,
           fill: Any = None) -> Tensor:
    """The image turned ``angle`` degrees COUNTER-clockwise about ``center`` ((x, y) in
    pixels; default the image centre). ``expand=True`` grows the output to hold the whole
    turned image. Corners from outside are 0, or ``fill``."""
    img = check_image(img, "rotate")
    h, w = img.shape[-2:]
    m = inverse_affine_matrix(_centre_offset(center, h, w), -float(angle), [0.0, 0.0], 1.0,
                              [0.0, 0.0])
    size = _expanded_size(m, h, w) if expand else None
    return warp(img, m, interpolation, fill, "rotate", size)


def affine(img: Tensor, angle: float, translate: Sequence[float], scale: float,
           shear: Any, interpolation: Any = InterpolationMode.NEAREST, fill: Any = None,
           center: Sequence[float] | None = None) -> Tensor:
    """The image rotated by ``angle`` degrees CLOCKWISE, scaled by ``scale``, sheared by
    ``shear`` degrees (one number: along x; (x, y): both) about ``center``, then moved by
    ``translate`` = (dx, dy) pixels; the size stays."""
    img = check_image(img, "affine")
    if not isinstance(translate, (list, tuple)) or len(translate) != 2:
        raise ValueError(f"affine: translate must be (dx, dy), got {translate!r}")
    if scale <= 0:
        raise ValueError(f"affine: scale must be positive, got {scale}")
    if isinstance(shear, (int, float)):
        shear = [float(shear), 0.0]
    if not isinstance(shear, (list, tuple)) or len(shear) not in (1, 2):
        raise ValueError(f"affine: shear must be a number (along x) or (x, y) degrees, got "
                         f"{shear!r}")
    shear = list(shear) if len(shear) == 2 else [shear[0], shear[0]]
    h, w = img.shape[-2:]
    m = inverse_affine_matrix(_centre_offset(center, h, w), float(angle),
                              [float(t) for t in translate], float(scale), shear)
    return warp(img, m, interpolation, fill, "affine")

