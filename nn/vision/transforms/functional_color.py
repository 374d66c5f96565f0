"""What pixels look like: brightness, contrast, saturation, hue, grayscale and Gaussian
blur of image Tensors (..., C, H, W), as ``torchvision.transforms.functional``.

The first three are one idea, ``blend``: a mix of the image with a reference image
(black for brightness, the mean grey for contrast, the grayscale image for saturation),
clamped to the image's range. Hue turns the colour wheel, through an RGB <-> HSV
conversion written with whole-tensor operations (no loop over pixels).
"""

from __future__ import annotations

from typing import Any

import numpy as np

import nn.functional as F
import tinygrad_dk as tg
from nn.vision.transforms.images import (
    as_batch,
    back_to,
    channels,
    check_channels,
    check_image,
    is_float,
    max_value,
    pair,
    to_float,
)
from tinygrad_dk import Tensor

__all__ = ["adjust_brightness", "adjust_contrast", "adjust_saturation", "adjust_hue",
           "rgb_to_grayscale", "gaussian_blur"]

# ITU-R 601-2 luma, with torchvision's (and TensorFlow's) 0.2989 for red
LUMA = (0.2989, 0.587, 0.114)


def blend(img: Tensor, other: Any, ratio: float) -> Tensor:
    """``ratio * img + (1 - ratio) * other``, clamped to [0, full brightness] and in the
    image's dtype (integer images are truncated, as torchvision's ``_blend``)."""
    out = (float(ratio) * to_float(img) + (1.0 - float(ratio)) * other)
    out = out.clamp(0.0, max_value(img.dtype))
    return out if is_float(img) else out.to(img.dtype)


def _factor(value: Any, name: str) -> float:
    if not isinstance(value, (int, float)) or value < 0:
        raise ValueError(f"{name}: the factor must be a non-negative number (1 keeps the "
                         f"image), got {value!r}")
    return float(value)


def adjust_brightness(img: Tensor, brightness_factor: float) -> Tensor:
    """Brighter (factor > 1) or darker (< 1): the image times the factor, clamped."""
    img = check_image(img, "adjust_brightness")
    check_channels(img, (1, 3), "adjust_brightness")
    return blend(img, 0.0, _factor(brightness_factor, "adjust_brightness"))


def adjust_contrast(img: Tensor, contrast_factor: float) -> Tensor:
    """More (> 1) or less (< 1) contrast: a mix with the image's mean grey level (0 gives a
    flat grey image)."""
    img = check_image(img, "adjust_contrast")
    factor = _factor(contrast_factor, "adjust_contrast")
    grey = rgb_to_grayscale(img) if check_channels(img, (1, 3), "adjust_contrast") == 3 else img
    mean = to_float(grey).mean(dim=(-3, -2, -1), keepdim=True)
    return blend(img, mean, factor)


def adjust_saturation(img: Tensor, saturation_factor: float) -> Tensor:
    """More (> 1) or less (< 1) colourful: a mix with the grayscale image (0 gives it)."""
    img = check_image(img, "adjust_saturation")
    factor = _factor(saturation_factor, "adjust_saturation")
    if check_channels(img, (1, 3), "adjust_saturation") == 1:
        return img
    return blend(img, to_float(rgb_to_grayscale(img)), factor)


def rgb_to_grayscale(img: Tensor, num_output_channels: int = 1) -> Tensor:
    """The luma 0.2989 R + 0.587 G + 0.114 B of an RGB image (integer images truncated),
    as 1 channel or copied to 3."""
    img = check_image(img, "rgb_to_grayscale")
    if num_output_channels not in (1, 3):
        raise ValueError(f"rgb_to_grayscale: num_output_channels must be 1 or 3, got "
                         f"{num_output_channels!r}")
    if check_channels(img, (1, 3), "rgb_to_grayscale") == 3:
        x = to_float(img)
        grey = LUMA[0] * x[..., 0:1, :, :] + LUMA[1] * x[..., 1:2, :, :] \
            + LUMA[2] * x[..., 2:3, :, :]
        grey = grey if is_float(img) else grey.to(img.dtype)
    else:
        grey = img if img.ndim > 2 else img.unsqueeze(0)
    if num_output_channels == 3:
        return tg.concatenate([grey] * 3, axis=-3)
    return grey


# --- hue: RGB <-> HSV -------------------------------------------------------------------------


def rgb_to_hsv(img: Tensor) -> Tensor:
    """Hue (in turns, [0, 1)), saturation and value of a float RGB image in [0, 1]."""
    r, g, b = img[..., 0, :, :], img[..., 1, :, :], img[..., 2, :, :]
    high = tg.maximum(tg.maximum(r, g), b)
    low = tg.minimum(tg.minimum(r, g), b)
    spread = high - low
    grey = np.asarray(spread.detach().numpy() == 0)  # no hue: avoid dividing by 0
    s = spread / tg.where(grey, 1.0, high)
    d = tg.where(grey, 1.0, spread)
    # which sixth of the wheel: the largest channel decides (red wins ties, then green)
    is_r = np.asarray(high.detach().numpy() == r.detach().numpy())
    is_g = ~is_r & np.asarray(high.detach().numpy() == g.detach().numpy())
    h = tg.where(is_r, (g - b) / d, tg.where(is_g, 2.0 + (b - r) / d, 4.0 + (r - g) / d))
    h = tg.where(grey, 0.0, h) / 6.0
    h = h - h.floor()  # into [0, 1)
    return tg.stack([h, s, high], dim=-3)


def hsv_to_rgb(img: Tensor) -> Tensor:
    """The RGB image of hue (turns), saturation and value."""
    h, s, v = img[..., 0, :, :], img[..., 1, :, :], img[..., 2, :, :]
    six = h * 6.0
    sector = np.floor(six.detach().numpy()).astype(np.int64) % 6  # which sixth of the wheel
    f = six - six.floor()
    p = (v * (1.0 - s)).clamp(0.0, 1.0)
    q = (v * (1.0 - s * f)).clamp(0.0, 1.0)
    t = (v * (1.0 - s * (1.0 - f))).clamp(0.0, 1.0)
    # (r, g, b) for each sector 0..5, picked per pixel
    table = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]
    out = []
    for k in range(3):
        channel = table[5][k]
        for i in range(4, -1, -1):
            channel = tg.where(sector == i, table[i][k], channel)
        out.append(channel)
    return tg.stack(out, dim=-3)


def adjust_hue(img: Tensor, hue_factor: float) -> Tensor:
    """The colours turned ``hue_factor`` turns round the colour wheel (in [-0.5, 0.5]; 1/3
    takes red to green). Saturation and value stay. One-channel images are returned as
    they are."""
    img = check_image(img, "adjust_hue")
    if not isinstance(hue_factor, (int, float)) or not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"adjust_hue: hue_factor must lie in [-0.5, 0.5], got {hue_factor!r}")
    if check_channels(img, (1, 3), "adjust_hue") == 1:
        return img
    x = to_float(img) / max_value(img.dtype)
    hsv = rgb_to_hsv(x)
    h = hsv[..., 0:1, :, :] + float(hue_factor)
    h = h - h.floor()
    rgb = hsv_to_rgb(tg.concatenate([h, hsv[..., 1:, :, :]], axis=-3))
    if is_float(img):
        return rgb.to(img.dtype)
    # torchvision's float -> integer conversion: times (max + 1 - 0.001), truncated
    return (rgb * (max_value(img.dtype) + 1.0 - 1e-3)).to(img.dtype)


# --- Gaussian blur ----------------------------------------------------------------------------


def gaussian_kernel1d(size: int, sigma: float) -> np.ndarray:
    """``size`` samples of a Gaussian of standard deviation ``sigma`` (pixels), summing to 1."""
    x = np.linspace(-(size - 1) / 2, (size - 1) / 2, size)
    pdf = np.exp(-0.5 * (x / sigma) ** 2)
    return pdf / pdf.sum()


def gaussian_blur(img: Tensor, kernel_size: Any, sigma: Any = None) -> Tensor:
    """The image blurred by a Gaussian ``kernel_size`` (odd; (kx, ky) or one int) pixels
    wide; ``sigma`` (one or (sx, sy)) defaults to 0.3 * ((k - 1) * 0.5 - 1) + 0.8, as
    torchvision. Borders are mirrored ('reflect') so edges do not darken."""
    img = check_image(img, "gaussian_blur")
    kx, ky = pair(kernel_size, "gaussian_blur", "kernel_size")
    if any(not isinstance(k, int) or k <= 0 or k % 2 == 0 for k in (kx, ky)):
        raise ValueError(f"gaussian_blur: kernel_size must be odd positive ints, got "
                         f"{kernel_size!r}")
    if sigma is None:
        sx, sy = (k * 0.15 + 0.35 for k in (kx, ky))
    else:
        sx, sy = (float(s) for s in pair(sigma, "gaussian_blur", "sigma"))
    if sx <= 0 or sy <= 0:
        raise ValueError(f"gaussian_blur: sigma must be positive, got {sigma!r}")
    dtype = img.dtype
    x, restore = as_batch(to_float(img))
    c = channels(img)
    kernel = np.outer(gaussian_kernel1d(ky, sy), gaussian_kernel1d(kx, sx))
    weight = Tensor(np.broadcast_to(kernel, (c, 1, ky, kx)).astype(x.dtype))
    x = F.pad(x, [kx // 2, kx // 2, ky // 2, ky // 2], mode="reflect")
    return back_to(restore(F.conv2d(x, weight, groups=c)), dtype)
