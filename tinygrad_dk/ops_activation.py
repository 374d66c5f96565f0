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

from tinygrad_dk.ops import _sigmoid_forward, exp, sigmoid, tanh, where
from tinygrad_dk.primitive import Primitive, quiet, raw


def _elu_forward(x: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    # expm1 of min(x, 0): exact near 0, and no overflow warning for large positive x
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


# below 0, d/dx alpha (e^x - 1) = alpha e^x = out + alpha
elu = Primitive("elu", quiet(_elu_forward),
                lambda g, out, x, alpha=1.0: g * where(raw(x) > 0, 1.0, out + alpha))

# d/dx x s(x) = s + x s (1 - s), with s = sigmoid(x)
silu = Primitive("silu", quiet(lambda x: x * _sigmoid_forward(x)),
                 lambda g, out, x: g * (sigmoid(x) * (1 + x * (1 - sigmoid(x)))))

_erf = np.frompyfunc(math.erf, 1, 1)  # numpy has no erf; Python's is exact to double precision


def _normal_cdf_forward(x: np.ndarray) -> np.ndarray:
    return (0.5 * (1.0 + _erf(np.asarray(x) / math.sqrt(2.0)).astype(np.float64))).astype(
        np.result_type(x, np.float32))


# Phi'(x) = phi(x) = e^(-x^2 / 2) / sqrt(2 pi), the normal density
normal_cdf = Primitive("normal_cdf", _normal_cdf_forward,
                       lambda g, out, x: g * exp(-0.5 * x * x) / math.sqrt(2 * math.pi))


def gelu(x: Any, approximate: str = "none") -> Any:
    """x Phi(x) (``approximate="none"``), or PyTorch's tanh approximation of it."""
    if approximate == "none":
        return x * normal_cdf(x)
    if approximate == "tanh":
        return 0.5 * x * (1.0 + tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x * x * x)))
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
