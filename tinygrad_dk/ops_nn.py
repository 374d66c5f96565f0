"""Fused operations that neural-network layers and losses are built from.

Each could be written with the basic ops, but as one primitive with its own
derivative it is faster (one graph node instead of several) and, for the losses,
more accurate. Like every op, each derivative is written with engine operations,
so second derivatives work. ``nn`` uses these; so can you.

* ``linear(x, weight, bias)``: ``x @ weight.T + bias``, the ``nn.Linear`` layer.
* ``softplus(x)``: ``log(1 + e^x)``, stable for any x.
* ``binary_cross_entropy(p, y)``: ``-(y log p + (1 - y) log(1 - p))`` per element.
* ``softmax_cross_entropy(logits, labels)``: ``-log softmax(logits)[label]`` per row.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_dk.ops import _shift, expand_dims, log, matmul, maximum, sigmoid, softmax
from tinygrad_dk.ops_shape import reshape, transpose
from tinygrad_dk.primitive import Primitive, quiet, raw

# --- linear: the hot path of tensor training ---------------------------------------------


def _linear_forward(x: Any, weight: Any, bias: Any = None) -> Any:
    out = x @ weight.T  # (..., in) @ (in, out) -> (..., out): a fresh array of our own
    if bias is None:
        return out
    if getattr(bias, "dtype", None) == out.dtype:
        out += bias  # so the bias goes in place: one array and one pass less than out + bias
        return out
    return out + bias  # mixed dtypes: numpy's promotion decides the result's dtype


# The derivatives use methods numpy arrays and Tensors share (@, .T), so a plain backward
# runs them straight on arrays and create_graph=True records them on Tensors.


def _linear_vjp_x(g: Any, out: Any, x: Any, weight: Any, bias: Any = None) -> Any:
    # y = x W^T + b, so dL/dx = g W: (..., out) @ (out, in) -> (..., in)
    return g @ weight


def _linear_vjp_weight(g: Any, out: Any, x: Any, weight: Any, bias: Any = None) -> Any:
    # dL/dW = g^T x, summed over every example: (out, N) @ (N, in) -> (out, in), row-major
    # like W itself. Extra batch axes (..., in) are first flattened into N.
    ndim = np.ndim(x)
    if ndim == 2:
        return g.T @ x
    if ndim == 1:  # a single example: the outer product g x^T
        return expand_dims(g, -1) * x
    n_out, n_in = np.shape(raw(weight))
    return matmul(transpose(reshape(g, (-1, n_out)), None), reshape(x, (-1, n_in)))


def _linear_explain(x: Any, weight: Any, bias: Any) -> ValueError:
    """The error for arguments that do not fit together."""
    w_shape = np.shape(weight)
    if len(w_shape) != 2:
        return ValueError(f"linear: weight must have shape (out_features, in_features), "
                          f"got {w_shape}")
    out_features, in_features = w_shape
    if np.ndim(x) == 0 or np.shape(x)[-1] != in_features:
        got = np.shape(x)[-1] if np.ndim(x) else "no"
        return ValueError(
            f"linear: the input of shape {np.shape(x)} has {got} features in its last axis, "
            f"but the weight of shape {w_shape} expects in_features={in_features}; reshape "
            f"the input to (batch, {in_features}) (e.g. x.reshape(len(x), -1)) or fix the "
            "layer size"
        )
    return ValueError(f"linear: bias has shape {np.shape(bias)} but must be "
                      f"(out_features,) = ({out_features},)")


def _checked_linear(x: Any, weight: Any, bias: Any = None) -> Any:
    w_shape, x_shape = np.shape(weight), np.shape(x)
    if (len(w_shape) != 2 or not x_shape or x_shape[-1] != w_shape[1]
            or (bias is not None and np.shape(bias) != w_shape[:1])):
        raise _linear_explain(x, weight, bias)  # the usual case passes the one test above
    return _linear_forward(x, weight, bias)


_linear = Primitive(
    "linear", quiet(_checked_linear), _linear_vjp_x, _linear_vjp_weight,
    # dL/db = g summed over the examples; the receiving Tensor's unbroadcast does the sum.
    lambda g, out, x, weight, bias=None: g,
)


def linear(x: Any, weight: Any, bias: Any = None) -> Any:
    """y = x @ weight.T + bias: what ``nn.Linear`` computes, as one operation.

    ``weight`` has shape ``(out_features, in_features)`` (PyTorch's layout), ``x``
    has shape ``(..., in_features)``, ``bias`` shape ``(out_features,)``. One graph
    node with its own derivatives (g @ W for x, g.T @ x for W, g summed over the
    batch for b) saves the bookkeeping of three separate ops.
    """
    return _linear(x, weight, bias)


# --- softplus ---------------------------------------------------------------------------


def _softplus_forward(z: Any) -> Any:
    # log(1 + e^z) = max(z, 0) + log(1 + e^-|z|): the exp never sees a positive number,
    # so z = 1000 gives 1000 (not inf) and z = -1000 gives 0.
    return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


# softplus'(z) = e^z / (1 + e^z) = sigmoid(z), smooth everywhere (also at z = 0, where
# the max and |z| of the forward have kinks), so second derivatives are exact too.
softplus = Primitive("softplus", quiet(_softplus_forward), lambda g, out, z: g * sigmoid(z))

# --- losses, per element ----------------------------------------------------------------


def _bce_forward(p: Any, y: Any) -> Any:
    # -(y log p + (1 - y) log(1 - p)), each log clamped at -100 as PyTorch does,
    # so p = 0 or p = 1 gives a large but finite loss instead of inf.
    log_p = np.maximum(np.log(p), -100.0)
    log_1mp = np.maximum(np.log(1 - p), -100.0)
    return -(y * log_p + (1 - y) * log_1mp)


def _bce_vjp_p(g: Any, out: Any, p: Any, y: Any) -> Any:
    # d/dp = -y/p + (1-y)/(1-p) = (p - y) / (p (1 - p)); the denominator is kept
    # >= 1e-12 (as PyTorch), so p = 0 or 1 gives a large finite slope, not inf/nan.
    return g * (p - y) / maximum(p * (1 - p), 1e-12)


def _bce_vjp_y(g: Any, out: Any, p: Any, y: Any) -> Any:
    # d/dy = log(1 - p) - log(p), with the same clamped logs as the forward
    return g * (maximum(log(1 - p), -100.0) - maximum(log(p), -100.0))


_bce = Primitive("binary_cross_entropy", quiet(_bce_forward), _bce_vjp_p, _bce_vjp_y)


def binary_cross_entropy(p: Any, y: Any) -> Any:
    """Per element -(y log p + (1 - y) log(1 - p)), each log clamped at -100 (PyTorch's rule).

    ``p`` holds probabilities, ``y`` targets in [0, 1]; both get a gradient.
    """
    return _bce(p, y)


def _softmax_ce_forward(x: np.ndarray, labels: np.ndarray, reduction: str = "none"
                        ) -> np.ndarray:
    # loss_i = -log softmax(x_i)[y_i] = log sum_j e^(z_ij) - z_i[y_i] with z = x - max:
    # on the shifted numbers, so no exp overflows and logits of 1e30 keep their differences.
    z = _shift(x, 1)
    per_row = np.log(np.exp(z).sum(axis=1)) - z[np.arange(len(z)), labels]
    if reduction == "mean":  # (sum / count is what .mean() computes, without its wrapper)
        return per_row.sum() / len(per_row)
    return per_row.sum() if reduction == "sum" else per_row


def _softmax_ce_vjp(g: Any, out: Any, x: Any, labels: np.ndarray, reduction: str = "none"
                    ) -> Any:
    # d loss_i / d x_i = softmax(x_i) - one_hot(y_i): push the true class's score up and
    # every other score down, in proportion to how much probability it takes.
    probs = softmax(x, axis=1)
    one_hot = np.zeros(np.shape(raw(x)), dtype=raw(probs).dtype)
    one_hot[np.arange(len(labels)), labels] = 1
    if reduction == "none":  # one upstream gradient per row
        g = expand_dims(g, -1)
    elif reduction == "mean":  # one for the mean: each row's loss counts 1/N
        g = g / len(labels)
    return g * (probs - one_hot)


_softmax_ce = Primitive("cross_entropy", quiet(_softmax_ce_forward), _softmax_ce_vjp, None)


def softmax_cross_entropy(logits: Any, labels: Any, reduction: str = "none") -> Any:
    """Per row -log softmax(logits)[label], for logits (N, C) and integer labels (N,).

    One fused operation whose derivative is the famous softmax(logits) - one_hot(labels);
    the labels must already be valid class numbers 0 .. C-1 (``nn`` checks them).
    ``reduction="mean"`` or ``"sum"`` reduces the rows inside the same operation (one
    graph node for the whole loss, as training uses it); ``"none"`` keeps one per row.
    """
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"softmax_cross_entropy: reduction must be 'none', 'mean' or 'sum', "
                         f"got {reduction!r}")
    return _softmax_ce(logits, np.asarray(raw(labels), dtype=np.intp), reduction=reduction)

__all__ = ["linear", "softplus", "binary_cross_entropy", "softmax_cross_entropy"]
