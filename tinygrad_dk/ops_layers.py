"""Operations behind more of ``torch.nn``'s layers: normalisation over chosen axes
(``layer_norm``, ``group_norm``), ``hardswish``, ``mish`` and ``glu``, each with its
derivative.

Layer, group and instance normalisation all do one thing: standardise numbers over
some axes,

    x_hat = (x - mean) / sqrt(var + eps)     (mean and biased variance over ``axes``)

and then scale and shift by learned weights. Only the axes differ: layer norm uses the
last axes of each example, group norm the channels of a group (and their spatial
axes), instance norm each channel of each example. ``standardize`` is that one step,
one graph node; its derivative, with the means over the same axes,

    dx = (g - mean(g) - x_hat * mean(g * x_hat)) / sqrt(var + eps)

has the two extra terms because every output depends on the whole group through the
mean and variance (batch normalisation, ``ops_norm``, is the same over the batch
axes). The derivative is written with engine operations, so it differentiates again.

``hardswish``, ``mish`` and ``glu`` have their own derivatives so that the slope is one factor
(see below); hardswish's also follows PyTorch's at its two kinks (x = -3 and x = 3).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_dk.ops import _axes, _sigmoid_forward, mean, sigmoid, sqrt, tanh, where
from tinygrad_dk.ops_layout import _along
from tinygrad_dk.ops_nn import _softplus_forward, softplus
from tinygrad_dk.ops_shape import concatenate
from tinygrad_dk.primitive import Primitive, quiet, raw
from tinygrad_dk.tensor_base import ndim_of

# --- standardising over axes -------------------------------------------------------------


def _wide(x: Any) -> Any:
    """A float32 (or float16) array as float64 for the statistics: float32's squares of
    values past 1e19 overflow. Tensors (a recorded derivative) are left as they are."""
    if isinstance(x, np.ndarray) and x.dtype.kind == "f" and x.dtype.itemsize < 8:
        return x.astype(np.float64)
    return x


def _standardized(x: Any, axes: tuple[int, ...], eps: float) -> tuple[Any, Any]:
    """(x_hat, 1 / std) over ``axes``; engine ops, so for arrays and Tensors alike."""
    centred = x - mean(x, axis=axes, keepdims=True)
    inv_std = 1.0 / sqrt(mean(centred * centred, axis=axes, keepdims=True) + eps)
    return centred * inv_std, inv_std


def _standardize_forward(x: np.ndarray, *, axes: tuple[int, ...], eps: float) -> np.ndarray:
    if x.size == 0:
        return x.copy()
    y, _ = _standardized(_wide(x), axes, eps)
    return y.astype(x.dtype, copy=False)


def _standardize_vjp(g: Any, out: Any, x: Any, *, axes: tuple[int, ...], eps: float) -> Any:
    if np.size(raw(x)) == 0:
        return g
    x_hat, inv_std = _standardized(_wide(x), axes, eps)
    dx = inv_std * (g - mean(g, axis=axes, keepdims=True)
                    - x_hat * mean(g * x_hat, axis=axes, keepdims=True))
    return dx.astype(raw(x).dtype, copy=False) if isinstance(dx, np.ndarray) else dx


_standardize = Primitive("standardize", quiet(_standardize_forward), _standardize_vjp)


def standardize(x: Any, axes: Any, eps: float = 1e-5) -> Any:
    """(x - mean) / sqrt(var + eps), the mean and the biased variance taken over ``axes``
    (an int or a tuple), keeping the shape: the step all normalisation layers share."""
    return _standardize(x, axes=tuple(sorted(_axes(axes, ndim_of(x)))), eps=float(eps))


def _affine(y: Any, weight: Any, bias: Any, shape: tuple[int, ...]) -> Any:
    """y * weight + bias, with weight and bias reshaped to ``shape`` (None: skipped)."""
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


def _check_param(op: str, name: str, p: Any, want: tuple[int, ...], why: str) -> None:
    if p is not None and tuple(np.shape(raw(p))) != want:
        raise ValueError(f"{op}: {name} has shape {tuple(np.shape(raw(p)))}, expected {want} "
                         f"({why})")


def layer_norm(input: Any, normalized_shape: Any, weight: Any = None, bias: Any = None,
               eps: float = 1e-5) -> Any:
    """Normalise over the last ``len(normalized_shape)`` axes of every example, then scale
    by ``weight`` and shift by ``bias`` (both of shape ``normalized_shape``), as
    ``torch.nn.functional.layer_norm``. Unlike batch normalisation, no statistic is
    shared between examples, so training and evaluation compute the same."""
    norm = (int(normalized_shape),) if isinstance(normalized_shape, (int, np.integer)) \
        else tuple(int(n) for n in normalized_shape)
    shape = tuple(np.shape(raw(input)))
    if not norm or shape[len(shape) - len(norm):] != norm:
        raise ValueError(f"layer_norm: normalized_shape {norm} must be the last axes of the "
                         f"input, whose shape is {shape}; give the size(s) of the feature "
                         "axes, e.g. LayerNorm(x.shape[-1])")
    for name, p in (("weight", weight), ("bias", bias)):
        _check_param("layer_norm", name, p, norm, "normalized_shape")
    y = standardize(input, tuple(range(len(shape) - len(norm), len(shape))), eps)
    return _affine(y, weight, bias, norm)


def group_norm(input: Any, num_groups: int, weight: Any = None, bias: Any = None,
               eps: float = 1e-5) -> Any:
    """Split the channels (axis 1) into ``num_groups`` groups and normalise each group of
    each example over its channels and spatial axes; then scale and shift per channel
    (``weight``, ``bias`` of shape (channels,)), as ``torch.nn.functional.group_norm``.

    One group is layer norm over (C, *spatial); as many groups as channels is instance
    norm. Independent of the batch size, so it works with batches of one."""
    shape = tuple(np.shape(raw(input)))
    if len(shape) < 2:
        raise ValueError(f"group_norm: expected input of shape (batch, channels, ...), got "
                         f"{shape}")
    n, c, groups = shape[0], shape[1], int(num_groups)
    if groups < 1 or c % groups:
        raise ValueError(f"group_norm: the {c} channels cannot be split into num_groups="
                         f"{num_groups} equal groups; choose a divisor of {c}")
    for name, p in (("weight", weight), ("bias", bias)):
        _check_param("group_norm", name, p, (c,), "one per channel")
    grouped = input.reshape((n, groups, (c // groups) * int(np.prod(shape[2:]))))
    y = standardize(grouped, 2, eps).reshape(shape)
    return _affine(y, weight, bias, (1, c) + (1,) * (len(shape) - 2))


# --- activations whose derivative is one factor ------------------------------------------
# Written as compositions, these would send the upstream gradient g down two paths whose
# local slopes are +-something and 0; an infinite g then gives inf * 0 = nan on one path.
# As one factor, g * slope(x) is inf (or 0), as PyTorch's kernels give.


def _hardswish_forward(x: np.ndarray) -> np.ndarray:
    # x relu6(x + 3) / 6, in PyTorch's order (so -inf gives nan, as there)
    return x * np.clip(x + 3, 0, 6) / 6


def _hardswish_vjp(g: Any, out: Any, x: Any) -> Any:
    # slope x / 3 + 1/2 strictly between -3 and 3, 1 from 3 on, 0 up to -3 (exactly 0,
    # also for an infinite g): PyTorch's rule at the two kinks. The slope's own
    # derivative, 1/3, counts strictly inside only, as PyTorch's second derivative.
    data = raw(x)
    inside = (data > -3) & (data < 3)
    return where(data <= -3, 0.0, g * where(inside, x / 3 + 0.5, 1.0))


hardswish = Primitive("hardswish", quiet(_hardswish_forward), _hardswish_vjp)


def _mish_vjp(g: Any, out: Any, x: Any) -> Any:
    # d/dx x tanh(softplus(x)) = t + x sigmoid(x) (1 - t^2), with t = tanh(softplus(x))
    t = tanh(softplus(x))
    return g * (t + x * sigmoid(x) * (1 - t * t))


mish = Primitive("mish", quiet(lambda x: x * np.tanh(_softplus_forward(x))), _mish_vjp)


def _halves(x: Any, dim: int) -> tuple[Any, Any]:
    """The two halves of ``x`` along ``dim`` (arrays or Tensors; ``dim`` counted from 0)."""
    n = np.shape(raw(x))[dim]
    return x[_along(dim, slice(0, n // 2))], x[_along(dim, slice(n // 2, n))]


def _glu_forward(x: np.ndarray, *, dim: int) -> np.ndarray:
    a, b = _halves(x, dim)
    return a * _sigmoid_forward(b)


def _glu_vjp(g: Any, out: Any, x: Any, *, dim: int) -> Any:
    # d/da = s and d/db = a s (1 - s), s = sigmoid(b). The slope a s (1 - s) is formed
    # before g multiplies it: for b = 3e38 it is exactly 0, and g * a (which overflows
    # for a = 3e38 in float32) never happens.
    a, b = _halves(x, dim)
    s = sigmoid(b)
    return concatenate([g * s, g * (a * (s * (1 - s)))], axis=dim)


_glu = Primitive("glu", quiet(_glu_forward), _glu_vjp)


def glu(input: Any, dim: int = -1) -> Any:
    """The gated linear unit: split axis ``dim`` into halves a and b, return a * sigmoid(b)
    (the gates b choose how much of each value a passes)."""
    shape = np.shape(raw(input))
    if not shape:
        raise ValueError("glu: does not work on a 0-dimensional tensor; give one with an axis "
                         "to split")
    dim = int(dim) % len(shape)
    if shape[dim] % 2:
        raise ValueError(f"glu: axis {dim} of the input {tuple(shape)} has odd length "
                         f"{shape[dim]}; it is split into two halves (values and gates), so "
                         "it must be even")
    return _glu(input, dim=dim)


__all__ = ["standardize", "layer_norm", "group_norm", "hardswish", "mish", "glu"]
