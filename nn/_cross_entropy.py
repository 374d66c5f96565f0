"""Cross-entropy for several classes: logits (N, C) against labels or probabilities.

Split from ``nn._loss_math`` (whose shared checks it uses) because it is the longest
loss and has a fast path of its own: for plain integer labels the whole loss is one
primitive whose derivative is the famous softmax(x) - one_hot(y).
"""

from __future__ import annotations

from typing import Any

import numpy as np

import tinygrad_dk as tg
from nn import _scalar_losses as scalar
from nn._loss_math import _as_input, _check_reduction, _reduce
from tinygrad_dk import Tensor, ops
from tinygrad_dk.autograd import Primitive

# --- multi-class classification ---------------------------------------------------------


def _labelled_forward(x: np.ndarray, labels: np.ndarray) -> np.ndarray:
    # loss_i = logsumexp(x_i) - x_i[y_i] = -log softmax(x_i)[y_i], with the stable
    # logsumexp: m + log(sum(exp(x - m))), m the row maximum, so no exp overflows and
    # logits of +-1000 give finite losses. (Near float32's limit x - m may overflow
    # to -inf, whose exp is the right 0: no warning wanted.)
    m = np.max(x, axis=1, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    with np.errstate(over="ignore", divide="ignore"):
        lse = np.log(np.sum(np.exp(x - m), axis=1)) + m[:, 0]
        return lse - x[np.arange(len(x)), labels]


def _labelled_vjp(g: Any, out: Any, x: Any, labels: np.ndarray) -> Any:
    # d loss_i / d x_i = softmax(x_i) - one_hot(y_i): push the true class's score up and
    # every other score down, in proportion to how much probability it takes.
    # softmax(x_i) = exp(x_i - logsumexp(x_i)), and logsumexp(x_i) = loss_i + x_i[y_i],
    # so the forward result gives it back without a second pass over the exponentials.
    # Written with tg ops, so it also runs on Tensors for second derivatives.
    rows = np.arange(len(labels))
    lse = out + x[rows, labels]
    probs = tg.exp(x - ops.expand_dims(lse, -1))
    one_hot = np.zeros(np.shape(getattr(x, "data", x)), dtype=probs.dtype)
    one_hot[rows, labels] = 1
    return ops.expand_dims(g, -1) * (probs - one_hot)


# Per-example cross-entropy of logits (N, C) with integer labels (N,), fused.
_labelled_cross_entropy = Primitive(
    "cross_entropy", _labelled_forward, _labelled_vjp, None
)


def _class_targets(target: Any, n: int, c: int) -> tuple[str, Any]:
    """Sort the target into ('index', int array (N,)) or ('prob', float (N, C))."""
    data = target.data if isinstance(target, Tensor) else np.asarray(target)
    if data.dtype.kind in "iu":
        if data.shape != (n,):
            raise ValueError(
                f"cross_entropy: integer class targets must have shape (N,) = ({n},), got "
                f"{data.shape}; for class probabilities give floats of shape (N, C) = ({n}, {c})"
            )
        bad = data[(data < 0) | (data >= c)]
        if bad.size:
            raise ValueError(
                f"cross_entropy: class label {int(bad[0])} is out of range: the input has "
                f"C = {c} classes, so labels must be 0 .. {c - 1} (did you number classes "
                "from 1? subtract 1)"
            )
        return "index", data.astype(np.intp)
    if data.dtype.kind == "f":
        if data.shape != (n, c):
            raise ValueError(
                f"cross_entropy: float targets are read as class probabilities and must have "
                f"shape (N, C) = ({n}, {c}), got {data.shape}. If they are class labels, pass "
                "integers: np.asarray(y, dtype=int) or Tensor(y, dtype=np.int64)"
            )
        return "prob", target
    raise TypeError(
        f"cross_entropy: targets of dtype {data.dtype} are neither integer class labels nor "
        "float class probabilities"
    )


def cross_entropy(input: Any, target: Any, weight: Any = None, label_smoothing: float = 0.0,
                  reduction: str = "mean") -> Tensor:
    """Cross-entropy of logits (N, C) against class labels (N,) or probabilities (N, C).

    loss_i = -log softmax(x_i)[y_i]: the negative log-probability of the true
    class, computed with log_softmax (x - logsumexp(x)), which is stable for any
    logits. Give raw scores: the softmax is built in.

    * ``weight`` (C,): class weights; loss_i is multiplied by w[y_i] and 'mean'
      divides by sum_i w[y_i] (PyTorch's weighted mean), so rare classes count more.
    * ``label_smoothing`` eps: the target becomes (1 - eps) one-hot + eps / C
      uniform, which discourages over-confident logits.
    * probability targets q (N, C): loss_i = -sum_c w_c q_ic log softmax(x_i)_c;
      'mean' divides by N.

    For the scalar engine, ``input`` may be rows of Values (N lists of C) with
    integer labels (probability targets are Tensor-only).
    """
    if scalar.is_scalar_rows(input):
        return scalar.cross_entropy(input, target, weight, label_smoothing, reduction)
    name = "cross_entropy"
    _check_reduction(name, reduction)
    x = _as_input(input, name, "scores (logits)")
    single = x.ndim == 1  # one example of C scores, as PyTorch allows
    if single:
        x = x.reshape(1, -1)
        t = target if isinstance(target, Tensor) else np.asarray(target)
        target = t.reshape(1, -1) if t.dtype.kind == "f" else t.reshape(-1)
    if x.ndim != 2:
        raise ValueError(f"{name}: input must have shape (N, C) (or (C,)), got {x.shape}")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{name}: label_smoothing must be in [0, 1], got {label_smoothing!r}")
    n, c = x.shape
    kind, y = _class_targets(target, n, c)
    w = None
    if weight is not None:
        w = np.asarray(getattr(weight, "data", weight), dtype=x.dtype)
        if w.shape != (c,):
            raise ValueError(f"{name}: weight must have one entry per class, shape ({c},), "
                             f"got {w.shape}")
    eps = float(label_smoothing)
    if kind == "index" and w is None and not eps:
        per = _labelled_cross_entropy(x, y)  # the common case, as one fused op
        loss = _reduce(per, reduction)
        return loss.reshape(()) if single and reduction == "none" else loss
    log_p = tg.log_softmax(x, axis=1)
    if kind == "prob":
        q = y if isinstance(y, Tensor) and y.dtype == x.dtype else tg.Tensor(
            np.asarray(getattr(y, "data", y)), dtype=x.dtype)
        if eps:
            q = q * (1 - eps) + eps / c
        per = -(log_p * q * w).sum(axis=1) if w is not None else -(log_p * q).sum(axis=1)
        loss = per.mean() if reduction == "mean" else _reduce(per, reduction)
        return loss.reshape(()) if single and reduction == "none" else loss
    picked = -log_p[np.arange(n), y]  # -log p(true class) for each example
    w_y = w[y] if w is not None else None
    nll = picked * w_y if w is not None else picked
    if eps:
        smooth = -(log_p * w).sum(axis=1) if w is not None else -log_p.sum(axis=1)
        per = (1 - eps) * nll + (eps / c) * smooth
    else:
        per = nll
    if reduction == "mean":
        return per.sum() / w_y.sum() if w is not None else per.mean()
    loss = _reduce(per, reduction)
    return loss.reshape(()) if single and reduction == "none" else loss
