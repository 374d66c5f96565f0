"""The loss formulas of the Tensor engine, one small function per loss.

``nn.functional`` checks the arguments that do not depend on the engine, picks the
engine, and then calls three things from here: ``prepare`` (the prediction as a
floating-point Tensor and the target in a matching form), one formula (a loss per
element) and ``reduce``. The class losses ``cross_entropy`` and ``nll`` sort out their
targets and take the reduction themselves (a weighted mean with class weights), so
that cross-entropy's common case (integer labels, a mean) is one fused operation. The
same names exist for lists of Values in ``nn.scalar_losses``, so adding a loss means one
formula in each file and one line in ``nn.functional``.

Losses never broadcast silently: a prediction of shape (N, 1) against targets of
shape (N,) would broadcast to an (N, N) matrix of differences in numpy, a classic
bug that trains a model to predict the mean. Shapes must match exactly.

The stable building blocks (``softplus``, ``log_softmax``, the fused
``softmax_cross_entropy``, the clamped ``binary_cross_entropy``) are engine
operations from ``tinygrad_dk``, each written once there.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import tinygrad_dk as tg
from tinygrad_dk import Tensor

# --- getting the arguments into shape ---------------------------------------------------


def as_input(x: Any, name: str, what: str = "predictions") -> Tensor:
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


def like_input(x: Tensor, target: Any, name: str) -> Any:
    """``target`` with the input's shape and dtype (a Tensor target keeps its gradient)."""
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


def prepare(input: Any, target: Any, name: str, what: str = "predictions") -> tuple[Tensor, Any]:
    """Input and a target of exactly the same shape, as the elementwise losses need."""
    x = as_input(input, name, what)
    return x, like_input(x, target, name)


def class_targets(x: Tensor, target: Any, name: str) -> tuple[str, Any]:
    """Sort a cross-entropy target into ('index', int labels) or ('prob', float (…, C)).

    ``x`` has shape (N, C), or (C,) for a single example.
    """
    c = x.shape[-1]
    n = x.shape[0] if x.ndim == 2 else None
    data = target.data if isinstance(target, Tensor) else np.asarray(target)
    labels_shape = (n,) if n is not None else ()
    if data.dtype.kind in "iu":
        if n is None and data.ndim == 1 and len(data) > 1:  # a batch given as one row
            raise ValueError(
                f"{name}: a batch of N examples needs scores of shape (N, C) and integer class "
                f"labels of shape (N,); got one row of {x.shape[0]} scores and {len(data)} "
                "labels. Give the model's output for the whole batch, e.g. scores of shape "
                f"({len(data)}, C), or one label for one row of scores"
            )
        if data.shape != labels_shape and not (n is None and data.shape == (1,)):
            raise ValueError(
                f"{name}: integer class targets must have shape (N,) = {labels_shape}, got "
                f"{data.shape}; for class probabilities give floats of the scores' shape "
                f"{x.shape}"
            )
        if data.size and (data.min() < 0 or data.max() >= c):  # (two passes, no mask)
            bad = data[(data < 0) | (data >= c)]
            raise ValueError(
                f"{name}: class label {int(bad.reshape(-1)[0])} is out of range: the input has "
                f"C = {c} classes, so labels must be 0 .. {c - 1} (did you number classes "
                "from 1? subtract 1)"
            )
        return "index", data.astype(np.intp).reshape(labels_shape)  # a copy: the graph keeps it
    if data.dtype.kind == "f":
        if data.shape != x.shape:
            raise ValueError(
                f"{name}: float targets are read as class probabilities and must have "
                f"shape (N, C) = {x.shape}, got {data.shape}. If they are class labels, pass "
                "integers: np.asarray(y, dtype=int) or Tensor(y, dtype=np.int64)"
            )
        return "prob", target if isinstance(target, Tensor) else data.astype(x.dtype)
    raise TypeError(
        f"{name}: targets of dtype {data.dtype} are neither integer class labels nor "
        "float class probabilities"
    )


def class_weights(weight: Any, x: Tensor, name: str) -> np.ndarray | None:
    """A weight per class for scores ``x`` of shape (N, C): an array (C,) in x's dtype, or None."""
    if weight is None:
        return None
    w = np.asarray(getattr(weight, "data", weight), dtype=x.dtype)
    c = x.shape[1]
    if w.shape != (c,):
        raise ValueError(f"{name}: weight must have one entry per class, shape ({c},), "
                         f"got {w.shape}")
    return w


def weight_like(weight: Any, x: Tensor, name: str) -> np.ndarray:
    """A rescaling weight (number, array or Tensor) as data of x's dtype; no gradient."""
    w = np.asarray(getattr(weight, "data", weight), dtype=x.dtype)
    try:
        np.broadcast_shapes(w.shape, x.shape)
    except ValueError:
        raise ValueError(f"{name}: weight of shape {w.shape} does not broadcast against the "
                         f"input of shape {x.shape}") from None
    return w


def numbers(x: Any) -> np.ndarray:
    """The numbers inside an input or target, for checks (no graph)."""
    return np.asarray(getattr(x, "data", x))


def reduce(losses: Tensor, reduction: str, weights: Any = None) -> Tensor:
    """'mean' (divided by the number of losses, or by the sum of ``weights``), 'sum', 'none'."""
    if reduction == "none":
        return losses
    if reduction == "sum":
        return losses.sum()
    if weights is None:
        return losses.mean()
    return losses.sum() / np.sum(weights, dtype=losses.dtype)


# --- the formulas: a loss per element (per example for cross-entropy) -----------------


def mse(x: Tensor, y: Any) -> Tensor:
    d = x - y
    return d * d


def l1(x: Tensor, y: Any) -> Tensor:
    return tg.abs(x - y)


def huber(x: Tensor, y: Any, delta: float) -> Tensor:
    d = x - y
    a = tg.abs(d)
    small = np.asarray(a.data) < delta
    # The quadratic piece sees d only where it is chosen (0 elsewhere): an unchosen
    # d = inf would otherwise give the gradient 0 * inf = nan instead of +-delta.
    d_small = tg.where(small, d, 0.0)
    return tg.where(small, 0.5 * d_small * d_small, delta * (a - 0.5 * delta))


def binary_cross_entropy(p: Tensor, y: Any, weight: Any) -> Tensor:
    w = None if weight is None else weight_like(weight, p, "binary_cross_entropy")
    return tg.binary_cross_entropy(p, y, w)


def binary_cross_entropy_with_logits(x: Tensor, y: Any, weight: Any, pos_weight: Any) -> Tensor:
    # -[p y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))] with log sigmoid(x) = -softplus(-x)
    # and log(1 - sigmoid(x)) = -softplus(x): a sum of two non-negative terms, so nothing
    # cancels (the shorter softplus(x) - x y loses every digit for x = 1e30, y near 1).
    name = "binary_cross_entropy_with_logits"
    pw = None if pos_weight is None else weight_like(pos_weight, x, name)
    w = None if weight is None else weight_like(weight, x, name)
    return tg.binary_cross_entropy_with_logits(x, y, pw, w)


def hinge(x: Tensor, y: Any) -> Tensor:
    return tg.relu(1 - y * x)


def _variance_like(x: Tensor, var: Any) -> Tensor:
    """``var`` brought to the input's shape by PyTorch's rules (or a clear error)."""
    v = var if isinstance(var, Tensor) else Tensor(np.asarray(var, dtype=x.dtype))
    if v.shape == x.shape:
        return v
    if v.shape == x.shape[:-1]:  # one variance per example, without the last axis
        v = v.reshape(*v.shape, 1)
    if v.shape[:-1] == x.shape[:-1] and v.shape[-1:] == (1,):
        return v * np.ones(x.shape[-1:], dtype=x.dtype)
    raise ValueError(f"gaussian_nll_loss: var has shape {v.shape}, but the input has shape "
                     f"{x.shape}; give one variance per prediction {x.shape}, or "
                     f"{x.shape[:-1] + (1,)} for one variance per example")


def gaussian_nll(x: Tensor, y: Any, var: Any, full: bool, eps: float) -> Tensor:
    # 0.5 (log var + (x - y)^2 / var) [+ 0.5 log 2 pi]. var is raised to at least eps for
    # the value only (as PyTorch): the gradient passes as if nothing had been clamped.
    v = _variance_like(x, var)
    v = v + (np.maximum(v.data, eps) - v.data)
    d = x - y
    loss = 0.5 * (tg.log(v) + d * d / v)
    return loss + 0.5 * math.log(2 * math.pi) if full else loss  # a Python float keeps float32


def cross_entropy(x: Tensor, target: Any, weight: Any, label_smoothing: float,
                  reduction: str) -> Tensor:
    """Per-example -sum_c w_c q_c log softmax(x)_c, reduced (a weighted mean with ``weight``).

    For plain integer labels this is the fused ``softmax_cross_entropy``, reduction
    included: the whole loss is one graph node.
    """
    kind, y = class_targets(x, target, "cross_entropy")
    single = x.ndim == 1
    if single:  # one example of C scores, as PyTorch allows
        x = x.reshape(1, -1)
        y = y.reshape(1) if kind == "index" else y.reshape(1, -1)
    c = x.shape[1]
    w = class_weights(weight, x, "cross_entropy")
    eps = float(label_smoothing)
    divide_by = None
    if kind == "index" and w is None and not eps:  # the common case, as one fused op
        loss = tg.softmax_cross_entropy(x, y, reduction=reduction)
        return loss.reshape(()) if single and reduction == "none" else loss
    log_p = tg.log_softmax(x, axis=1)
    if kind == "index":
        rows = np.arange(len(y))
        nll = -log_p[rows, y] if w is None else -log_p[rows, y] * w[y]
        divide_by = None if w is None else w[y]  # PyTorch's weighted mean
        if eps:
            smooth = -(log_p * w).sum(axis=1) if w is not None else -log_p.sum(axis=1)
            nll = (1 - eps) * nll + (eps / c) * smooth
        per = nll
    else:
        q = y if isinstance(y, Tensor) and y.dtype == x.dtype else Tensor(
            numbers(y), dtype=x.dtype)
        if eps:
            q = q * (1 - eps) + eps / c
        per = -(log_p * q * w).sum(axis=1) if w is not None else -(log_p * q).sum(axis=1)
    return reduce(per.reshape(()) if single else per, reduction, divide_by)


def nll(x: Tensor, target: Any, weight: Any, reduction: str) -> Tensor:
    """Per-example -x[i, y_i] (times w[y_i]) of log-probabilities x, reduced (a weighted
    mean with ``weight``)."""
    kind, y = class_targets(x, target, "nll_loss")
    if kind != "index":
        raise TypeError("nll_loss: targets must be integer class labels of shape (N,); for "
                        "class probabilities use cross_entropy on the raw scores")
    single = x.ndim == 1
    if single:
        x, y = x.reshape(1, -1), y.reshape(1)
    w = class_weights(weight, x, "nll_loss")
    picked = -x[np.arange(len(y)), y]
    per = picked if w is None else picked * w[y]
    return reduce(per.reshape(()) if single else per, reduction, None if w is None else w[y])
