"""Tests for nn.metrics: hand-computed values, sklearn agreement, and clear errors."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from nn import metrics
from tinygrad_dk import Tensor

FAST = settings(max_examples=60, deadline=None)

# Binary example used by several tests:
#   index   0 1 2 3 4 5 6 7
#   y_true  1 1 1 0 0 0 0 1
#   y_pred  1 0 1 0 1 0 0 0
# TP = 2 (0, 2), FN = 2 (1, 7), FP = 1 (4), TN = 3 (3, 5, 6)
BIN_TRUE = [1, 1, 1, 0, 0, 0, 0, 1]
BIN_PRED = [1, 0, 1, 0, 1, 0, 0, 0]

# Three-class example:
#   y_true  0 0 0 1 1 2
#   y_pred  0 0 1 1 2 2
# class 0: TP 2, FP 0, FN 1 -> P 1,   R 2/3, F1 4/5
# class 1: TP 1, FP 1, FN 1 -> P 1/2, R 1/2, F1 2/4 = 1/2
# class 2: TP 1, FP 1, FN 0 -> P 1/2, R 1,   F1 2/3
# supports (true counts) 3, 2, 1
MC_TRUE = [0, 0, 0, 1, 1, 2]
MC_PRED = [0, 0, 1, 1, 2, 2]


def test_binary_metrics_by_hand():
    assert metrics.accuracy(BIN_TRUE, BIN_PRED) == pytest.approx(5 / 8)  # TP + TN = 5 of 8
    assert metrics.precision(BIN_TRUE, BIN_PRED) == pytest.approx(2 / 3)  # 2 / (2 + 1)
    assert metrics.recall(BIN_TRUE, BIN_PRED) == pytest.approx(1 / 2)  # 2 / (2 + 2)
    assert metrics.f1_score(BIN_TRUE, BIN_PRED) == pytest.approx(4 / 7)  # 4 / (4 + 1 + 2)
    # recall of class 1 = 1/2, of class 0 = TN / (TN + FP) = 3/4 -> mean 5/8
    assert metrics.balanced_accuracy(BIN_TRUE, BIN_PRED) == pytest.approx(5 / 8)
    assert np.array_equal(metrics.confusion_matrix(BIN_TRUE, BIN_PRED), [[3, 1], [2, 2]])


def test_pos_label_zero_by_hand():
    # class 0 as positive: TP = 3, FP = 2 (indices 1, 7), FN = 1 (index 4)
    assert metrics.precision(BIN_TRUE, BIN_PRED, pos_label=0) == pytest.approx(3 / 5)
    assert metrics.recall(BIN_TRUE, BIN_PRED, pos_label=0) == pytest.approx(3 / 4)
    assert metrics.f1_score(BIN_TRUE, BIN_PRED, pos_label=0) == pytest.approx(2 / 3)  # 6 / 9


def test_multiclass_averages_by_hand():
    p, r, f = metrics.precision, metrics.recall, metrics.f1_score
    assert p(MC_TRUE, MC_PRED, average="macro") == pytest.approx(2 / 3)  # (1 + 1/2 + 1/2) / 3
    assert r(MC_TRUE, MC_PRED, average="macro") == pytest.approx(13 / 18)  # (2/3 + 1/2 + 1) / 3
    assert f(MC_TRUE, MC_PRED, average="macro") == pytest.approx(59 / 90)  # (4/5+1/2+2/3) / 3
    assert p(MC_TRUE, MC_PRED, average="weighted") == pytest.approx(3 / 4)  # (3+1+1/2) / 6
    assert r(MC_TRUE, MC_PRED, average="weighted") == pytest.approx(2 / 3)  # (2+1+1) / 6
    assert f(MC_TRUE, MC_PRED, average="weighted") == pytest.approx(61 / 90)  # (12/5+1+2/3)/6
    for metric in (p, r, f):  # micro pools all counts: 4 correct of 6
        assert metric(MC_TRUE, MC_PRED, average="micro") == pytest.approx(2 / 3)
    assert np.allclose(f(MC_TRUE, MC_PRED, average=None), [4 / 5, 1 / 2, 2 / 3])
    assert metrics.balanced_accuracy(MC_TRUE, MC_PRED) == pytest.approx(13 / 18)
    assert np.array_equal(
        metrics.confusion_matrix(MC_TRUE, MC_PRED), [[2, 1, 0], [0, 1, 1], [0, 0, 1]]
    )
    # chosen labels and order; samples with other labels are left out
    assert np.array_equal(metrics.confusion_matrix(MC_TRUE, MC_PRED, labels=[2, 0]),
                          [[1, 0], [0, 2]])


def test_zero_division_gives_zero_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # never predicts 1: TP + FP = 0
        assert metrics.precision([1, 0, 1], [0, 0, 0]) == 0.0
        assert metrics.f1_score([1, 0, 1], [0, 0, 0]) == 0.0
        # no true 1s: TP + FN = 0
        assert metrics.recall([0, 0, 0], [0, 1, 0]) == 0.0


def test_regression_metrics_by_hand():
    # errors y_true - y_pred = [-1, 0, 1, -2]
    y_true, y_pred = [1.0, 2.0, 3.0, 4.0], [2.0, 2.0, 2.0, 6.0]
    assert metrics.mean_squared_error(y_true, y_pred) == pytest.approx(1.5)  # (1+0+1+4) / 4
    assert metrics.rmse(y_true, y_pred) == pytest.approx(math.sqrt(1.5))
    assert metrics.mean_absolute_error(y_true, y_pred) == pytest.approx(1.0)  # (1+0+1+2) / 4
    # mean 2.5: SS_tot = 2.25 + 0.25 + 0.25 + 2.25 = 5, SS_res = 6 -> 1 - 6/5
    assert metrics.r2_score(y_true, y_pred) == pytest.approx(-0.2)
    # constant y_true: perfect prediction scores 1, anything else 0
    assert metrics.r2_score([2, 2, 2], [2, 2, 2]) == 1.0
    assert metrics.r2_score([2, 2, 2], [1, 2, 3]) == 0.0


def test_inputs_may_be_lists_arrays_or_tensors_and_columns():
    expected = metrics.f1_score(BIN_TRUE, BIN_PRED)
    assert metrics.f1_score(np.array(BIN_TRUE), Tensor(BIN_PRED)) == pytest.approx(expected)
    column = np.array(BIN_PRED)[:, None]  # shape (n, 1), as a model would output
    assert metrics.f1_score(Tensor(BIN_TRUE), column) == pytest.approx(expected)
    y = np.array([1.0, 2.0, 3.0])
    assert metrics.r2_score(Tensor(y), Tensor(y[:, None])) == 1.0


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: metrics.accuracy([0, 1, 1], [0.2, 0.9, 0.6]), ValueError, "non-integer"),
        (lambda: metrics.accuracy([0, 1, 1], [0, 1]), ValueError, "same number of samples"),
        (lambda: metrics.accuracy([], []), ValueError, "empty"),
        (lambda: metrics.precision(MC_TRUE, MC_PRED), ValueError, "average='macro'"),
        (lambda: metrics.recall([0, 1], [1, 0], average="mean"), ValueError, "not known"),
        (lambda: metrics.f1_score([0, 2], [2, 0]), ValueError, "pos_label=1"),
        (lambda: metrics.accuracy(["a", "b"], [0, 1]), TypeError, "different kinds"),
        (lambda: metrics.r2_score([1, 2, 3], [[1, 2]] * 3), ValueError, "shape"),
        (lambda: metrics.mean_squared_error([1, np.nan], [1, 2]), ValueError, "NaN"),
        (lambda: metrics.r2_score([1.0], [1.0]), ValueError, "at least 2"),
    ],
)
def test_errors_name_the_problem(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ------------------------------------------------------------------ agreement with sklearn

label_pairs = st.integers(1, 40).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 3), min_size=n, max_size=n),
        st.lists(st.integers(0, 3), min_size=n, max_size=n),
    )
)


@FAST
@given(pair=label_pairs)
def test_classification_metrics_match_sklearn(pair):
    sk = pytest.importorskip("sklearn.metrics")
    y_true, y_pred = pair
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn warns on zero division and lone classes
        assert metrics.accuracy(y_true, y_pred) == pytest.approx(
            sk.accuracy_score(y_true, y_pred))
        assert metrics.balanced_accuracy(y_true, y_pred) == pytest.approx(
            sk.balanced_accuracy_score(y_true, y_pred))
        assert np.array_equal(metrics.confusion_matrix(y_true, y_pred),
                              sk.confusion_matrix(y_true, y_pred))
        for ours, theirs in ((metrics.precision, sk.precision_score),
                             (metrics.recall, sk.recall_score),
                             (metrics.f1_score, sk.f1_score)):
            for average in ("macro", "weighted", "micro"):
                expected = theirs(y_true, y_pred, average=average, zero_division=0)
                assert ours(y_true, y_pred, average=average) == pytest.approx(expected)
            binary_true, binary_pred = np.minimum(y_true, 1), np.minimum(y_pred, 1)
            expected = theirs(binary_true, binary_pred, zero_division=0)
            assert ours(binary_true, binary_pred) == pytest.approx(expected)


target_pairs = st.integers(2, 40).flatmap(
    lambda n: st.tuples(
        st.lists(st.floats(-1e3, 1e3), min_size=n, max_size=n),
        st.lists(st.floats(-1e3, 1e3), min_size=n, max_size=n),
    )
)


@FAST
@given(pair=target_pairs)
def test_regression_metrics_match_sklearn(pair):
    sk = pytest.importorskip("sklearn.metrics")
    y_true, y_pred = pair
    assert metrics.mean_squared_error(y_true, y_pred) == pytest.approx(
        sk.mean_squared_error(y_true, y_pred))
    assert metrics.mean_absolute_error(y_true, y_pred) == pytest.approx(
        sk.mean_absolute_error(y_true, y_pred))
    assert metrics.rmse(y_true, y_pred) == pytest.approx(
        math.sqrt(sk.mean_squared_error(y_true, y_pred)))
    if np.ptp(y_true) > 1e-6:  # away from the near-constant edge where rounding rules
        assert metrics.r2_score(y_true, y_pred) == pytest.approx(
            sk.r2_score(y_true, y_pred), rel=1e-6, abs=1e-9)


# ------------------------------------------------------------------ best_threshold


def test_best_threshold_by_hand():
    # y_true 0 0 1 1 with scores 0.1 0.4 0.35 0.8; thresholds from high to low:
    #   t=0.8 : TP 1 FP 0 FN 1 -> F1 2/3, TPR 1/2, FPR 0   -> J 1/2, bal. acc. 3/4
    #   t=0.4 : TP 1 FP 1 FN 1 -> F1 1/2, TPR 1/2, FPR 1/2 -> J 0,   bal. acc. 1/2
    #   t=0.35: TP 2 FP 1 FN 0 -> F1 4/5, TPR 1,   FPR 1/2 -> J 1/2, bal. acc. 3/4
    #   t=0.1 : TP 2 FP 2 FN 0 -> F1 2/3, TPR 1,   FPR 1   -> J 0,   bal. acc. 1/2
    y_true, scores = [0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]
    assert metrics.best_threshold(y_true, scores) == pytest.approx((0.35, 0.8))
    # J and balanced accuracy tie at 0.8 and 0.35: the higher threshold wins
    assert metrics.best_threshold(y_true, scores, "youden") == pytest.approx((0.8, 0.5))
    assert metrics.best_threshold(y_true, scores, "balanced_accuracy") == pytest.approx(
        (0.8, 0.75))


@FAST
@given(data=st.integers(2, 30).flatmap(lambda n: st.tuples(
    st.lists(st.integers(0, 1), min_size=n, max_size=n),
    st.lists(st.integers(0, 8).map(lambda k: k / 8), min_size=n, max_size=n))),
    metric=st.sampled_from(["f1", "balanced_accuracy", "youden"]))
# a tie on paper (2/3 at 0.25 and at 0.125) that rounding splits by one bit
@example(data=([0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1, 1], [0] * 4 + [0.125] * 6 + [0.25] * 2),
         metric="balanced_accuracy")
def test_best_threshold_agrees_with_trying_every_threshold(data, metric):
    y_true, scores = np.array(data[0]), np.array(data[1])
    if len(set(y_true)) < 2:
        with pytest.raises(ValueError, match="both"):
            metrics.best_threshold(y_true, scores, metric)
        return
    score_of = {
        "f1": metrics.f1_score,
        "balanced_accuracy": metrics.balanced_accuracy,
        "youden": lambda t, p: 2 * metrics.balanced_accuracy(t, p) - 1,  # J = TPR + TNR - 1
    }[metric]
    tried = {t: score_of(y_true, (scores >= t).astype(int)) for t in np.unique(scores)}
    best = max(tried.values())
    threshold, value = metrics.best_threshold(y_true, scores, metric)
    assert value == pytest.approx(best)
    assert threshold == max(t for t, v in tried.items() if v == pytest.approx(best))


def test_best_threshold_beats_one_half_on_an_imbalanced_problem():
    # 5% positives whose scores (0.25..0.45) sit above most negatives (0..0.3) but
    # below 0.5, as a model trained on imbalanced data often produces.
    rng = np.random.default_rng(0)
    y_true = np.array([1] * 25 + [0] * 475)
    scores = np.concatenate([rng.uniform(0.25, 0.45, 25), rng.uniform(0.0, 0.3, 475)])
    at_half = metrics.f1_score(y_true, (scores >= 0.5).astype(int))
    threshold, best = metrics.best_threshold(y_true, scores)
    assert at_half == 0.0 and threshold < 0.5 and best > 0.7
    assert metrics.f1_score(y_true, (scores >= threshold).astype(int)) == pytest.approx(best)


def test_best_threshold_errors():
    with pytest.raises(ValueError, match="not known"):
        metrics.best_threshold([0, 1], [0.2, 0.8], metric="accuracy")
    with pytest.raises(ValueError, match="NaN"):
        metrics.best_threshold([0, 1], [0.2, np.nan])
    with pytest.raises(ValueError, match="same number of samples"):
        metrics.best_threshold([0, 1, 1], [0.2, 0.8])
