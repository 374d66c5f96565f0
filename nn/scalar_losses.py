"""The loss formulas of the scalar engine: lists of ``Value`` predictions, one Value out.

The same names as ``nn.tensor_losses`` (``prepare``, one formula per loss,
``reduce``), so ``nn.functional`` runs ``F.mse_loss([v1, v2], [1.0, 0.0])`` exactly
as it runs a Tensor loss: ``nn.MLP`` trains with the very same formulas. Each is
written with Value operations only, so ``loss.backward()`` reaches every prediction,
with the same stable forms as the Tensor engine.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from tinygrad_dk import Value


def is_scalar(x: Any) -> bool:
    """True for a Value, a list/tuple holding a Value, or rows of such lists."""
    if isinstance(x, Value):
        return True
    if not isinstance(x, (list, tuple)) or not x:
        return False
    return any(isinstance(v, Value) for v in x) or all(
        isinstance(r, (list, tuple)) and any(isinstance(v, Value) for v in r) for r in x)


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


def as_input(input: Any, name: str, what: str = "predictions") -> Any:
    """Scores for cross-entropy as given (one row of Values, or a list of rows)."""
    if not input:
        raise ValueError(f"{name}: the batch is empty; a loss needs at least one prediction")
    return input


def prepare(input: Any, target: Any, name: str, what: str = "predictions"
            ) -> tuple[list[Value], list[Any]]:
    """The predictions as Values and one target per prediction."""
    xs = _values(input)
    if not xs:
        raise ValueError(f"{name}: the batch is empty; a loss needs at least one prediction")
    return xs, _targets(target, len(xs), name)


def numbers(x: Any) -> np.ndarray:
    """The numbers inside predictions or targets, for checks (no graph)."""
    items = [x] if isinstance(x, Value) else list(x)
    return np.array([v.data if isinstance(v, Value) else float(v) for v in items])


def reduce(losses: Value | Sequence[Value], reduction: str, weights: Any = None) -> Any:
    """'mean' (divided by the count, or by the sum of ``weights``), 'sum', or 'none' (a list;
    a single Value stays one Value)."""
    if isinstance(losses, Value):
        if reduction == "none":
            return losses
        losses = [losses]
    if reduction == "none":
        return list(losses)
    total = losses[0]
    for term in losses[1:]:
        total = total + term
    if reduction == "sum":
        return total
    return total / (len(losses) if weights is None else float(np.sum(weights)))


def _per_item(weight: Any, n: int) -> list[float]:
    if weight is None:
        return [1.0] * n
    return np.broadcast_to(np.asarray(getattr(weight, "data", weight), dtype=float),
                           (n,)).tolist()


# --- the stable building blocks of the scalar engine (softplus is Value.softplus) -------


def log_softmax(row: list[Value]) -> list[Value]:
    """x_i - log(sum_j e^(x_j)), computed on the shifted scores x - max.

    The shift is a constant (the identity holds for any shift) that keeps every exp
    at most 1; working with (x_i - m) - log(sum) instead of x_i - (m + log(sum)) keeps
    the digits of logits as large as 1e30.
    """
    m = max(v.data for v in row)
    if not math.isfinite(m):
        m = 0.0
    shifted = [v - m for v in row]
    total = shifted[0].exp()
    for z in shifted[1:]:
        total = total + z.exp()
    log_total = total.log()
    return [z - log_total for z in shifted]


def _clamped_log(v: Value) -> Value:
    """log(v), but never below -100 (as PyTorch's BCE), so p = 0 or 1 stays finite.

    Where the clamp acts, the result is the constant -100: its slope is 0, as for
    any clamp. (The Tensor version instead follows PyTorch's gradient formula,
    which is only different in that extreme case.)
    """
    if v.data > 0 and math.log(v.data) > -100.0:
        return v.log()
    return Value(-100.0)


# --- the formulas ------------------------------------------------------------------------


def mse(xs: list[Value], ys: list[Any]) -> list[Value]:
    return [(x - y) ** 2 for x, y in zip(xs, ys)]


def l1(xs: list[Value], ys: list[Any]) -> list[Value]:
    return [(x - y).abs() for x, y in zip(xs, ys)]


def huber(xs: list[Value], ys: list[Any], delta: float) -> list[Value]:
    losses = []
    for x, y in zip(xs, ys):
        d = x - y
        losses.append(0.5 * d * d if abs(d.data) < delta else delta * (d.abs() - 0.5 * delta))
    return losses


def binary_cross_entropy(ps: list[Value], ys: list[Any], weight: Any) -> list[Value]:
    ws = _per_item(weight, len(ps))
    return [-(y * _clamped_log(p) + (1 - y) * _clamped_log(1 - p)) * w
            for p, y, w in zip(ps, ys, ws)]


def binary_cross_entropy_with_logits(xs: list[Value], ys: list[Any], weight: Any,
                                     pos_weight: Any) -> list[Value]:
    # p y softplus(-x) + (1 - y) softplus(x): two non-negative terms, nothing cancels
    ws, pws = _per_item(weight, len(xs)), _per_item(pos_weight, len(xs))
    return [(p * y * (-x).softplus() + (1 - y) * x.softplus()) * w
            for x, y, w, p in zip(xs, ys, ws, pws)]


def hinge(xs: list[Value], ys: list[Any]) -> list[Value]:
    return [(1 - y * x).relu() for x, y in zip(xs, ys)]


def gaussian_nll(xs: list[Value], ys: list[Any], var: Any, full: bool,
                 eps: float) -> list[Value]:
    vs = _values(var) if isinstance(var, (list, tuple, Value)) else [
        Value(v) for v in _per_item(var, len(xs))]
    if len(vs) == 1 and len(xs) > 1:
        vs = vs * len(xs)  # one variance for every prediction (homoscedastic)
    if len(vs) != len(xs):
        raise ValueError(f"gaussian_nll_loss: {len(xs)} prediction(s) but {len(vs)} "
                         "variance(s); give one per prediction, or a single one")
    const = 0.5 * math.log(2 * math.pi) if full else 0.0
    losses = []
    for x, y, v in zip(xs, ys, vs):
        v = v + (max(v.data, eps) - v.data)  # at least eps, the gradient unchanged (PyTorch)
        d = x - y
        losses.append(0.5 * (v.log() + d * d / v) + const)
    return losses


def _class_rows(input: Any, target: Any, weight: Any, name: str
                ) -> tuple[list[list[Value]], list[int], list[float], bool]:
    """Rows of Value scores, their integer labels and the class weights, all checked.

    ``input`` is one row (then ``single`` is True) or a list of rows.
    """
    single = isinstance(input, Value) or any(isinstance(v, Value) for v in input)
    rows = [_values(input)] if single else [_values(r) for r in input]
    labels = [target] if single and np.ndim(target) == 0 else list(np.asarray(target).ravel())
    if len(labels) != len(rows):
        raise ValueError(f"{name}: {len(rows)} row(s) of scores but {len(labels)} label(s)")
    c = len(rows[0])
    ws = [1.0] * c if weight is None else [float(w) for w in np.asarray(weight).ravel()]
    if len(ws) != c:
        raise ValueError(f"{name}: weight must have one entry per class ({c}), got {len(ws)}")
    for row, y in zip(rows, labels):
        if len(row) != c:
            raise ValueError(f"{name}: every row needs {c} scores, got one with {len(row)}")
        if isinstance(y, (float, np.floating)) and y != int(y) or not 0 <= int(y) < c:
            raise ValueError(f"{name}: class label {y} is out of range: labels must be integers "
                             f"0 .. {c - 1} for C = {c} classes")
    return rows, [int(y) for y in labels], ws, single


def cross_entropy(input: Any, target: Any, weight: Any, label_smoothing: float,
                  reduction: str) -> Any:
    """Per row -sum_c w_c q_c log softmax(row)_c, reduced (a weighted mean with ``weight``).

    ``input`` is one row of Value scores or a list of rows; ``target`` integer labels.
    """
    rows, labels, ws, single = _class_rows(input, target, weight, "cross_entropy")
    eps, c = float(label_smoothing), len(ws)
    losses = []
    for row, y in zip(rows, labels):
        log_p = log_softmax(row)
        loss = -log_p[y] * ws[y] * (1 - eps)
        if eps:
            smooth = log_p[0] * ws[0]
            for lp, w in zip(log_p[1:], ws[1:]):
                smooth = smooth + lp * w
            loss = loss - smooth * (eps / c)
        losses.append(loss)
    return reduce(losses[0] if single else losses, reduction, [ws[y] for y in labels])


def nll(input: Any, target: Any, weight: Any, reduction: str) -> Any:
    """Per row -row[y] (times w[y]) of log-probability Values, reduced (a weighted mean
    with ``weight``)."""
    rows, labels, ws, single = _class_rows(input, target, weight, "nll_loss")
    losses = [-row[y] * ws[y] for row, y in zip(rows, labels)]
    return reduce(losses[0] if single else losses, reduction, [ws[y] for y in labels])
