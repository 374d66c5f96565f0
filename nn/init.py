"""Weight initialisation, as ``torch.nn.init``: fill a Tensor's data in place.

Why it matters: if the starting weights are too large, activations (and
gradients) grow layer by layer; too small, and they shrink to nothing. The
schemes below pick the spread from the layer's *fan*: how many inputs feed one
output (``fan_in``) and how many outputs one input feeds (``fan_out``). For a
``Linear`` weight of shape ``(out, in)``: fan_in = in, fan_out = out.

* Xavier/Glorot (tanh, sigmoid): variance 2 / (fan_in + fan_out), times gain^2.
* Kaiming/He (ReLU family): variance gain^2 / fan, gain = sqrt(2) for ReLU,
  because ReLU zeroes half of its inputs and so halves the variance.

Every function draws from the shared generator (``tinygrad_dk.manual_seed``
makes it repeatable), keeps the tensor's dtype and shape, and returns the tensor.
The trailing underscore is PyTorch's mark for "changes its argument in place".
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import tinygrad_dk as tg
from tinygrad_dk import Tensor

_GAINS = {"linear": 1.0, "identity": 1.0, "sigmoid": 1.0, "tanh": 5.0 / 3.0,
          "relu": math.sqrt(2.0), "selu": 0.75}


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The factor that keeps the variance steady through ``nonlinearity`` (PyTorch's values).

    ``param`` is the negative slope for 'leaky_relu' (0.01 when None).
    """
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1.0 + slope * slope))
    if nonlinearity not in _GAINS:
        raise ValueError(f"calculate_gain: unknown nonlinearity {nonlinearity!r}; choose one of "
                         f"{', '.join(map(repr, [*_GAINS, 'leaky_relu']))}")
    return _GAINS[nonlinearity]


def _check(tensor: Any, fn: str) -> Tensor:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"nn.init.{fn}: expected a Tensor (e.g. layer.weight), got "
                        f"{type(tensor).__name__}")
    if tensor.dtype.kind != "f":
        raise TypeError(f"nn.init.{fn}: the tensor has dtype {tensor.dtype}; initialise "
                        "floating-point tensors only")
    return tensor


def _fill(tensor: Tensor, values: Any) -> Tensor:
    # a new array in the tensor's own memory layout (empty_like keeps it: nn.Linear's
    # weight is stored column-major), holding the drawn values in the tensor's dtype
    new = np.empty_like(tensor.data)
    new[...] = np.asarray(values).reshape(tensor.shape)
    tensor.data = new
    return tensor


def fans(tensor: Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of shape (out, in, *kernel), as PyTorch computes them."""
    if tensor.ndim < 2:
        raise ValueError(f"fan_in and fan_out need a weight with at least 2 axes, got shape "
                         f"{tensor.shape}; use uniform_/normal_/zeros_ for a bias")
    receptive = int(np.prod(tensor.shape[2:])) if tensor.ndim > 2 else 1
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fan(tensor: Tensor, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = fans(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    """Fill with samples from U(a, b)."""
    _check(tensor, "uniform_")
    return _fill(tensor, tg.generator().uniform(a, b, tensor.shape))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Fill with samples from N(mean, std^2)."""
    _check(tensor, "normal_")
    return _fill(tensor, tg.generator().normal(mean, std, tensor.shape))


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with one number."""
    _check(tensor, "constant_")
    return _fill(tensor, np.full(tensor.shape, val))


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with 0 (the usual start for biases)."""
    return constant_(tensor, 0.0)


def ones_(tensor: Tensor) -> Tensor:
    """Fill with 1."""
    return constant_(tensor, 1.0)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot uniform: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out))."""
    _check(tensor, "xavier_uniform_")
    fan_in, fan_out = fans(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return _fill(tensor, tg.generator().uniform(-bound, bound, tensor.shape))


def xavier_normal_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot normal: N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    _check(tensor, "xavier_normal_")
    fan_in, fan_out = fans(tensor)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return _fill(tensor, tg.generator().normal(0.0, std, tensor.shape))


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu") -> Tensor:
    """He uniform: U(-bound, bound), bound = gain * sqrt(3 / fan).

    ``a`` is the negative slope used by the 'leaky_relu' gain (PyTorch's
    signature: with the default a=0 this is the ReLU gain sqrt(2)).
    ``nn.Linear`` uses a = sqrt(5), which gives bound = 1 / sqrt(fan_in).
    """
    _check(tensor, "kaiming_uniform_")
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    bound = math.sqrt(3.0) * std  # U(-b, b) has standard deviation b / sqrt(3)
    return _fill(tensor, tg.generator().uniform(-bound, bound, tensor.shape))


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu") -> Tensor:
    """He normal: N(0, std^2), std = gain / sqrt(fan)."""
    _check(tensor, "kaiming_normal_")
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    return _fill(tensor, tg.generator().normal(0.0, std, tensor.shape))


__all__ = ["calculate_gain", "fans", "uniform_", "normal_", "constant_", "zeros_", "ones_",
           "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_"]
