"""Scoring a model: from raw outputs to predictions to metrics, and `evaluate`.

A classifier's network outputs *scores*, not labels, so before accuracy or F1 can
be computed the outputs must be turned into predicted classes. The loss knows how
(``loss.predict``, see `nn.losses`): cross-entropy takes the class with the largest
score, a binary loss on logits predicts the positive class where the score is at
least 0 (a probability of at least 0.5; ``BCELoss`` on probabilities compares with
0.5), the hinge loss predicts -1/+1, and a regression loss takes the outputs as
they are. Override it with ``predict=``.

Metric names: 'accuracy', 'balanced_accuracy', 'f1', 'precision', 'recall'
(binary, positive class 1, when the labels are within {-1, 0, 1}; otherwise the
macro average over classes), and 'r2', 'rmse', 'mae', 'mse'. A metric can also be
any callable ``fn(y_true, y_pred) -> float``; it is logged under ``fn.__name__``
(pass a dict ``{name: fn}`` to choose the name). Callables get the same
predictions as the named metrics.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from nn import metrics as M
from nn.data.convert import to_labels
from nn.training.checks import check_pair, sample_weights
from nn.training.engine import Job, value_of
from tinygrad_dk import no_grad

Metric = Callable[[Any, Any], float]
Predict = Callable[[np.ndarray], np.ndarray]


def _average(y_true: Any, y_pred: Any) -> str:
    labels = set(np.unique(np.concatenate([to_labels(y_true, "y_true"),
                                           to_labels(y_pred, "y_pred")])).tolist())
    return "binary" if labels <= {-1, 0, 1} else "macro"


def _f1(y_true: Any, y_pred: Any) -> float:
    return float(M.f1_score(y_true, y_pred, average=_average(y_true, y_pred)))


def _precision(y_true: Any, y_pred: Any) -> float:
    return float(M.precision(y_true, y_pred, average=_average(y_true, y_pred)))


def _recall(y_true: Any, y_pred: Any) -> float:
    return float(M.recall(y_true, y_pred, average=_average(y_true, y_pred)))


NAMED_METRICS: dict[str, Metric] = {
    "accuracy": M.accuracy, "balanced_accuracy": M.balanced_accuracy, "f1": _f1,
    "precision": _precision, "recall": _recall, "r2": M.r2_score, "rmse": M.rmse,
    "mae": M.mean_absolute_error, "mse": M.mean_squared_error,
}


def resolve_metrics(metrics: Any) -> list[tuple[str, Metric]]:
    """Names, callables or a {name: callable} dict -> list of (name, callable)."""
    if isinstance(metrics, (str, bytes)) or callable(metrics):
        metrics = [metrics]  # a single metric given on its own
    items: Iterable[Any] = metrics.items() if isinstance(metrics, Mapping) else metrics
    resolved: list[tuple[str, Metric]] = []
    for item in items:
        if isinstance(item, tuple):
            name, fn = item
        elif isinstance(item, str):
            if item not in NAMED_METRICS:
                raise ValueError(
                    f"unknown metric {item!r}; known names are {sorted(NAMED_METRICS)}, or "
                    "pass a function fn(y_true, y_pred) -> float."
                )
            name, fn = item, NAMED_METRICS[item]
        elif callable(item):
            name, fn = getattr(item, "__name__", type(item).__name__), item
        else:
            raise TypeError(f"a metric must be a name or a callable, got {item!r}.")
        if name == "loss" or name.startswith("val_"):
            raise ValueError(f"metric name {name!r} is reserved; rename the metric.")
        if name in dict(resolved):
            raise ValueError(f"two metrics are called {name!r}; pass a dict to name them.")
        resolved.append((name, fn))
    return resolved


def measure(job: Job, X: np.ndarray, y: np.ndarray, weights: np.ndarray | None,
            batch_size: int | None) -> tuple[float, np.ndarray]:
    """Mean loss over all rows (no gradients) and the stacked model outputs.

    The batches only limit memory: each batch loss is weighted by its number of
    rows (or its total class weight), so the result is the loss of the whole set.
    """
    total, weight, outputs = 0.0, 0.0, []
    with no_grad():
        for batch in job.batches(X, y, weights, batch_size):
            share = float(len(batch.rows) if weights is None else weights[batch.rows].sum())
            total, weight = total + value_of(batch.loss) * share, weight + share
            outputs.append(job.engine.outputs(batch.outputs))
    return total / weight, np.concatenate(outputs)


def compute_metrics(metrics: list[tuple[str, Metric]], y_true: np.ndarray,
                    outputs: np.ndarray, predict: Predict, prefix: str = "") -> dict[str, float]:
    """{prefix + name: metric(y_true, predict(outputs))} for every metric."""
    if not metrics:
        return {}
    y_pred = predict(outputs)
    return {prefix + name: float(fn(y_true, y_pred)) for name, fn in metrics}


def evaluate(model: Any, loss_fn: Any, X: Any, y: Any, *, metrics: Any = (),
             batch_size: int | None = None, class_weight: Any = None,
             predict: Predict | None = None) -> dict[str, float]:
    """Loss and metrics of a trained model on data (X, y), without changing the model.

    Runs in eval mode (dropout off) without recording gradients, then puts the model
    back in the mode it was in. Returns e.g. ``{"loss": 0.31, "accuracy": 0.9}``.
    `class_weight` weights the loss as in `fit` ("balanced" counts the classes of
    this y); `predict` overrides the rule that turns outputs into predictions.
    """
    X_array, y_array = check_pair(X, y, "evaluation")
    job = Job(model, loss_fn)
    X_array, y_array = job.engine.prepare(X_array, y_array)
    weights = None if class_weight is None else sample_weights(class_weight, y_array, [])[0]
    resolved = resolve_metrics(metrics)
    was_training = getattr(model, "training", False)
    if hasattr(model, "eval"):
        model.eval()
    try:
        loss, outputs = measure(job, X_array, y_array, weights, batch_size)
    finally:
        if was_training and hasattr(model, "train"):
            model.train()
    rule = predict if predict is not None else job.loss.predict
    return {"loss": loss, **compute_metrics(resolved, y_array, outputs, rule)}
