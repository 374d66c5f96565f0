"""Scoring a model: from raw outputs to predictions to metrics, and `evaluate`.

A classifier's network outputs *scores*, not labels, so before accuracy or F1 can
be computed the outputs must be turned into predicted classes. The default rule
(override it with `predict=`):

* Regression losses (anything that is not one of those below): the outputs are
  the predictions; shape (N, 1) is flattened to (N,).
* Classification losses (names containing cross_entropy / CrossEntropy, BCE,
  hinge or nll):
    - outputs of shape (N, C) with C > 1: the class with the largest score,
      ``outputs.argmax(axis=1)`` (softmax does not change the argmax);
    - outputs of shape (N,) or (N, 1): one score per sample. They are logits,
      so the positive class is predicted when ``score >= 0`` (a logit of 0 is a
      probability of 0.5). The one exception is a loss on *probabilities*
      (`BCELoss`, `binary_cross_entropy`), where the threshold is 0.5. The
      negative class is 0, or -1 when the training targets use -1/+1 (hinge loss).

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
from nn.training.engine import ScalarEngine, TensorEngine, engine_for, loss_name
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


def is_classification_loss(loss_fn: Any) -> bool:
    """Does the loss's name say classification (cross entropy, BCE, hinge, nll)?"""
    name = loss_name(loss_fn).lower().replace("_", "")
    return any(key in name for key in ("crossentropy", "bce", "hinge", "nll"))


def default_predict(loss_fn: Any, y_train: np.ndarray) -> Predict:
    """The rule in this module's docstring, chosen from the loss and the training targets."""
    if not is_classification_loss(loss_fn):
        return _as_regression
    name = loss_name(loss_fn).lower().replace("_", "")
    threshold = 0.5 if name in ("bceloss", "binarycrossentropy") else 0.0
    negative = -1 if np.any(np.asarray(y_train) == -1) else 0

    def predict(outputs: np.ndarray) -> np.ndarray:
        outputs = np.asarray(outputs)
        if outputs.ndim == 2 and outputs.shape[1] > 1:
            return outputs.argmax(axis=1)
        scores = outputs.reshape(len(outputs))
        return np.where(scores >= threshold, 1, negative)

    return predict


def _as_regression(outputs: np.ndarray) -> np.ndarray:
    outputs = np.asarray(outputs)
    return outputs[:, 0] if outputs.ndim == 2 and outputs.shape[1] == 1 else outputs


def run_batches(engine: TensorEngine | ScalarEngine, X: np.ndarray, y: np.ndarray,
                weights: np.ndarray | None, batch_size: int | None) -> tuple[float, np.ndarray]:
    """Mean loss over all rows (no gradients) and the stacked model outputs.

    The batches only limit memory: each batch loss is weighted by its number of
    rows (or its total class weight), so the result is the loss of the whole set.
    """
    step = len(X) if batch_size is None else batch_size
    total, weight, outputs = 0.0, 0.0, []
    with no_grad():
        for start in range(0, len(X), step):
            stop = start + step
            wb = None if weights is None else weights[start:stop]
            out = engine.forward(X[start:stop])
            loss = engine.value(engine.loss(out, y[start:stop], wb))
            share = float(len(X[start:stop]) if wb is None else wb.sum())
            total, weight = total + loss * share, weight + share
            outputs.append(engine.outputs(out))
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
    engine = engine_for(model, loss_fn)
    X_array, y_array = engine.prepare(X_array, y_array)
    weights = None if class_weight is None else sample_weights(class_weight, y_array, [])[0]
    resolved = resolve_metrics(metrics)
    was_training = getattr(model, "training", False)
    if hasattr(model, "eval"):
        model.eval()
    try:
        loss, outputs = run_batches(engine, X_array, y_array, weights, batch_size)
    finally:
        if was_training and hasattr(model, "train"):
            model.train()
    rule = predict if predict is not None else default_predict(loss_fn, y_array)
    return {"loss": loss, **compute_metrics(resolved, y_array, outputs, rule)}
