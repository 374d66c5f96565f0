"""Functions without parameters: activations, dropout, ``linear`` and the losses.

Import it as PyTorch users do::

    import nn.functional as F
    h = F.relu(F.linear(x, w1, b1))
    loss = F.cross_entropy(F.linear(h, w2, b2), labels)

The layer classes in ``nn`` (``nn.Linear``, ``nn.ReLU``, ``nn.MSELoss``, ...) keep
parameters and settings and call these functions. The activations also accept a
scalar ``Value`` (they call its method), and the losses marked below accept lists
of Values, so the scalar engine trains with the very same formulas.

The loss formulas live in ``nn._loss_math`` (this module re-exports them) to keep
each file short.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import tinygrad_dk as tg
from nn._cross_entropy import cross_entropy
from nn._loss_math import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    hinge_loss,
    huber_loss,
    l1_loss,
    mse_loss,
)
from tinygrad_dk import Tensor, Value, ops
from tinygrad_dk.autograd import Primitive

__all__ = [
    "relu", "leaky_relu", "sigmoid", "tanh", "softmax", "log_softmax", "dropout", "linear",
    "mse_loss", "l1_loss", "huber_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "cross_entropy", "hinge_loss",
]


# --- activations --------------------------------------------------------------------------


def relu(x: Any) -> Any:
    """max(x, 0): passes positive numbers, zeroes the rest. Gradient 1 where x > 0, else 0."""
    return x.relu() if isinstance(x, Value) else tg.relu(x)


def leaky_relu(x: Any, negative_slope: float = 0.01) -> Any:
    """x for x > 0, ``negative_slope * x`` otherwise: a small slope keeps 'dead' units learning."""
    if isinstance(x, Value):
        return x.leaky_relu(negative_slope)
    return tg.leaky_relu(x, negative_slope)


def sigmoid(x: Any) -> Any:
    """1 / (1 + e^-x), squashing into (0, 1); computed without overflow for large |x|."""
    return x.sigmoid() if isinstance(x, Value) else tg.sigmoid(x)


def tanh(x: Any) -> Any:
    """(e^x - e^-x) / (e^x + e^-x), squashing into (-1, 1)."""
    return x.tanh() if isinstance(x, Value) else tg.tanh(x)


def softmax(x: Any, axis: int = -1) -> Any:
    """exp(x_i) / sum_j exp(x_j) along ``axis``: turns scores into probabilities.

    Computed as exp(log_softmax(x)), which subtracts the maximum first, so logits of
    1000 do not overflow.
    """
    return tg.softmax(x, axis=axis)


def log_softmax(x: Any, axis: int = -1) -> Any:
    """x_i - log(sum_j exp(x_j)): the log-probabilities, stable for large logits."""
    return tg.log_softmax(x, axis=axis)


# --- dropout -------------------------------------------------------------------------------


def dropout(x: Any, p: float = 0.5, training: bool = True) -> Any:
    """Zero each element with probability ``p`` while training ("inverted" dropout).

    The survivors are multiplied by 1 / (1 - p), so the expected value of every
    element stays the same; at evaluation time (``training=False``) the input passes
    through unchanged and nothing needs rescaling. The random mask comes from the
    shared generator, so ``tinygrad_dk.manual_seed`` makes it repeatable.
    """
    if isinstance(p, bool) or not 0.0 <= float(p) <= 1.0:
        raise ValueError(f"dropout: p must be a probability in [0, 1], got {p!r}")
    if not training or p == 0:
        return x
    if not isinstance(x, Tensor):
        x = Tensor(x)
    if p == 1:
        return x * np.zeros(x.shape, dtype=x.dtype)
    keep = tg.generator().random(x.shape) >= p
    scale = np.asarray(1.0 / (1.0 - p), dtype=x.dtype)
    return x * (keep.astype(x.dtype) * scale)


# --- linear: the hot path of tensor training, one primitive ----------------------------


def _linear_forward(x: Any, weight: Any, bias: Any = None) -> Any:
    with np.errstate(all="ignore"):
        out = x @ weight.T  # (..., in) @ (in, out) -> (..., out)
        return out if bias is None else out + bias


def _linear_vjp_x(g: Any, out: Any, x: Any, weight: Any, bias: Any = None) -> Any:
    # y = x W^T + b, so dL/dx = g W: (..., out) @ (out, in) -> (..., in)
    return ops.matmul(g, weight)


def _linear_vjp_weight(g: Any, out: Any, x: Any, weight: Any, bias: Any = None) -> Any:
    # dL/dW = g^T x, summed over every example: (out, N) @ (N, in) -> (out, in).
    # Extra batch axes (..., in) are first flattened into N.
    if np.ndim(ops._raw(x)) == 1:  # a single example: the outer product g x^T
        return ops.expand_dims(g, -1) * x
    n_out, n_in = np.shape(ops._raw(weight))
    g2 = ops.reshape(g, (-1, n_out))
    x2 = ops.reshape(x, (-1, n_in))
    return ops.matmul(ops.transpose(g2, None), x2)


def _linear_vjp_bias(g: Any, out: Any, x: Any, weight: Any, bias: Any = None) -> Any:
    # dL/db = g summed over the examples; the backward driver's unbroadcast does the sum.
    return g


_linear = Primitive("linear", _linear_forward, _linear_vjp_x, _linear_vjp_weight,
                    _linear_vjp_bias)


def linear(x: Any, weight: Any, bias: Any = None) -> Tensor:
    """y = x @ weight.T + bias, the layer ``nn.Linear`` computes.

    ``weight`` has shape ``(out_features, in_features)`` (PyTorch's layout), ``x``
    has shape ``(..., in_features)``, ``bias`` shape ``(out_features,)``. It is one
    operation in the graph with its own derivatives, g @ W for x, g.T @ x for W and
    g summed over the batch for b, which saves the bookkeeping of three separate
    ops (transpose, matmul, add). The derivatives use the engine's own operations,
    so second derivatives work too.
    """
    if not isinstance(x, Tensor):
        x = Tensor(x)
    w_shape = np.shape(ops._raw(weight))
    if len(w_shape) != 2:
        raise ValueError(
            f"linear: weight must have shape (out_features, in_features), got {w_shape}"
        )
    out_features, in_features = w_shape
    if x.ndim == 0 or x.shape[-1] != in_features:
        got = x.shape[-1] if x.ndim else "no"
        raise ValueError(
            f"linear: the input of shape {x.shape} has {got} features in its last axis, but "
            f"the weight of shape {w_shape} expects in_features={in_features}; reshape the "
            f"input to (batch, {in_features}) (e.g. x.reshape(len(x), -1)) or fix the layer size"
        )
    if bias is not None and np.shape(ops._raw(bias)) != (out_features,):
        raise ValueError(
            f"linear: bias has shape {np.shape(ops._raw(bias))} but must be "
            f"(out_features,) = ({out_features},)"
        )
    return _linear(x, weight, bias)
