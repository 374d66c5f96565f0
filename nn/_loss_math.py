"""The loss formulas (re-exported by ``nn.functional``), with PyTorch's definitions.

Every loss compares a prediction ``input`` with a ``target``, computes one loss per
element (or per example) and reduces them: ``reduction='mean'`` (default) averages,
``'sum'`` adds, ``'none'`` returns them all.

Losses never broadcast silently: a prediction of shape (N, 1) against targets of
shape (N,) would broadcast to an (N, N) matrix of differences in numpy, a classic
bug that trains a model to predict the mean. Shapes must match exactly.

``input`` may also be a list of scalar ``Value`` objects (targets: numbers or
Values); then the scalar engine computes the same formula and returns one Value
(see ``nn._scalar_losses``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

import tinygrad_dk as tg
from nn import _scalar_losses as scalar
from tinygrad_dk import Tensor
from tinygrad_dk.autograd import Primitive

_REDUCTIONS = ("mean", "sum", "none")


# --- shared checks ------------------------------------------------------------------------


def _check_reduction(name: str, reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(
            f"{name}: reduction must be one of 'mean', 'sum', 'none'; got {reduction!r}"
        )


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _as_input(x: Any, name: str, what: str = "predictions") -> Tensor:
    """The prediction as a floating-point Tensor (numpy arrays and lists are wrapped)."""
    if not isinstance(x, Tensor):
        x = Tensor(x)
    if x.dtype.kind != "f":
        raise TypeError(
            f"{name}: the input has dtype {x.dtype}, but it must hold floating-point {what}; "
            "convert it with Tensor(x, dtype=np.float32) (or float64)"
        )
    if x.size == 0:
        raise ValueError(
            f"{name}: the batch is empty (input shape {x.shape}); a loss needs at least one "
            "example (check the data loader or the train/validation split)"
        )
    return x


def _shape_error(name: str, a: tuple, b: tuple) -> ValueError:
    hint = ""
    if len(a) == len(b) + 1 and a[-1] == 1 and a[:-1] == b:
        hint = " The model gives one column (N, 1): use input.reshape(-1) or target.reshape(-1, 1)."
    elif len(b) == len(a) + 1 and b[-1] == 1 and b[:-1] == a:
        hint = " The target has one column (N, 1): use target.reshape(-1) or input.reshape(-1, 1)."
    return ValueError(
        f"{name}: input has shape {a} but target has shape {b}; they must be equal. Losses do "
        "not broadcast silently: (N, 1) against (N,) would compare every prediction with "
        f"every target.{hint}"
    )


def _as_target(x: Tensor, target: Any, name: str) -> Any:
    """The target with the input's shape and dtype (a Tensor target keeps its gradient)."""
    if isinstance(target, Tensor):
        if target.shape != x.shape:
            raise _shape_error(name, x.shape, target.shape)
        if target.dtype.kind == "b":
            target = Tensor(target.data, dtype=x.dtype)
        return target if target.dtype == x.dtype else target.astype(x.dtype)
    arr = np.asarray(target)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name}: the target must be numbers, got dtype {arr.dtype}")
    if arr.shape != x.shape:
        raise _shape_error(name, x.shape, arr.shape)
    return arr.astype(x.dtype)


def _check_range(name: str, arr: Any, what: str, hint: str) -> None:
    data = np.asarray(getattr(arr, "data", arr))
    if np.any(np.isnan(data)) or np.any(data < 0) or np.any(data > 1):
        raise ValueError(
            f"{name}: {what} must lie in [0, 1], but they range from {np.nanmin(data):g} to "
            f"{np.nanmax(data):g} (nan: {bool(np.any(np.isnan(data)))}).{hint}"
        )


def _pair(input: Any, target: Any, name: str, reduction: str) -> tuple[Tensor, Any]:
    _check_reduction(name, reduction)
    x = _as_input(input, name)
    return x, _as_target(x, target, name)


# --- regression ---------------------------------------------------------------------------


def mse_loss(input: Any, target: Any, reduction: str = "mean") -> Any:
    """Mean squared error: mean((input - target)^2).

    Squaring punishes large errors much more than small ones, so a few outliers
    dominate the loss. Its gradient, 2 (input - target) / N, shrinks as the
    prediction gets close.
    """
    if scalar.is_scalar_input(input):
        return scalar.mse_loss(input, target, reduction)
    x, y = _pair(input, target, "mse_loss", reduction)
    d = x - y
    return _reduce(d * d, reduction)


def l1_loss(input: Any, target: Any, reduction: str = "mean") -> Any:
    """Mean absolute error (MAE): mean(|input - target|).

    Every unit of error costs the same, so outliers pull less than in MSE; the
    gradient is always +-1 / N (0 exactly at the target, as PyTorch).
    """
    if scalar.is_scalar_input(input):
        return scalar.l1_loss(input, target, reduction)
    x, y = _pair(input, target, "l1_loss", reduction)
    return _reduce(tg.abs(x - y), reduction)


def huber_loss(input: Any, target: Any, reduction: str = "mean", delta: float = 1.0) -> Any:
    """Huber loss: quadratic near the target, linear far away.

    With d = input - target: 0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta).
    The two pieces meet with the same value and slope at |d| = delta, so it is MSE
    for small errors and (delta times) MAE for outliers.
    """
    if not delta > 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta!r}")
    if scalar.is_scalar_input(input):
        return scalar.huber_loss(input, target, reduction, delta)
    x, y = _pair(input, target, "huber_loss", reduction)
    d = x - y
    a = tg.abs(d)
    small = np.asarray(a.data) < delta
    # The quadratic piece sees d only where it is chosen (0 elsewhere): an unchosen
    # d = inf would otherwise give the gradient 0 * inf = nan instead of +-delta.
    d_small = tg.where(small, d, 0.0)
    return _reduce(tg.where(small, 0.5 * d_small * d_small, delta * (a - 0.5 * delta)), reduction)


# --- binary classification -------------------------------------------------------------


def _bce_forward(p: Any, y: Any) -> Any:
    # -(y log p + (1 - y) log(1 - p)), each log clamped at -100 as PyTorch does,
    # so p = 0 or p = 1 gives a large but finite loss instead of inf.
    with np.errstate(divide="ignore", invalid="ignore"):
        log_p = np.maximum(np.log(p), -100.0)
        log_1mp = np.maximum(np.log(1 - p), -100.0)
    return -(y * log_p + (1 - y) * log_1mp)


def _bce_vjp_p(g: Any, out: Any, p: Any, y: Any) -> Any:
    # d/dp = -y/p + (1-y)/(1-p) = (p - y) / (p (1 - p)); the denominator is kept
    # >= 1e-12 (as PyTorch), so p = 0 or 1 gives a large finite slope, not inf/nan.
    return g * (p - y) / tg.maximum(p * (1 - p), 1e-12)


def _bce_vjp_y(g: Any, out: Any, p: Any, y: Any) -> Any:
    # d/dy = log(1 - p) - log(p), with the same clamped logs as the forward
    return g * (tg.clip(tg.log(1 - p), -100.0, None) - tg.clip(tg.log(p), -100.0, None))


_bce = Primitive("binary_cross_entropy", _bce_forward, _bce_vjp_p, _bce_vjp_y)


def _as_weight(weight: Any, x: Tensor) -> Any:
    """A rescaling weight (number, array or Tensor) as data of x's dtype; no gradient."""
    w = np.asarray(getattr(weight, "data", weight), dtype=x.dtype)
    try:
        np.broadcast_shapes(w.shape, x.shape)
    except ValueError:
        raise ValueError(
            f"weight of shape {w.shape} does not broadcast against the input of shape {x.shape}"
        ) from None
    return w


def binary_cross_entropy(input: Any, target: Any, weight: Any = None,
                         reduction: str = "mean") -> Any:
    """Binary cross-entropy on probabilities: -(y log p + (1 - y) log(1 - p)).

    ``input`` holds probabilities p in [0, 1] (a sigmoid output), ``target`` the
    labels y (0 or 1, or soft labels in between). It is the negative log of the
    probability the model gave the true label. Each log is clamped at -100 (as
    PyTorch) so p = 0 or 1 stays finite. ``weight`` rescales each element.
    Prefer ``binary_cross_entropy_with_logits`` on raw scores: it is more stable.
    """
    if scalar.is_scalar_input(input):
        return scalar.binary_cross_entropy(input, target, weight, reduction)
    _check_reduction("binary_cross_entropy", reduction)
    x = _as_input(input, "binary_cross_entropy", "probabilities in [0, 1]")
    y = _as_target(x, target, "binary_cross_entropy")
    _check_range("binary_cross_entropy", x, "input probabilities",
                 " If these are raw scores (logits), use binary_cross_entropy_with_logits "
                 "(BCEWithLogitsLoss), which applies the sigmoid itself, stably.")
    _check_range("binary_cross_entropy", y, "targets", " Use labels 0 and 1.")
    loss = _bce(x, y)
    if weight is not None:
        loss = loss * _as_weight(weight, x)
    return _reduce(loss, reduction)


def _softplus_forward(z: Any) -> Any:
    # log(1 + e^z) = max(z, 0) + log(1 + e^-|z|): the exp never sees a positive number,
    # so z = 1000 gives 1000 (not inf) and z = -1000 gives 0.
    return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


# softplus'(z) = e^z / (1 + e^z) = sigmoid(z), smooth everywhere (also at z = 0, where
# the max and |z| of the forward have kinks), so second derivatives are exact too.
_softplus = Primitive("softplus", _softplus_forward, lambda g, out, z: g * tg.sigmoid(z))


def binary_cross_entropy_with_logits(input: Any, target: Any, weight: Any = None,
                                     reduction: str = "mean", pos_weight: Any = None) -> Any:
    """Binary cross-entropy on raw scores (logits) x, with the sigmoid built in.

    Mathematically BCE(sigmoid(x), y), but computed in the stable form

        max(x, 0) - x y + log(1 + exp(-|x|))

    which never exponentiates a large positive number and never takes log(0): it
    is finite (with finite gradient sigmoid(x) - y) even at x = +-1000.
    ``pos_weight`` p multiplies the loss of the positive class (as PyTorch):
    -[p y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))]; p > 1 raises recall on
    imbalanced data. It broadcasts along the last axis (one weight per output).
    ``weight`` rescales each element.
    """
    if scalar.is_scalar_input(input):
        return scalar.binary_cross_entropy_with_logits(input, target, weight, reduction,
                                                       pos_weight)
    name = "binary_cross_entropy_with_logits"
    _check_reduction(name, reduction)
    x = _as_input(input, name, "scores (logits)")
    y = _as_target(x, target, name)
    _check_range(name, y, "targets", " Use labels 0 and 1.")
    if pos_weight is None:
        # max(x, 0) - x y + log(1 + exp(-|x|)), i.e. softplus(x) - x y
        loss = _softplus(x) - x * y
    else:
        # -log sigmoid(x) = softplus(-x) and -log(1 - sigmoid(x)) = x + softplus(-x), so
        # p y softplus(-x) + (1 - y)(x + softplus(-x)) = (1 - y) x + (1 + (p - 1) y) softplus(-x)
        log_weight = 1 + (_as_weight(pos_weight, x) - 1) * y
        loss = (1 - y) * x + log_weight * _softplus(-x)
    if weight is not None:
        loss = loss * _as_weight(weight, x)
    return _reduce(loss, reduction)


def hinge_loss(input: Any, target: Any, reduction: str = "mean") -> Any:
    """Max-margin (hinge) loss: mean(relu(1 - y * score)) with labels y in {-1, +1}.

    Zero once an example is on the right side with margin y * score >= 1, linear
    otherwise: the loss of a support vector machine. Labels 0/1 become -1/+1 with
    ``2 * y - 1``.
    """
    if scalar.is_scalar_input(input):
        return scalar.hinge_loss(input, target, reduction)
    x, y = _pair(input, target, "hinge_loss", reduction)
    labels = np.asarray(getattr(y, "data", y))
    if not np.all((labels == 1) | (labels == -1)):
        bad = labels[(labels != 1) & (labels != -1)][0]
        raise ValueError(
            f"hinge_loss: targets must be -1 or +1, found {bad:g}; turn 0/1 labels into -1/+1 "
            "with 2 * y - 1"
        )
    return _reduce(tg.relu(1 - y * x), reduction)
