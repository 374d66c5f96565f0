"""Looking at a batch of images: torchvision.utils' ``make_grid`` and ``save_image``.

``make_grid`` lays a batch (B, C, H, W) out as one image: ``nrow`` images per row,
``padding`` pixels of ``pad_value`` around and between them. As torchvision:

* grey images (one channel) are repeated to three, so the grid is an RGB image;
* a single image, (C, H, W) or (H, W), comes back without padding (a grey one as three
  channels);
* a list of images (C, H, W) of the same shape is stacked into a batch first.

The grid of B images of size H x W is (C, rows * (H + padding) + padding,
cols * (W + padding) + padding) with cols = min(nrow, B) and rows = ceil(B / cols);
image k sits in row k // cols and column k % cols, its top-left pixel at
(row * (H + padding) + padding, col * (W + padding) + padding).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import IO, Any

import numpy as np

from tinygrad_dk import Tensor

__all__ = ["make_grid", "save_image"]


def _array(image: Any) -> np.ndarray:
    if isinstance(image, Tensor):
        return image.data
    if isinstance(image, np.ndarray):
        return image
    raise TypeError(f"make_grid takes a Tensor (B, C, H, W) or a list of Tensors (C, H, W), "
                    f"got {type(image).__name__}; wrap images in tg.tensor(...) or stack them")


def _batch(tensor: Any) -> np.ndarray:
    """The input as a batch (B, C, H, W), grey images repeated to three channels."""
    if isinstance(tensor, (list, tuple)):
        images = [_array(t) for t in tensor]
        if not images or len({image.shape for image in images}) != 1:
            shapes = sorted({str(image.shape) for image in images})
            raise ValueError(f"make_grid: a list of images must be non-empty and all of one "
                             f"shape, got shapes {shapes or 'none'}; resize or pad them first")
        batch = np.stack(images)
    else:
        batch = _array(tensor)
    if batch.ndim == 2:  # one image H x W
        batch = batch[None]
    if batch.ndim == 3:  # one image C x H x W
        batch = np.concatenate([batch] * 3) if batch.shape[0] == 1 else batch
        batch = batch[None]
    if batch.ndim != 4:
        raise ValueError(f"make_grid: expected images (B, C, H, W), one image (C, H, W) or "
                         f"(H, W), got shape {batch.shape}")
    if batch.shape[1] == 1:  # grey images
        batch = np.concatenate([batch] * 3, axis=1)
    return batch


def _scaled(batch: np.ndarray, value_range: Sequence[float] | None,
            scale_each: bool) -> np.ndarray:
    """Values clamped to (low, high), then moved to [0, 1]: low -> 0, high -> 1. The range is
    ``value_range`` or else the min and max of the batch (of each image with scale_each)."""
    if not np.issubdtype(batch.dtype, np.floating):
        raise TypeError(f"make_grid(normalize=True) works on float images, got {batch.dtype}; "
                        "convert first, e.g. images.float()")
    if value_range is not None and len(value_range) != 2:
        raise TypeError(f"value_range must be a pair (min, max), got {value_range!r}")
    out = batch.copy()
    for part in (out if scale_each else [out]):  # views: scaled in place
        low, high = value_range if value_range is not None else (float(part.min()),
                                                                 float(part.max()))
        np.clip(part, low, high, out=part)
        # (v - low) / (high - low), computed as (v/2 - low/2) / (high/2 - low/2): the same
        # number (halving is exact), but no overflow when high - low passes the largest float
        part *= 0.5
        part -= low * 0.5
        part /= max(high * 0.5 - low * 0.5, 0.5e-5)  # one colour stays 0, not NaN
    return out


def make_grid(tensor: Tensor | np.ndarray | Sequence[Tensor], nrow: int = 8, padding: int = 2,
              normalize: bool = False, value_range: tuple[float, float] | None = None,
              scale_each: bool = False, pad_value: float = 0.0) -> Tensor:
    """Images side by side in one image (see the module docstring for the layout).

    tensor: a batch (B, C, H, W), a list of images (C, H, W), or one image.
    nrow: images per row. padding: pixels between and around the images, of ``pad_value``.
    normalize: move values to [0, 1] using ``value_range`` (low, high), or the batch's
        min and max; with ``scale_each``, each image's own min and max.

    Returns a new Tensor (C, height, width) of the input's dtype, outside the graph.
    """
    for name, value, least in (("nrow", nrow, 1), ("padding", padding, 0)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"make_grid: {name}={value!r} must be a whole number, e.g. {least + 1}")
        if value < least:
            raise ValueError(f"make_grid: {name}={value!r} must be at least {least}")
    batch = _batch(tensor)
    if len(batch) == 0:
        raise ValueError(f"make_grid: no images: the batch has shape {batch.shape}; pass at "
                         "least one image")
    if normalize:
        batch = _scaled(batch, value_range, scale_each)
    if len(batch) == 1:
        return Tensor(batch[0].copy())
    n, channels, height, width = batch.shape
    cols = min(nrow, n)
    rows = math.ceil(n / cols)
    step_y, step_x = height + padding, width + padding
    grid = np.full((channels, rows * step_y + padding, cols * step_x + padding), pad_value,
                   dtype=batch.dtype)
    for k in range(n):
        top, left = (k // cols) * step_y + padding, (k % cols) * step_x + padding
        grid[:, top:top + height, left:left + width] = batch[k]
    return Tensor(grid)


def save_image(tensor: Tensor | np.ndarray | Sequence[Tensor], fp: str | os.PathLike | IO[bytes],
               format: str | None = None, **grid_kwargs: Any) -> None:  # noqa: A002 - torchvision's name
    """Write images (float, values in [0, 1]) to a PNG file, a batch as ``make_grid`` lays it
    out (``grid_kwargs`` go to make_grid).

    An existing file at ``fp`` is overwritten without asking, as torchvision does.
    Pixels become bytes as in torchvision: ``value * 255 + 0.5``, clamped to 0..255 and cut
    to a whole number. ``format`` ("png", ...) is needed when ``fp`` is an open file rather
    than a file name. Needs matplotlib (``pip install "tinygrad-dk[plot]"``).
    """
    grid = make_grid(tensor, **grid_kwargs).data
    if not np.issubdtype(grid.dtype, np.floating):
        raise TypeError(f"save_image takes float images with values in [0, 1], got {grid.dtype}; "
                        "for uint8 images (0..255) pass images.float() / 255")
    if not np.all(np.isfinite(grid)):
        raise ValueError("save_image: the images contain NaN or infinite values, which have no "
                         "colour; find where they come from (e.g. normalize by a zero std)")
    if grid.shape[0] not in (3, 4):
        raise ValueError(f"save_image: images need 1, 3 (RGB) or 4 (RGBA) channels, got "
                         f"{grid.shape[0]}")
    pixels = np.clip(grid * 255 + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    try:
        import matplotlib.image as mpimg
    except ImportError:
        raise ImportError("save_image needs matplotlib: pip install \"tinygrad-dk[plot]\"; or "
                          "keep the grid as numbers with np.save(path, make_grid(...).numpy())"
                          ) from None
    mpimg.imsave(fp, np.ascontiguousarray(pixels), format=format)
