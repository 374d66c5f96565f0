"""The losses for the scalar engine: lists of ``Value`` predictions, one ``Value`` out.

``nn.functional.mse_loss`` and friends come here when their input is a Value or a
list holding Values, so ``F.mse_loss([v1, v2], [1.0, 0.0])`` trains a scalar
``nn.MLP`` with the same formula the Tensor engine uses. Each loss is written
with Value operations only, so ``loss.backward()`` reaches every prediction, and
the stable forms are the same as in ``nn._loss_math``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from tinygrad_dk import Value


def is_scalar_input(x: Any) -> bool:
    """True for a Value or a list/tuple holding at least one Value."""
    if isinstance(x, Value):
        return True
    return isinstance(x, (list, tuple)) and any(isinstance(v, Value) for v in x)


def _values(x: Any) -> list[Value]:
    items = [x] if isinstance(x, Value) else list(x)
    return [v if isinstance(v, Value) else Value(v) for v in items]


def _targets(target: Any, n: int, name: str) -> list[Any]:
    """Targets as a list of n numbers or Values (a Tensor or array is unpacked)."""
    if isinstance(target, (list, tuple)):
        items = list(target)
    elif isinstance(target, Value):
        items = [target]
    else:
        items = np.asarray(getattr(target, "data", target), dtype=float).reshape(-1).tolist()
    if len(items) != n:
        raise ValueError(
            f"{name}: {n} prediction(s) but {len(items)} target(s); give one target per "
            "prediction (losses do not broadcast silently)"
        )
    for t in items:
        if not isinstance(t, (Value, int, float, np.integer, np.floating)):
            raise TypeError(f"{name}: targets must be numbers or Values, got {type(t).__name__}")
    return items


def _prepare(input: Any, target: Any, name: str, reduction: str) -> tuple[list, list]:
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(
            f"{name}: reduction must be one of 'mean', 'sum', 'none'; got {reduction!r}"
        )
    xs = _values(input)
    if not xs:
        raise ValueError(f"{name}: the batch is empty; a loss needs at least one prediction")
    return xs, _targets(target, len(xs), name)


def _number(v: Any) -> float:
    return v.data if isinstance(v, Value) else float(v)


def _reduce(losses: Sequence[Value], reduction: str) -> Any:
    if reduction == "none":
        return list(losses)
    total = losses[0]
    for term in losses[1:]:
        total = total + term
    return total / len(losses) if reduction == "mean" else total


def _weights(weight: Any, n: int, name: str) -> list[float]:
    if weight is None:
        return [1.0] * n
    w = np.broadcast_to(np.asarray(getattr(weight, "data", weight), dtype=float), (n,))
    return w.tolist()


def mse_loss(input: Any, target: Any, reduction: str = "mean") -> Any:
    """mean((x - y)^2) over lists of Values."""
    xs, ys = _prepare(input, target, "mse_loss", reduction)
    return _reduce([(x - y) ** 2 for x, y in zip(xs, ys)], reduction)


def l1_loss(input: Any, target: Any, reduction: str = "mean") -> Any:
    """mean(|x - y|) over lists of Values."""
    xs, ys = _prepare(input, target, "l1_loss", reduction)
    return _reduce([(x - y).abs() for x, y in zip(xs, ys)], reduction)


def huber_loss(input: Any, target: Any, reduction: str = "mean", delta: float = 1.0) -> Any:
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta), with d = x - y."""
    xs, ys = _prepare(input, target, "huber_loss", reduction)
    losses = []
    for x, y in zip(xs, ys):
        d = x - y
        losses.append(0.5 * d * d if abs(d.data) < delta else delta * (d.abs() - 0.5 * delta))
    return _reduce(losses, reduction)


def _clamped_log(v: Value) -> Value:
    """log(v), but never below -100 (as PyTorch's BCE), so p = 0 or 1 stays finite.

    Where the clamp acts, the result is the constant -100: its slope is 0, as for
    any clamp. (The Tensor version instead follows PyTorch's gradient formula,
    which is only different in that extreme case.)
    """
    if v.data > 0 and math.log(v.data) > -100.0:
        return v.log()
    return Value(-100.0)


def binary_cross_entropy(input: Any, target: Any, weight: Any = None,
                         reduction: str = "mean") -> Any:
    """-(y log p + (1 - y) log(1 - p)) over lists of Value probabilities."""
    name = "binary_cross_entropy"
    ps, ys = _prepare(input, target, name, reduction)
    for p in ps:
        if not 0.0 <= p.data <= 1.0:
            raise ValueError(
                f"{name}: input probabilities must lie in [0, 1], got {p.data:g}; for raw "
                "scores (logits) use binary_cross_entropy_with_logits"
            )
    ws = _weights(weight, len(ps), name)
    losses = [-(y * _clamped_log(p) + (1 - y) * _clamped_log(1 - p)) * w
              for p, y, w in zip(ps, ys, ws)]
    return _reduce(losses, reduction)


def _softplus(z: Value) -> Value:
    """log(1 + e^z), written so that exp only ever sees a number <= 0.

    For z >= 0: log(1 + e^z) = z + log(1 + e^-z); for z < 0 the plain form is safe.
    Both branches have the exact slope sigmoid(z), also at z = 0.
    """
    if z.data >= 0:
        return z + (1 + (-z).exp()).log()
    return (1 + z.exp()).log()


def binary_cross_entropy_with_logits(input: Any, target: Any, weight: Any = None,
                                     reduction: str = "mean", pos_weight: Any = None) -> Any:
    """BCE on Value logits x: (1 - y) x + (1 + (p - 1) y) softplus(-x); p = pos_weight."""
    name = "binary_cross_entropy_with_logits"
    xs, ys = _prepare(input, target, name, reduction)
    ws = _weights(weight, len(xs), name)
    pw = 1.0 if pos_weight is None else pos_weight
    pws = _weights(pw, len(xs), name)
    losses = []
    for x, y, w, p in zip(xs, ys, ws, pws):
        log_weight = 1 + (p - 1) * y
        losses.append(((1 - y) * x + log_weight * _softplus(-x)) * w)
    return _reduce(losses, reduction)


def hinge_loss(input: Any, target: Any, reduction: str = "mean") -> Any:
    """mean(relu(1 - y * score)) with labels y in {-1, +1}, over lists of Values."""
    xs, ys = _prepare(input, target, "hinge_loss", reduction)
    for y in ys:
        if _number(y) not in (-1.0, 1.0):
            raise ValueError(
                f"hinge_loss: targets must be -1 or +1, found {_number(y):g}; turn 0/1 labels "
                "into -1/+1 with 2 * y - 1"
            )
    return _reduce([(1 - y * x).relu() for x, y in zip(xs, ys)], reduction)


def is_scalar_rows(x: Any) -> bool:
    """True for one row of Values (C scores) or a list of such rows (N x C)."""
    if is_scalar_input(x):
        return True
    return isinstance(x, (list, tuple)) and bool(x) and all(is_scalar_input(r) for r in x)


def _log_softmax_row(row: list[Value]) -> list[Value]:
    """x_i - log(sum_j e^(x_j)), shifted by the largest score so no exp overflows."""
    m = max(v.data for v in row)  # a constant: the identity holds for any shift
    total = (row[0] - m).exp()
    for v in row[1:]:
        total = total + (v - m).exp()
    lse = total.log() + m
    return [v - lse for v in row]


def cross_entropy(input: Any, target: Any, weight: Any = None, label_smoothing: float = 0.0,
                  reduction: str = "mean") -> Any:
    """-log softmax(scores)[label] for rows of Value scores and integer labels."""
    name = "cross_entropy"
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(
            f"{name}: reduction must be one of 'mean', 'sum', 'none'; got {reduction!r}"
        )
    single = is_scalar_input(input)
    rows = [_values(input)] if single else [_values(r) for r in input]
    labels = [target] if single and np.ndim(target) == 0 else list(np.asarray(target).ravel())
    if len(labels) != len(rows):
        raise ValueError(f"{name}: {len(rows)} row(s) of scores but {len(labels)} label(s)")
    c = len(rows[0])
    ws = [1.0] * c if weight is None else [float(w) for w in np.asarray(weight).ravel()]
    if len(ws) != c:
        raise ValueError(f"{name}: weight must have one entry per class ({c}), got {len(ws)}")
    eps = float(label_smoothing)
    losses, w_sum = [], 0.0
    for row, y in zip(rows, labels):
        if len(row) != c:
            raise ValueError(f"{name}: every row needs {c} scores, got one with {len(row)}")
        if isinstance(y, (float, np.floating)) and y != int(y) or not 0 <= int(y) < c:
            raise ValueError(f"{name}: class label {y} is out of range: labels must be integers "
                             f"0 .. {c - 1} for C = {c} classes")
        y = int(y)
        log_p = _log_softmax_row(row)
        loss = -log_p[y] * ws[y] * (1 - eps)
        if eps:
            smooth = log_p[0] * ws[0]
            for lp, w in zip(log_p[1:], ws[1:]):
                smooth = smooth + lp * w
            loss = loss - smooth * (eps / c)
        losses.append(loss)
        w_sum += ws[y]
    if reduction == "mean":
        return _reduce(losses, "sum") / w_sum
    out = _reduce(losses, reduction)
    return out[0] if single and reduction == "none" else out
