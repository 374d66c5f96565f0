"""Fused operations that neural-network layers and losses are built from.

Each could be written with the basic ops, but as one primitive with its own
derivative it is faster (one graph node instead of several) and, for the losses,
more accurate. Like every op, each derivative is written with engine operations,
so second derivatives work. ``nn`` uses these; so can you.

* ``linear(x, weight, bias)``: ``x @ weight.T + bias``, the ``nn.Linear`` layer.
* ``softplus(x)``: ``log(1 + e^x)``, stable for any x.
* ``binary_cross_entropy(p, y)``: ``-(y log p + (1 - y) log(1 - p))`` per element.
* ``binary_cross_entropy_with_logits(x, y)``: the same of ``p = sigmoid(x)``, stably.
* ``softmax_cross_entropy(logits, labels)``: ``-log softmax(logits)[label]`` per row.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_dk.ops import _column_major, expand_dims, log, log1p, matmul, maximum, sigmoid
from tinygrad_dk.ops_shape import reshape, transpose
from tinygrad_dk.ops_softmax import _row_sum, _shift, _softmax_forward, softmax
from tinygrad_dk.primitive import Primitive, quiet, raw
from tinygrad_dk.tensor_base import shape_of

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
    # dL/dW = g^T x, summed over every example: (out, N) @ (N, in) -> (out, in), in W's
    # own layout. Extra batch axes (..., in) are first flattened into N.
    ndim = len(shape_of(x))
    if ndim == 2:
        # (x^T g)^T is g^T x laid out column-major: the layout of nn.Linear's weight, so
        # that the optimizer's update runs through both arrays in the same order
        return (x.T @ g).T if _column_major(weight) else g.T @ x
    if ndim == 1:  # a single example: the outer product g x^T
        return expand_dims(g, -1) * x
    n_out, n_in = np.shape(raw(weight))
    n = int(np.prod(np.shape(raw(x))[:-1], dtype=np.int64))  # not -1: numpy cannot infer it
    return matmul(transpose(reshape(g, (n, n_out)), None), reshape(x, (n, n_in)))  # for 0 rows


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
    w_shape, x_shape = shape_of(weight), shape_of(x)
    if (len(w_shape) != 2 or not x_shape or x_shape[-1] != w_shape[1]
            or (bias is not None and shape_of(bias) != w_shape[:1])):
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


def _slope_forward(z: Any) -> Any:
    # sigmoid(z), written e^z / (1 + e^z) for z < 0: 1 / (1 + e^-z) overflows to 1 / inf = 0
    # below z = -709 (-88 in float32) where e^z is still a subnormal number; kept, an
    # infinite upstream gradient times it is inf (as in PyTorch), not inf * 0 = nan
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


# softplus'(z) = e^z / (1 + e^z) = sigmoid(z), smooth everywhere (also at z = 0, where
# the max and |z| of the forward have kinks), so second derivatives are exact too; the
# slope's own derivative is sigmoid's, out (1 - out).
_slope = Primitive("softplus_slope", quiet(_slope_forward), lambda g, out, z: g * out * (1 - out))
softplus = Primitive("softplus", quiet(_softplus_forward), lambda g, out, z: g * _slope(z))

# --- losses, per element ----------------------------------------------------------------


def _bce_forward(p: Any, y: Any, weight: Any = None) -> Any:
    # -(y log p + (1 - y) log(1 - p)), each log clamped at -100 as PyTorch does,
    # so p = 0 or p = 1 gives a large but finite loss instead of inf.
    log_p = np.maximum(np.log(p), -100.0)
    log_1mp = np.maximum(np.log1p(-p), -100.0)  # log(1 - p) keeping the digits of a tiny p
    loss = -(y * log_p + (1 - y) * log_1mp)
    return loss if weight is None else loss * weight


def _weighted(grad: Any, weight: Any) -> Any:
    # The weight multiplies last, as in PyTorch: (slope * g) * w, never (g * w) * slope,
    # which overflows for a huge g and w where the slope is 0 (giving inf * 0 = nan).
    return grad if weight is None else grad * weight


_EPS = 1e-12  # PyTorch's: it keeps BCE's derivatives finite at p = 0 and p = 1


def _bce_slope(g: Any, p: Any, y: Any) -> Any:
    # d/dp = -y/p + (1-y)/(1-p) = (p - y) / (p (1 - p)); the denominator is kept
    # >= 1e-12 (as PyTorch), so p = 0 or 1 gives a large finite slope, not inf/nan.
    return g * (p - y) / np.maximum(p * (1 - p), _EPS)


def _bce_slope_vjp_g(gg: Any, out: Any, g: Any, p: Any, y: Any) -> Any:
    return gg * (p - y) / ((p + _EPS) * (1 - p + _EPS))


def _bce_slope_vjp_p(gg: Any, out: Any, g: Any, p: Any, y: Any) -> Any:
    # (p^2 - 2py + y) / (p^2 (1-p)^2), each factor eps-padded: PyTorch's second derivative
    return gg * g * (p * p - 2 * p * y + y) / ((p + _EPS) ** 2 * (1 - p + _EPS) ** 2)


def _bce_slope_vjp_y(gg: Any, out: Any, g: Any, p: Any, y: Any) -> Any:
    return -gg * g / maximum(p * (1 - p), _EPS)


# The first derivative as an op of its own, so that its derivatives (second derivatives
# of BCE) are PyTorch's formulas, which stay finite at the clamp p = 0 or 1 as well.
_bce_grad = Primitive("binary_cross_entropy_backward", quiet(_bce_slope), _bce_slope_vjp_g,
                      _bce_slope_vjp_p, _bce_slope_vjp_y)


def _bce_vjp_p(g: Any, out: Any, p: Any, y: Any, weight: Any = None) -> Any:
    return _weighted(_bce_grad(g, p, y), weight)


def _bce_vjp_y(g: Any, out: Any, p: Any, y: Any, weight: Any = None) -> Any:
    # d/dy = log(1 - p) - log(p), with the same clamped logs as the forward
    return _weighted(g * (maximum(log1p(-p), -100.0) - maximum(log(p), -100.0)), weight)


_bce = Primitive("binary_cross_entropy", quiet(_bce_forward), _bce_vjp_p, _bce_vjp_y, None)


def binary_cross_entropy(p: Any, y: Any, weight: Any = None) -> Any:
    """Per element -(y log p + (1 - y) log(1 - p)), each log clamped at -100 (PyTorch's rule).

    ``p`` holds probabilities, ``y`` targets in [0, 1]; both get a gradient. ``weight``
    (constants that broadcast) rescales each element's loss.
    """
    return _bce(p, y, weight)


def _bce_logits_forward(x: Any, y: Any, pos_weight: Any = None, weight: Any = None) -> Any:
    # -[w y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))] with log sigmoid(x) = -softplus(-x)
    # and log(1 - sigmoid(x)) = -softplus(x): two non-negative terms, so nothing cancels
    # (the shorter softplus(x) - x y loses every digit for x = 1e30, y near 1).
    positive = y if pos_weight is None else pos_weight * y
    loss = positive * _softplus_forward(-x) + (1 - y) * _softplus_forward(x)
    return loss if weight is None else loss * weight


def _bce_logits_vjp_x(g: Any, out: Any, x: Any, y: Any, pos_weight: Any = None,
                      weight: Any = None) -> Any:
    # d/dx = sigmoid(x) - y, or (w y + 1 - y) sigmoid(x) - w y: one factor times g (as
    # PyTorch), so an infinite g gives an infinite slope, not inf - inf = nan
    if pos_weight is None:
        return _weighted(g * (sigmoid(x) - y), weight)
    wy = pos_weight * y
    return _weighted(g * ((wy + 1 - y) * sigmoid(x) - wy), weight)


def _bce_logits_vjp_y(g: Any, out: Any, x: Any, y: Any, pos_weight: Any = None,
                      weight: Any = None) -> Any:
    # d/dy = w softplus(-x) - softplus(x), which is -x without pos_weight
    if pos_weight is None:
        return _weighted(-x * g, weight)
    return _weighted((pos_weight * softplus(-x) - softplus(x)) * g, weight)


_bce_logits = Primitive("binary_cross_entropy_with_logits", quiet(_bce_logits_forward),
                        _bce_logits_vjp_x, _bce_logits_vjp_y, None, None)


def binary_cross_entropy_with_logits(x: Any, y: Any, pos_weight: Any = None,
                                     weight: Any = None) -> Any:
    """Per element BCE(sigmoid(x), y), computed from the logits ``x`` without cancelling.

    ``pos_weight`` w weighs the positive class: ``w y softplus(-x) + (1 - y) softplus(x)``;
    ``weight`` rescales each element's loss (both constants that broadcast). The
    derivative is the famous ``sigmoid(x) - y``. ``x`` and ``y`` get gradients.
    """
    return _bce_logits(x, y, pos_weight, weight)


def _softmax_ce_forward(x: np.ndarray, labels: np.ndarray, reduction: str = "none"
                        ) -> np.ndarray:
    # loss_i = -log softmax(x_i)[y_i] = log sum_j e^(z_ij) - z_i[y_i] with z = x - max:
    # on the shifted numbers, so no exp overflows and logits of 1e30 keep their differences.
    z = _shift(x, 1)
    probs = np.exp(z)
    sums = _row_sum(probs, 1)
    per_row = np.log(sums)[:, 0] - z[np.arange(len(z)), labels]
    # The softmax is one division away; the derivative needs it, so it is the residual
    # (the same numbers _softmax_forward computes).
    probs /= sums
    if reduction == "mean":  # (sum / count is what .mean() computes, without its wrapper)
        return per_row.sum() / len(per_row), probs
    return (per_row.sum() if reduction == "sum" else per_row), probs


def _softmax_ce_vjp(g: Any, out: Any, x: Any, labels: np.ndarray, reduction: str = "none",
                    residual: np.ndarray | None = None) -> Any:
    # d loss_i / d x_i = softmax(x_i) - one_hot(y_i): push the true class's score up and
    # every other score down, in proportion to how much probability it takes.
    if type(x) is np.ndarray:  # a plain backward: the same, in one array of our own
        # the forward's softmax (its residual), copied: backward may run through again
        probs = _softmax_forward(x, 1) if residual is None else residual.copy()
        probs[np.arange(len(labels)), labels] -= 1
        if reduction == "none":
            probs *= g[:, None]
        else:
            probs *= g / len(labels) if reduction == "mean" else g
        return probs
    probs = softmax(x, axis=1)
    one_hot = np.zeros(np.shape(raw(x)), dtype=raw(probs).dtype)
    one_hot[np.arange(len(labels)), labels] = 1
    if reduction == "none":  # one upstream gradient per row
        g = expand_dims(g, -1)
    elif reduction == "mean":  # one for the mean: each row's loss counts 1/N
        g = g / len(labels)
    return g * (probs - one_hot)


_softmax_ce = Primitive("cross_entropy", quiet(_softmax_ce_forward), _softmax_ce_vjp, None,
                        residual=True)


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

__all__ = ["linear", "softplus", "binary_cross_entropy", "binary_cross_entropy_with_logits",
           "softmax_cross_entropy"]
