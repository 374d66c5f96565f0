"""Scoring predictions: classification and regression metrics, and threshold choice.

The definitions are scikit-learn's, so numbers computed here match what students
will see there. Inputs may be lists, numpy arrays or `tinygrad_dk.Tensor`s.

Classification metrics take *labels* (0, 1, 2, ...), not probabilities: passing
`model(x)` outputs such as 0.73 is refused with an error, because comparing a
probability with a label silently gives nonsense. Threshold first, e.g.
`(p >= 0.5).astype(int)`, or use `best_threshold` to choose the threshold.

When a ratio has a zero denominator (for example precision when the model never
predicts the positive class) the metric is 0.0, as in scikit-learn with
`zero_division=0`, without a warning.

The counts behind precision and recall, for one class called "positive":
    TP true positives   (predicted positive, really positive)
    FP false positives  (predicted positive, really negative)
    FN false negatives  (predicted negative, really positive)
    precision = TP / (TP + FP)   "when it says positive, how often is it right?"
    recall    = TP / (TP + FN)   "of the real positives, how many did it find?"
    F1        = 2 TP / (2 TP + FP + FN), the harmonic mean of the two.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nn.data.convert import check_same_length, to_1d, to_labels, to_numpy

_AVERAGES = ("binary", "macro", "weighted", "micro", None)


# ---------------------------------------------------------------- input checking


def _label_pair(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    """Both label arrays, checked: labels (not probabilities), same length, not empty."""
    true, pred = to_labels(y_true, "y_true"), to_labels(y_pred, "y_pred")
    n = check_same_length({"y_true": true, "y_pred": pred})
    if n == 0:
        raise ValueError("y_true and y_pred are empty; a metric needs at least one sample.")
    if (true.dtype.kind in "US") != (pred.dtype.kind in "US"):
        raise TypeError(
            f"y_true ({true.dtype}) and y_pred ({pred.dtype}) hold different kinds of "
            "labels; use numbers in both or strings in both."
        )
    return true, pred


def _target_pair(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    """Both regression arrays as float64 with the same shape; (n, 1) becomes (n,)."""
    arrays = []
    for name, value in (("y_true", y_true), ("y_pred", y_pred)):
        array = to_numpy(value, name)
        if array.ndim == 2 and array.shape[1] == 1:
            array = array[:, 0]
        if array.ndim not in (1, 2) or array.dtype.kind not in "biuf":
            raise ValueError(
                f"{name} must be numbers of shape (n,) or (n, outputs), got shape "
                f"{array.shape} and dtype {array.dtype}."
            )
        if not np.all(np.isfinite(array)):
            raise ValueError(f"{name} contains NaN or infinity.")
        arrays.append(array.astype(np.float64))
    true, pred = arrays
    if true.shape != pred.shape:
        raise ValueError(
            f"y_true has shape {true.shape} but y_pred has shape {pred.shape}; they must "
            "match (one prediction per target)."
        )
    if true.shape[0] == 0:
        raise ValueError("y_true and y_pred are empty; a metric needs at least one sample.")
    return true, pred


def _ratio(top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    """top / bottom elementwise, with 0.0 where bottom is 0 (sklearn's zero_division=0)."""
    top, bottom = np.asarray(top, dtype=np.float64), np.asarray(bottom, dtype=np.float64)
    return np.divide(top, bottom, out=np.zeros_like(top), where=bottom != 0)


# ---------------------------------------------------------------- classification


def accuracy(y_true: Any, y_pred: Any) -> float:
    """Fraction of samples whose predicted label equals the true label."""
    true, pred = _label_pair(y_true, y_pred)
    return float(np.mean(true == pred))


def _positions(labels: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Index of each value within `labels`, or -1 where the value is not a label."""
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    spot = np.clip(np.searchsorted(sorted_labels, values), 0, len(labels) - 1)
    found = sorted_labels[spot] == values
    return np.where(found, order[spot], -1)


def confusion_matrix(y_true: Any, y_pred: Any, labels: Any = None) -> np.ndarray:
    """Counts C[i, j] = number of samples with true label labels[i] predicted as labels[j].

    Rows are true classes, columns predicted classes (sklearn's layout), so the
    diagonal holds the correct predictions. labels: which classes, in which
    order; default all labels seen in y_true or y_pred, sorted. Samples whose
    labels are not listed are left out.
    """
    true, pred = _label_pair(y_true, y_pred)
    if labels is None:
        label_list = np.unique(np.concatenate([true, pred]))
    else:
        label_list = to_labels(labels, "labels")
        if label_list.size == 0:
            raise ValueError("labels is empty; list at least one class.")
        if np.unique(label_list).size != label_list.size:
            raise ValueError(f"labels contains repeated classes: {label_list.tolist()}.")
    k = len(label_list)
    row, col = _positions(label_list, true), _positions(label_list, pred)
    keep = (row >= 0) & (col >= 0)
    counts = np.bincount(row[keep] * k + col[keep], minlength=k * k)
    return counts.reshape(k, k).astype(np.int64)


def _per_class_counts(true: np.ndarray, pred: np.ndarray, labels: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """TP, FP and FN for each label (each label in turn playing "positive")."""
    tp = np.array([np.sum((true == c) & (pred == c)) for c in labels])
    fp = np.array([np.sum(pred == c) for c in labels]) - tp
    fn = np.array([np.sum(true == c) for c in labels]) - tp
    return tp, fp, fn


def _prf(y_true: Any, y_pred: Any, average: str | None, pos_label: Any, which: str
         ) -> float | np.ndarray:
    """Shared engine of precision, recall and f1_score."""
    if average not in _AVERAGES:
        raise ValueError(
            f"average={average!r} is not known; use 'binary', 'macro', 'weighted', "
            "'micro' or None."
        )
    true, pred = _label_pair(y_true, y_pred)
    present = np.unique(np.concatenate([true, pred]))
    if average == "binary":
        if len(present) > 2:
            raise ValueError(
                f"average='binary' is for two classes, but the labels are "
                f"{present.tolist()}; pass average='macro', 'weighted' or 'micro'."
            )
        if len(present) == 2 and pos_label not in present.tolist():
            raise ValueError(
                f"pos_label={pos_label!r} is not one of the labels {present.tolist()}; "
                "pass pos_label=<the class you call positive>."
            )
        labels = np.array([pos_label])
    else:
        labels = present
    tp, fp, fn = _per_class_counts(true, pred, labels)
    if average == "micro":  # pool the counts of all classes, then divide once
        tp, fp, fn = tp.sum(keepdims=True), fp.sum(keepdims=True), fn.sum(keepdims=True)

    if which == "precision":
        per_class = _ratio(tp, tp + fp)
    elif which == "recall":
        per_class = _ratio(tp, tp + fn)
    else:
        per_class = _ratio(2 * tp, 2 * tp + fp + fn)

    if average is None:
        return per_class
    if average == "weighted":  # weight each class by its number of true samples
        return float(np.sum(per_class * _ratio(tp + fn, np.sum(tp + fn))))
    return float(np.mean(per_class))  # macro, or the single value of binary/micro


def precision(y_true: Any, y_pred: Any, average: str | None = "binary",
              pos_label: Any = 1) -> float | np.ndarray:
    """TP / (TP + FP): of the samples predicted positive, the fraction that are.

    average: 'binary' scores only the class `pos_label` (two classes);
    'macro' is the plain mean over classes (every class counts the same);
    'weighted' weights each class by how many true samples it has;
    'micro' pools all TP and FP first (for single-label data it equals accuracy);
    None returns one value per class, in sorted label order.
    """
    return _prf(y_true, y_pred, average, pos_label, "precision")


def recall(y_true: Any, y_pred: Any, average: str | None = "binary",
           pos_label: Any = 1) -> float | np.ndarray:
    """TP / (TP + FN): of the truly positive samples, the fraction found.

    Also called sensitivity or true positive rate. `average` as in `precision`.
    """
    return _prf(y_true, y_pred, average, pos_label, "recall")


def f1_score(y_true: Any, y_pred: Any, average: str | None = "binary",
             pos_label: Any = 1) -> float | np.ndarray:
    """2 TP / (2 TP + FP + FN), the harmonic mean of precision and recall.

    High only when both are high, so a model cannot score well by always
    predicting the common class. `average` as in `precision`.
    """
    return _prf(y_true, y_pred, average, pos_label, "f1")


def balanced_accuracy(y_true: Any, y_pred: Any) -> float:
    """Mean of the recall of each class that occurs in y_true.

    On imbalanced data plain accuracy rewards always predicting the big class
    (95% accuracy if 95% of samples are negative); balanced accuracy gives that
    model 0.5, the score of guessing.
    """
    true, pred = _label_pair(y_true, y_pred)
    classes = np.unique(true)
    tp, _, fn = _per_class_counts(true, pred, classes)
    return float(np.mean(tp / (tp + fn)))


def best_threshold(y_true: Any, y_score: Any, metric: str = "f1",
                   pos_label: Any = 1) -> tuple[float, float]:
    """Try every distinct score as a threshold and return `(threshold, best score)`.

    A sample is predicted positive when its score >= threshold. A model's scores
    (probabilities) do not come with a right threshold: 0.5 is only a habit, and on
    imbalanced data a lower or higher one often does much better.

    metric: 'f1' (F1 of the positive class), 'balanced_accuracy' ((TPR + TNR) / 2)
    or 'youden' (Youden's J = TPR - FPR, the point of the ROC curve farthest above
    the diagonal). Ties (up to rounding) go to the highest threshold.

    Choose the threshold on validation data, never on the test set: it is a
    setting fitted to data like any other.
    """
    metrics = ("f1", "balanced_accuracy", "youden")
    if metric not in metrics:
        raise ValueError(f"metric={metric!r} is not known; use one of {metrics}.")
    true = to_labels(y_true, "y_true")
    scores = to_1d(y_score, "y_score")
    if scores.dtype.kind not in "biuf":
        raise TypeError(f"y_score must hold numbers, got dtype {scores.dtype}.")
    scores = scores.astype(np.float64)
    if not np.all(np.isfinite(scores)):
        raise ValueError("y_score contains NaN or infinity.")
    check_same_length({"y_true": true, "y_score": scores})
    positive = true == pos_label
    if positive.all() or not positive.any():
        raise ValueError(
            f"y_true must contain both the positive class (pos_label={pos_label!r}) and "
            "other classes; with one class there is nothing to separate."
        )
    # Walk the scores from high to low. Lowering the threshold to the score at
    # position i makes samples 0..i positive, so cumulative sums give TP and FP.
    order = np.argsort(-scores, kind="stable")
    sorted_scores, sorted_positive = scores[order], positive[order]
    tp = np.cumsum(sorted_positive)
    fp = np.cumsum(~sorted_positive)
    # equal scores must switch together: keep only the last position of each value
    last = np.flatnonzero(np.append(sorted_scores[1:] != sorted_scores[:-1], True))
    thresholds, tp, fp = sorted_scores[last], tp[last], fp[last]
    n_pos, n_neg = positive.sum(), (~positive).sum()
    fn, tn = n_pos - tp, n_neg - fp

    if metric == "f1":
        values = _ratio(2 * tp, 2 * tp + fp + fn)
    elif metric == "balanced_accuracy":
        values = (tp / n_pos + tn / n_neg) / 2
    else:
        values = tp / n_pos - fp / n_neg
    # first maximum = highest threshold among ties; the tolerance makes scores that are
    # equal on paper but differ in the last bit (1/3 + 1 vs 5/6 + 1/2) count as ties
    best = int(np.flatnonzero(values >= values.max() - 1e-12)[0])
    return float(thresholds[best]), float(values[best])


# ---------------------------------------------------------------- regression


def mean_squared_error(y_true: Any, y_pred: Any) -> float:
    """Mean of (y_true - y_pred)^2. Squaring punishes big errors much more than small ones."""
    true, pred = _target_pair(y_true, y_pred)
    return float(np.mean((true - pred) ** 2))


def rmse(y_true: Any, y_pred: Any) -> float:
    """Root mean squared error, sqrt(MSE): an error size in the units of y."""
    return float(np.sqrt(mean_squared_error(y_true, y_pred)))


def mean_absolute_error(y_true: Any, y_pred: Any) -> float:
    """Mean of |y_true - y_pred|: the typical error in the units of y, less swayed by outliers."""
    true, pred = _target_pair(y_true, y_pred)
    return float(np.mean(np.abs(true - pred)))


def r2_score(y_true: Any, y_pred: Any) -> float:
    """Coefficient of determination: 1 - SS_res / SS_tot.

    1 is a perfect fit; 0 is no better than always predicting the mean of
    y_true; negative is worse than that. If y_true is constant (SS_tot = 0) the
    score is 1.0 for a perfect prediction and 0.0 otherwise, as in scikit-learn.
    With several outputs (shape (n, k)) the k scores are averaged.
    """
    true, pred = _target_pair(y_true, y_pred)
    if true.shape[0] < 2:
        raise ValueError("r2_score needs at least 2 samples (with one, SS_tot is always 0).")
    if true.ndim == 1:
        true, pred = true[:, None], pred[:, None]
    ss_res = np.sum((true - pred) ** 2, axis=0)
    ss_tot = np.sum((true - true.mean(axis=0)) ** 2, axis=0)
    constant = ss_tot == 0
    scores = np.where(constant, np.where(ss_res == 0, 1.0, 0.0),
                      1.0 - ss_res / np.where(constant, 1.0, ss_tot))
    return float(np.mean(scores))
