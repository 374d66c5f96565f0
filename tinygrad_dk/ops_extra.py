"""A few more of PyTorch's functions: the step function ``heaviside``, angle conversion
(``deg2rad``, ``rad2deg``), areas under sampled curves (``trapezoid``,
``cumulative_trapezoid``) and covariance and correlation matrices (``cov``, ``corrcoef``).

All but ``heaviside`` are compositions of existing differentiable operations, so their
gradients (and second derivatives) come for free. ``heaviside`` is a step: its derivative
is 0 almost everywhere and undefined at 0, useless for learning, so asking for it is an
error (as in PyTorch) that points at the smooth stand-in, sigmoid.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from tinygrad_dk.primitive import Primitive, raw

DEG_TO_RAD = math.pi / 180.0


def _tensor(a: Any) -> Any:
    """A Tensor as it is; anything else by ``tg.as_tensor``'s rules (a list of floats is
    float32, a numpy array keeps its dtype), as ``tg.tensor`` would make it."""
    from tinygrad_dk.creation import as_tensor  # here: tensor.py imports this module's users

    return as_tensor(a)


def _as_float(x: Any) -> Any:
    """An integer or bool tensor as the default float dtype (as PyTorch); floats as they are."""
    x = _tensor(x)
    return x if x.is_floating_point() else x.float()


# --- the step function ----------------------------------------------------------------------


def _heaviside_forward(x: np.ndarray, values: Any) -> np.ndarray:
    # PyTorch's rule: values where x == 0, else 1 for x > 0 and 0 otherwise (nan gives 0,
    # unlike np.heaviside, which gives nan)
    dtype = np.result_type(x, values)
    return np.where(x == 0, values, x > 0).astype(dtype)


def _no_derivative(*_: Any, **__: Any) -> Any:
    raise RuntimeError(
        "heaviside has no useful derivative: it is a step, flat (0) everywhere except at 0, "
        "where it jumps, so gradient descent cannot learn through it. Train with a smooth "
        "step such as sigmoid (torch.sigmoid(x), or x.sigmoid()) and use heaviside only for "
        "the final yes/no prediction (under torch.no_grad() or on x.detach()).")


# heaviside(x, values): 0 where x < 0, 1 where x > 0 and ``values`` where x == 0
heaviside = Primitive("heaviside", _heaviside_forward, _no_derivative, _no_derivative)


# --- angles ---------------------------------------------------------------------------------


def deg2rad(x: Any) -> Any:
    """Degrees to radians: x * pi / 180 (integers become floats, as in PyTorch)."""
    return _as_float(x) * DEG_TO_RAD


def rad2deg(x: Any) -> Any:
    """Radians to degrees: x * 180 / pi (integers become floats, as in PyTorch)."""
    return _as_float(x) * (1.0 / DEG_TO_RAD)


# --- areas under sampled curves -------------------------------------------------------------


def _trapezoids(y: Any, x: Any, dx: Any, dim: int, name: str) -> Any:
    """The areas of the trapezoids between neighbouring samples of ``y`` along ``dim``
    (one fewer than samples): width times the mean of the two heights. Shared by
    ``trapezoid`` (their sum) and ``cumulative_trapezoid`` (their running sum)."""
    y = _as_float(y)
    if y.ndim == 0:
        raise IndexError(f"{name}: y is a single number (0 dimensions); it needs an axis of "
                         "samples to integrate along (dim=-1 by default)")
    if not -y.ndim <= dim < y.ndim:
        raise IndexError(f"{name}: dim={dim} is out of range for y with {y.ndim} dimensions")
    dim %= y.ndim
    if x is not None and dx is not None:
        raise TypeError(f"{name}: give the sample positions x or the spacing dx, not both")
    if x is not None and not hasattr(x, "shape"):
        raise TypeError(f"{name}: x={x!r} is a number; a constant spacing is given as dx={x!r} "
                        "(x holds the position of each sample)")
    n = y.shape[dim]
    k, start = max(n - 1, 0), min(n, 1)  # k trapezoids (none for 0 or 1 samples)

    def steps(t: Any, axis: int) -> Any:  # each sample's successor minus itself
        return t.narrow(axis, start, k) - t.narrow(axis, 0, k)

    heights = (y.narrow(dim, start, k) + y.narrow(dim, 0, k)) * 0.5
    if x is None:
        return heights * (1.0 if dx is None else dx)
    x = _as_float(x)
    # x is 1-D (one position per sample, along dim) or has y's shape (or broadcasts to it)
    axis = 0 if x.ndim == 1 else dim - y.ndim  # x's axis of positions
    if x.ndim < -axis or x.shape[axis] != n:
        raise RuntimeError(f"{name}: there must be one x value for each sample point: y has "
                           f"{n} along dim {dim}, x has shape {tuple(x.shape)}")
    widths = steps(x, axis)
    if x.ndim == 1:
        widths = widths.reshape([k if i == dim else 1 for i in range(y.ndim)])
    return widths * heights


def trapezoid(y: Any, x: Any = None, *, dx: float | None = None, dim: int = -1) -> Any:
    """The area under the curve through the samples ``y`` along ``dim`` by the trapezoidal
    rule (the area under a ROC curve): at positions ``x`` (1-D along dim, or broadcasting
    with y), else spaced ``dx`` apart (1 by default). Fewer than two samples: area 0."""
    return _trapezoids(y, x, dx, dim, "trapezoid").sum(dim=dim)


def cumulative_trapezoid(y: Any, x: Any = None, *, dx: float | None = None,
                         dim: int = -1) -> Any:
    """The running area of ``trapezoid``: one fewer entry than samples along ``dim``."""
    return _trapezoids(y, x, dx, dim, "cumulative_trapezoid").cumsum(dim=dim)


# --- covariance and correlation -------------------------------------------------------------


def _weights(w: Any, name: str, n: int, integral: bool) -> Any:
    """Check observation weights as PyTorch does: one per observation, none negative."""
    if w is None:
        return None
    w = _tensor(w)
    if w.ndim > 1 or w.numel() != n:
        raise RuntimeError(f"cov: {name} must be one weight per observation (a 1-D tensor of "
                           f"{n}), got shape {tuple(w.shape)}")
    if integral and w.dtype.kind not in "iu":
        raise RuntimeError(f"cov: {name} (frequency weights) must be integers (counts), got "
                           f"{w.dtype}; real-valued weights go in aweights")
    if not integral and w.dtype.kind != "f":
        raise RuntimeError(f"cov: aweights must be floating point, got {w.dtype}")
    if (raw(w) < 0).any():
        raise RuntimeError(f"cov: {name} cannot be negative")
    return w.reshape(-1)


def cov(input: Any, *, correction: int = 1, fweights: Any = None,  # noqa: A002
        aweights: Any = None) -> Any:
    """The covariance matrix of the variables in the rows of ``input`` (observations in the
    columns; a 1-D input is one variable: a 0-D result), as PyTorch's ``torch.cov``:
    ``correction=1`` divides by N - 1 (the unbiased estimate), 0 by N; ``fweights``
    (integer counts) and ``aweights`` (importance) weigh the observations."""
    x = _as_float(input)
    if x.ndim > 2:
        raise RuntimeError(f"cov: expected input to have two or fewer dimensions (variables x "
                           f"observations) but got {x.ndim}")
    x = x.reshape(1, -1) if x.ndim < 2 else x
    n = x.shape[1]
    fw = _weights(fweights, "fweights", n, integral=True)
    aw = _weights(aweights, "aweights", n, integral=False)
    w = fw if aw is None else (aw if fw is None else fw * aw)
    if w is None:
        w_sum = float(n)
        mean = x.mean(dim=1, keepdim=True)
    else:
        w = w.to(x.dtype)
        w_sum = w.sum()
        if float(raw(w_sum)) == 0:
            raise RuntimeError("cov: the weights sum to zero, so there is nothing to average "
                               "over; give at least one observation a positive weight")
        mean = (x * w).sum(dim=1, keepdim=True) / w_sum
    # the degrees of freedom: N - correction, with weights their generalisation
    norm = w_sum - correction * ((w * aw).sum() / w_sum if aw is not None else 1)
    if float(raw(norm)) <= 0:
        warnings.warn("cov(): degrees of freedom is <= 0 (correction should be smaller than "
                      "the number of observations): the result is inf or nan", stacklevel=2)
        norm = norm * 0
    centred = x - mean
    weighted = centred if w is None else centred * w
    return (weighted @ centred.T / norm).squeeze()


def corrcoef(input: Any) -> Any:  # noqa: A002
    """Pearson's correlation coefficients of the variables in the rows of ``input``: the
    covariance divided by both standard deviations, clipped to [-1, 1] (rounding can
    step past 1). A variable that never changes has no correlation: nan."""
    c = cov(input)
    if c.ndim == 0:
        return c / c
    std = c.diagonal().sqrt()
    return (c / std.reshape(-1, 1) / std.reshape(1, -1)).clamp(-1.0, 1.0)
