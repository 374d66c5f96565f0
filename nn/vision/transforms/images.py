"""What every image transform needs: checking that an input is an image, and moving
between its own dtype and the float arithmetic that resizing, rotation and colour
adjustments do (torchvision's rules: integer images are computed in float32, then
rounded back; the scale of a dtype is 1.0 for floats and its largest value for integers).

An image is a Tensor of shape (..., C, H, W): one image (C, H, W), a batch (N, C, H, W),
or a plain (H, W) array of one channel.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any

import numpy as np

import tinygrad_dk as tg
from tinygrad_dk import Tensor


class InterpolationMode(str, Enum):
    """torchvision's names of the resampling filters (the value is ``F.interpolate``'s mode)."""

    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"

    def __repr__(self) -> str:  # as torchvision prints it inside a transform: bilinear
        return self.value


def interpolation_mode(mode: Any, name: str, allowed: tuple[str, ...]) -> str:
    """``mode`` (an InterpolationMode or its string) as a string that ``allowed`` holds."""
    value = mode.value if isinstance(mode, InterpolationMode) else mode
    if value not in allowed:
        raise ValueError(f"{name}: interpolation must be one of {allowed} (or "
                         f"InterpolationMode.{'/'.join(a.upper() for a in allowed)}), "
                         f"got {mode!r}")
    return value


def check_image(img: Any, name: str) -> Tensor:
    """``img`` if it is an image Tensor with at least 2 axes; otherwise a clear error."""
    if isinstance(img, np.ndarray) or hasattr(img, "__array_interface__"):
        raise TypeError(f"{name}: expected an image Tensor of shape (..., C, H, W), got "
                        f"{type(img).__name__}; convert it first with transforms.ToTensor() "
                        "(or v2.ToImage())")
    if not isinstance(img, Tensor):
        raise TypeError(f"{name}: expected an image Tensor of shape (..., C, H, W), got "
                        f"{type(img).__name__}")
    if img.ndim < 2:
        raise ValueError(f"{name}: expected an image Tensor of shape (..., C, H, W) or "
                         f"(H, W), got shape {tuple(img.shape)}")
    return img


def channels(img: Tensor) -> int:
    """The number of colour channels: 1 for an (H, W) image, else the size of axis -3."""
    return 1 if img.ndim == 2 else img.shape[-3]


def check_channels(img: Tensor, allowed: tuple[int, ...], name: str) -> int:
    """The channel count, if ``allowed`` holds it; otherwise an error that says why."""
    c = channels(img)
    if c not in allowed:
        raise ValueError(f"{name}: expected an image with {' or '.join(map(str, allowed))} "
                         f"channels on axis -3 (RGB images have 3), got shape "
                         f"{tuple(img.shape)}; for a batch of images use (N, C, H, W)")
    return c


def is_float(img: Tensor) -> bool:
    return bool(np.issubdtype(img.dtype, np.floating))


def max_value(dtype: Any) -> float:
    """The value of full brightness: 1.0 for float images, the largest integer otherwise."""
    dtype = np.dtype(dtype)
    if np.issubdtype(dtype, np.floating):
        return 1.0
    if dtype == np.bool_:
        return 1.0
    return float(np.iinfo(dtype).max)


def to_float(img: Tensor) -> Tensor:
    """A float image to compute with: float images as they are, others as float32."""
    return img if is_float(img) else img.to(tg.float32)


def back_to(out: Tensor, dtype: Any, clamp: bool = False) -> Tensor:
    """A float result back in the input's dtype: integers are rounded (and clamped to the
    dtype's range when ``clamp``, for filters that can overshoot), as torchvision."""
    if np.issubdtype(np.dtype(dtype), np.floating):
        return out if out.dtype == dtype else out.to(dtype)
    out = out.round()
    if clamp:
        info = np.iinfo(np.dtype(dtype))
        out = out.clamp(float(info.min), float(info.max))
    return out.to(dtype)


def as_batch(img: Tensor) -> tuple[Tensor, Callable[[Tensor], Tensor]]:
    """``img`` as a 4-axis batch (N, C, H, W) and the function that gives a result of the
    same kind back its original leading axes (so (C, H, W), (H, W) and (A, B, C, H, W)
    inputs all work with the 4-axis ``F.interpolate``/``F.grid_sample``/``F.conv2d``)."""
    lead = img.shape[:-3] if img.ndim >= 3 else ()
    c = channels(img)
    batch = img.reshape(-1, c, img.shape[-2], img.shape[-1])

    def restore(out: Tensor) -> Tensor:
        if img.ndim == 2:
            return out.reshape(out.shape[-2], out.shape[-1])
        return out.reshape(*lead, out.shape[-3], out.shape[-2], out.shape[-1])

    return batch, restore


def check_probability(p: Any, name: str) -> float:
    """``p`` as a float, if it is a probability."""
    if not isinstance(p, (int, float)) or not 0.0 <= float(p) <= 1.0:
        raise ValueError(f"{name}: p is a probability and must lie in [0, 1], got {p!r}")
    return float(p)


def pair(value: Any, name: str, what: str) -> tuple:
    """An int or a 1- or 2-sequence as (first, second): sizes (h, w), kernel sizes, ..."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (value, value)
    if isinstance(value, (list, tuple)) and len(value) in (1, 2):
        return (value[0], value[-1])
    raise ValueError(f"{name}: {what} must be a number or a sequence of 1 or 2 numbers, "
                     f"got {value!r}")


def uniform(low: float, high: float) -> float:
    """One number drawn uniformly from [low, high) with the engine's generator (as
    torchvision's ``torch.empty(1).uniform_(low, high)``; tg.manual_seed makes it repeat)."""
    return float(tg.empty(1).uniform_(float(low), float(high)).item())


def randint(low: int, high: int) -> int:
    """One integer from [low, high) with the engine's generator."""
    return int(tg.randint(low, high, (1,)).item())


def coin(p: float) -> bool:
    """True with probability ``p`` (``torch.rand(1) < p``, as torchvision draws it)."""
    return bool(tg.rand(1).item() < p)
