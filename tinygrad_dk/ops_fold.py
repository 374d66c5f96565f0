"""Unfold and fold ("im2col" and "col2im"): every window of an image as one column, and back.

``unfold(x, kernel_size)`` cuts an image (N, C, H, W) into all the windows a filter of
``kernel_size`` visits and lays each window out as one column of ``C * kh * kw`` numbers:
the result is (N, C * kh * kw, L), L the number of windows. A convolution is then one
matrix product, ``weight.reshape(out, -1) @ unfold(x)``, and a vision transformer's
patch embedding is the same with windows side by side (stride = kernel).

``fold(cols, output_size, kernel_size)`` does the opposite movement: it puts every
column back where its window came from, and where windows overlap the numbers are
added. So fold is the *adjoint* of unfold (not its inverse): ``fold(unfold(x))`` is
``x`` times the number of windows each pixel is in.

Both are the data movements of ``ops_conv`` (``windows`` and ``fold``), nothing new:
unfold copies the strided window view into columns, fold adds the columns back, one
strided add per filter tap. Each is linear and the other's derivative, so second
derivatives come for free.

A column's rows are ordered channel first, then the filter taps row by row
(``c * kh * kw + p * kw + q``); the windows go row by row over the output grid, as in
PyTorch.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tinygrad_dk.ops_conv import Pads, as_tuple, out_size, pad, taps, windows
from tinygrad_dk.ops_conv import fold as fold_windows
from tinygrad_dk.primitive import Primitive, quiet, raw


def _unfold_forward(x: np.ndarray, *, kernel: tuple, stride: tuple, padding: Pads,
                    dilation: tuple) -> np.ndarray:
    cols = windows(pad(x, padding), kernel, stride, dilation)  # (N, C, *out, *kernel), a view
    d = len(kernel)
    # the taps next to the channel, the positions last: (N, C, *kernel, *out), then flat
    cols = np.moveaxis(cols, tuple(range(2 + d, 2 + 2 * d)), tuple(range(2, 2 + d)))
    # the sizes spelled out, as -1 cannot be inferred for an empty batch
    return cols.reshape(len(x), x.shape[1] * math.prod(kernel), math.prod(cols.shape[2 + d:]))


def _fold_forward(cols: np.ndarray, *, size: tuple, kernel: tuple, stride: tuple,
                  padding: Pads, dilation: tuple) -> np.ndarray:
    outs = _grid(size, kernel, stride, padding, dilation)
    n, rows = cols.shape[:2]
    blocks = cols.reshape(n, rows // math.prod(kernel), *kernel, *outs)
    pieces = [blocks[(slice(None), slice(None), *tap)] for tap in taps(kernel)]
    return np.ascontiguousarray(fold_windows(pieces, kernel, size, stride, padding, dilation))


def _grid(size: tuple, kernel: tuple, stride: tuple, padding: Pads,
          dilation: tuple) -> list[int]:
    """How many windows fit along each axis."""
    return [out_size(n, k, s, p, dl) for n, k, s, p, dl in zip(size, kernel, stride, padding,
                                                                dilation)]


# unfold and fold are linear and one another's adjoints: each is the other's vjp
_unfold = Primitive("unfold", quiet(_unfold_forward),
                    lambda g, out, x, **p: _fold(g, size=tuple(np.shape(raw(x))[2:]), **p))
_fold = Primitive("fold", quiet(_fold_forward),
                  lambda g, out, cols, *, size, **p: _unfold(g, **p))


def _options(op: str, kernel_size: Any, dilation: Any, padding: Any, stride: Any) -> dict:
    """PyTorch's arguments (an int or a pair each) as the primitives take them."""
    kernel = as_tuple(kernel_size, 2, "kernel_size", op)
    pads = as_tuple(padding, 2, "padding", op, minimum=0)
    return dict(kernel=kernel, stride=as_tuple(stride, 2, "stride", op),
                padding=tuple((p, p) for p in pads),
                dilation=as_tuple(dilation, 2, "dilation", op))


def unfold(input: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
           stride: Any = 1) -> Any:
    """Every window of an image as a column, as ``torch.nn.functional.unfold``.

    ``input`` (N, C, H, W) or one image (C, H, W); returns (N, C * kh * kw, L) (or
    (C * kh * kw, L)), L = the number of windows, row by row. Padding adds zeros.
    """
    op = "unfold"
    p = _options(op, kernel_size, dilation, padding, stride)
    shape = tuple(np.shape(raw(input)))
    if len(shape) not in (3, 4):
        raise ValueError(f"{op}: expected an image batch (N, C, H, W) or one image (C, H, W), "
                         f"got shape {shape}; unfold takes exactly 2 spatial axes (as PyTorch)")
    batched = len(shape) == 4
    x = input if batched else input[None]
    if min(_grid(shape[-2:], p["kernel"], p["stride"], p["padding"], p["dilation"])) < 1:
        raise ValueError(f"{op}: the image of size {shape[-2:]} (padding {padding!r}) is "
                         f"smaller than the window {p['kernel']} (dilation {p['dilation']}); "
                         "pad the image or use a smaller kernel_size")
    out = _unfold(x, **p)
    return out if batched else out[0]


def fold(input: Any, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
         stride: Any = 1) -> Any:
    """Put columns back into an image, adding where windows overlap, as
    ``torch.nn.functional.fold`` (the adjoint of ``unfold``).

    ``input`` (N, C * kh * kw, L) or (C * kh * kw, L), L the number of windows that fit
    in ``output_size`` (H, W) with these settings; returns (N, C, H, W) (or (C, H, W)).
    """
    op = "fold"
    p = _options(op, kernel_size, dilation, padding, stride)
    size = as_tuple(output_size, 2, "output_size", op)
    shape = tuple(np.shape(raw(input)))
    taps_ = math.prod(p["kernel"])
    if len(shape) not in (2, 3):
        raise ValueError(f"{op}: expected columns (N, C * kh * kw, L) or (C * kh * kw, L), got "
                         f"shape {shape}")
    if shape[-2] % taps_ or shape[-2] == 0:
        raise ValueError(f"{op}: axis {len(shape) - 2} of the input (shape {shape}) must be "
                         f"channels times the kernel's {taps_} taps ({p['kernel']}), got "
                         f"{shape[-2]}")
    grid = _grid(size, p["kernel"], p["stride"], p["padding"], p["dilation"])
    if min(grid) < 1 or math.prod(grid) != shape[-1]:
        raise ValueError(f"{op}: output_size {size} with kernel_size {p['kernel']}, stride "
                         f"{p['stride']}, padding {padding!r}, dilation {p['dilation']} holds "
                         f"{max(grid[0], 0)} x {max(grid[1], 0)} = "
                         f"{max(grid[0], 0) * max(grid[1], 0)} windows, but the input has "
                         f"{shape[-1]} (its last axis); use the settings unfold used")
    batched = len(shape) == 3
    cols = input if batched else input[None]
    out = _fold(cols, size=size, **p)
    return out if batched else out[0]


__all__ = ["unfold", "fold"]
