"""More activation functions, each with its derivative: ``elu``, ``silu`` and ``gelu``.

* ELU: x for x > 0, alpha (e^x - 1) below: smooth at the negative side, so units never
  die completely, and the mean output stays nearer 0 than ReLU's.
* SiLU (swish): x sigmoid(x), a smooth ReLU that dips slightly below 0.
* GELU: x Phi(x), with Phi the standard normal distribution function (the activation of
  transformers); ``approximate="tanh"`` is the tanh formula PyTorch offers too.

(ReLU, leaky ReLU, sigmoid, tanh and softplus are in ``ops`` and ``ops_nn``.)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tinygrad_dk.ops import _sigmoid_forward, exp, minimum, sigmoid, tanh, where
from tinygrad_dk.primitive import Primitive, quiet, raw


def _elu_forward(x: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    # expm1 of min(x, 0): exact near 0, and no overflow warning for large positive x
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def _elu_vjp(g: Any, out: Any, x: Any, alpha: float = 1.0) -> Any:
    # below 0, d/dx alpha (e^x - 1) = alpha e^x, computed as such (out + alpha would round
    # e^-700 away to 0) and of min(x, 0) only, so no unused e^1000 overflows. At x = 0 the
    # slope alpha is a constant: the second derivative is 0 on the right of 0 and alpha on
    # the left; PyTorch takes the right side's.
    slope = where(raw(x) < 0, alpha * exp(minimum(x, 0.0)), alpha)
    return g * where(raw(x) > 0, 1.0, slope)


elu = Primitive("elu", quiet(_elu_forward), _elu_vjp)

def _silu_vjp(g: Any, out: Any, x: Any) -> Any:
    # d/dx x s(x) = s + x s (1 - s) = s (1 + x (1 - s)), with s = sigmoid(x) (computed once)
    s = sigmoid(x)
    return g * (s * (1 + x * (1 - s)))


silu = Primitive("silu", quiet(lambda x: x * _sigmoid_forward(x)), _silu_vjp)

_erf = np.frompyfunc(math.erf, 1, 1)  # numpy has no erf; Python's is exact to double precision


def _normal_cdf_forward(x: np.ndarray) -> np.ndarray:
    # (asarray: for a 0-d x, frompyfunc gives a plain float)
    erf = np.asarray(_erf(np.asarray(x) / math.sqrt(2.0)), dtype=np.float64)
    return (0.5 * (1.0 + erf)).astype(np.result_type(x, np.float32))


# Phi'(x) = phi(x) = e^(-x^2 / 2) / sqrt(2 pi), the normal density
normal_cdf = Primitive("normal_cdf", _normal_cdf_forward,
                       lambda g, out, x: g * exp(-0.5 * x * x) / math.sqrt(2 * math.pi))


_BETA, _KAPPA = math.sqrt(2.0 / math.pi), 0.044715  # the tanh formula's constants


def _gelu_forward(x: np.ndarray, approximate: str = "none") -> np.ndarray:
    if approximate == "tanh":
        return 0.5 * x * (1.0 + np.tanh(_BETA * (x + _KAPPA * x * x * x)))
    return x * _normal_cdf_forward(x)


def _gelu_vjp(g: Any, out: Any, x: Any, approximate: str = "none") -> Any:
    # One factor times g (as PyTorch), so an infinite g gives an infinite slope, not the
    # inf - inf = nan of the product rule's two terms:
    # d/dx x Phi(x) = Phi(x) + x phi(x); the tanh formula's 0.5 (1 + t) + 0.5 x (1 - t^2) t'
    if approximate == "tanh":
        t = tanh(_BETA * (x + _KAPPA * x * x * x))
        return g * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * _BETA * (1.0 + 3.0 * _KAPPA
                                                                         * x * x))
    return g * (normal_cdf(x) + x * exp(-0.5 * x * x) / math.sqrt(2 * math.pi))


_gelu = Primitive("gelu", quiet(_gelu_forward), _gelu_vjp)


def gelu(x: Any, approximate: str = "none") -> Any:
    """x Phi(x) (``approximate="none"``), or PyTorch's tanh approximation of it."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return _gelu(x, approximate=approximate)
