"""``torch.gradient``: the derivative of sampled values by finite differences (numpy's
``np.gradient``), along one or more axes.

Inside, central differences: with equal spacing h, f'(x_i) ~ (f_(i+1) - f_(i-1)) / 2h;
with coordinates x (unequal steps d1 = x_i - x_(i-1), d2 = x_(i+1) - x_i), the
second-order formula that weighs the two neighbours by the other step::

    f'(x_i) ~ (-d2 / (d1 (d1 + d2))) f_(i-1) + ((d2 - d1) / (d1 d2)) f_i
              + (d1 / (d2 (d1 + d2))) f_(i+1)

At the two ends there is only one neighbour side: ``edge_order=1`` takes the one-sided
difference (f_1 - f_0) / d, ``edge_order=2`` the one-sided second-order formula through
three points. The result is made of slices of the input and arithmetic, so it is
differentiable (in the values and in coordinate tensors) with no Primitive of its own.
"""

from __future__ import annotations

from numbers import Number
from typing import Any

import numpy as np

from tinygrad_dk import ops_shape
from tinygrad_dk.creation import as_tensor
from tinygrad_dk.dtypes import get_default_dtype
from tinygrad_dk.tensor import Tensor


def _part(f: Tensor, axis: int, start: int | None, stop: int | None) -> Tensor:
    """f[..., start:stop, ...] along ``axis``."""
    return f[(slice(None),) * axis + (slice(start, stop),)]


def _along(c: Tensor, axis: int, ndim: int) -> Tensor:
    """A 1-D tensor of coefficients lined up with ``axis`` of an ndim-D tensor."""
    return c.reshape((-1,) + (1,) * (ndim - 1 - axis))


def _uniform(f: Tensor, axis: int, h: float, edge_order: int) -> Tensor:
    """The derivative along ``axis`` for equally spaced samples, h apart."""
    p = lambda a, b: _part(f, axis, a, b)  # noqa: E731
    inside = (p(2, None) - p(None, -2)) / (2.0 * h)
    if edge_order == 1:
        first, last = (p(1, 2) - p(0, 1)) / h, (p(-1, None) - p(-2, -1)) / h
    else:
        first = (-1.5 * p(0, 1) + 2.0 * p(1, 2) - 0.5 * p(2, 3)) / h
        last = (0.5 * p(-3, -2) - 2.0 * p(-2, -1) + 1.5 * p(-1, None)) / h
    return ops_shape.concatenate([first, inside, last], axis=axis)


def _coordinates(f: Tensor, axis: int, x: Tensor, edge_order: int) -> Tensor:
    """The derivative along ``axis`` for samples at the coordinates ``x`` (1-D)."""
    p = lambda a, b: _part(f, axis, a, b)  # noqa: E731
    line = lambda c: _along(c, axis, f.ndim)  # noqa: E731
    d = x[1:] - x[:-1]
    d1, d2 = d[:-1], d[1:]
    inside = (line(-d2 / (d1 * (d1 + d2))) * p(None, -2) + line((d2 - d1) / (d1 * d2)) * p(1, -1)
              + line(d1 / (d2 * (d1 + d2))) * p(2, None))
    if edge_order == 1:
        first, last = (p(1, 2) - p(0, 1)) / d[0], (p(-1, None) - p(-2, -1)) / d[-1]
    else:
        a, b = d[0], d[1]  # the first two steps
        first = (-(2.0 * a + b) / (a * (a + b)) * p(0, 1) + (a + b) / (a * b) * p(1, 2)
                 - a / (b * (a + b)) * p(2, 3))
        a, b = d[-2], d[-1]  # the last two steps
        last = (b / (a * (a + b)) * p(-3, -2) - (a + b) / (a * b) * p(-2, -1)
                + (2.0 * b + a) / (b * (a + b)) * p(-1, None))
    return ops_shape.concatenate([first, inside, last], axis=axis)


def _dims(dim: Any, ndim: int) -> list[int]:
    """``dim`` (None: every axis; an int; a list or tuple of ints) as axes >= 0."""
    dims = list(range(ndim)) if dim is None else [dim] if isinstance(dim, (int, np.integer)) \
        else list(dim)
    out = []
    for d in dims:
        if isinstance(d, bool) or not isinstance(d, (int, np.integer)):
            raise TypeError(f"torch.gradient: dim must be an int or a tuple of ints, got {dim!r}")
        if not -ndim <= d < ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of "
                             f"[{-ndim}, {ndim - 1}], but got {d}): the input has {ndim} "
                             "dimension(s)")
        out.append(int(d) % ndim)
    if len(set(out)) < len(out):
        raise RuntimeError(f"torch.gradient: dim {dim!r} names an axis twice")
    return out


def _spacings(spacing: Any, dims: list[int], given_dim: bool) -> list[Any]:
    """One spacing per axis: a number (equal steps) or a coordinate tensor."""
    if isinstance(spacing, (Number, np.number)) and not isinstance(spacing, bool):
        return [float(spacing)] * len(dims)
    if isinstance(spacing, (Tensor, np.ndarray)):
        raise TypeError("torch.gradient: spacing as a single tensor is ambiguous; give a tuple "
                        "with one coordinate tensor per dimension, e.g. spacing=(x,), or a "
                        "number for equal steps")
    if not isinstance(spacing, (list, tuple)):
        raise TypeError(f"torch.gradient: spacing must be a number, a list of numbers or a "
                        f"list of coordinate tensors, got {type(spacing).__name__}")
    if len(spacing) != len(dims):
        where = "the number of dims in dim" if given_dim else f"'self.dim() = {len(dims)}'"
        raise RuntimeError(
            f"torch.gradient expected spacing to be unspecified, a scalar, or a list of length "
            f"equal to {where}, since dim argument was {'' if given_dim else 'not '}given, but "
            f"got a list of length {len(spacing)}")
    return [float(s) if isinstance(s, (Number, np.number)) else as_tensor(s) for s in spacing]


def gradient(input: Any, *, spacing: Any = 1, dim: Any = None,  # noqa: A002 - PyTorch's name
             edge_order: int = 1) -> tuple[Tensor, ...]:
    """The derivative of the samples in ``input`` along each axis of ``dim`` (default:
    every axis), one tensor per axis, as ``torch.gradient`` (and ``np.gradient``).

    ``spacing``: the distance between samples, one number for every axis, one number
    per axis, or one tensor of coordinates per axis (unequal steps). ``edge_order`` (1
    or 2) is the order of the one-sided differences at the two ends. Integer input
    gives the default float dtype."""
    f = as_tensor(input)
    if f.dtype.kind != "f":
        f = f.to(get_default_dtype())
    if edge_order not in (1, 2) or isinstance(edge_order, bool):
        raise RuntimeError(f"torch.gradient only supports edge_order=1 and edge_order=2, got "
                           f"edge_order={edge_order!r}")
    dims = _dims(dim, f.ndim)
    steps = _spacings(spacing, dims, dim is not None)
    out = []
    for axis, step in zip(dims, steps):
        n = f.shape[axis]
        if n < edge_order + 1:
            raise RuntimeError(
                f"torch.gradient expected each dimension size to be at least edge_order+1: "
                f"axis {axis} has {n} sample(s), edge_order={edge_order} needs "
                f"{edge_order + 1}")
        if isinstance(step, Tensor):
            if step.ndim != 1 or step.shape[0] != n:
                raise RuntimeError(
                    f"torch.gradient: the coordinates for dim {axis} must be a 1-D tensor of "
                    f"its {n} sample positions, got shape {tuple(step.shape)}")
            out.append(_coordinates(f, axis, step, edge_order))
        else:
            out.append(_uniform(f, axis, step, edge_order))
    return tuple(out)
