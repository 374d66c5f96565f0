"""Tests for nn.data: splitting, batching, folds, scaling, encoding and resampling."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nn.data import (
    DataLoader,
    KFold,
    MinMaxScaler,
    StandardScaler,
    StratifiedKFold,
    class_weights,
    one_hot,
    oversample,
    train_test_split,
    undersample,
)
from tinygrad_dk import Tensor

FAST = settings(max_examples=40, deadline=None)

# Class sizes for a labelled data set: 1..5 classes of 2..25 samples each.
class_sizes = st.lists(st.integers(2, 25), min_size=1, max_size=5)


def labels_from_sizes(sizes, seed=0):
    """Labels with the given class sizes, in shuffled order."""
    y = np.repeat(np.arange(len(sizes)), sizes)
    return np.random.default_rng(seed).permutation(y)


# ------------------------------------------------------------------ train_test_split


def test_split_sizes_fraction_rounds_test_up_and_int_is_a_count():
    X = np.arange(20).reshape(10, 2)
    X_tr, X_te = train_test_split(X, test_size=0.25, seed=0)
    assert (len(X_tr), len(X_te)) == (7, 3)  # ceil(0.25 * 10) = 3 test rows
    X_tr, X_te = train_test_split(X, test_size=4, seed=0)
    assert (len(X_tr), len(X_te)) == (6, 4)


def test_split_keeps_rows_aligned_and_partitions_them():
    y = np.arange(30)
    X = np.stack([y * 10, y * 10 + 1], axis=1)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, seed=1)
    assert np.array_equal(X_tr[:, 0], y_tr * 10) and np.array_equal(X_te[:, 1], y_te * 10 + 1)
    assert np.array_equal(np.sort(np.concatenate([y_tr, y_te])), y)


def test_split_seed_repeats_and_shuffle_false_takes_the_last_rows():
    y = np.arange(50)
    a = train_test_split(y, seed=3)
    b = train_test_split(y, seed=3)
    c = train_test_split(y, seed=4)
    assert np.array_equal(a[1], b[1]) and not np.array_equal(a[1], c[1])
    y_tr, y_te = train_test_split(y, test_size=10, shuffle=False)
    assert np.array_equal(y_tr, np.arange(40)) and np.array_equal(y_te, np.arange(40, 50))


@FAST
@given(sizes=class_sizes, test_size=st.floats(0.1, 0.6), seed=st.integers(0, 10**6))
def test_stratified_split_keeps_each_class_within_one_row_of_its_share(sizes, test_size, seed):
    y = labels_from_sizes(sizes, seed)
    n, n_test = len(y), int(np.ceil(test_size * len(y)))
    if not len(sizes) <= n_test <= n - len(sizes):
        with pytest.raises(ValueError, match="stratified split|at least one row"):
            train_test_split(y, test_size=test_size, stratify=y, seed=seed)
        return
    y_tr, y_te = train_test_split(y, test_size=test_size, stratify=y, seed=seed)
    assert len(y_te) == n_test and len(y_tr) == n - n_test
    for c, size in enumerate(sizes):
        assert abs(np.sum(y_te == c) - n_test * size / n) < 1
        assert np.sum(y_te == c) + np.sum(y_tr == c) == size


def test_split_returns_tensors_for_tensors_and_arrays_for_lists():
    X_tr, X_te, y_tr, y_te = train_test_split(Tensor(np.ones((8, 2))), [0, 1] * 4, seed=0)
    assert isinstance(X_tr, Tensor) and isinstance(X_te, Tensor)
    assert isinstance(y_tr, np.ndarray) and y_tr.dtype == np.int64


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(test_size=0.0), ValueError, "between 0 and 1"),
        (dict(test_size=1.5), ValueError, "between 0 and 1"),
        (dict(test_size=10), ValueError, "at least one row"),
        (dict(test_size=True), TypeError, "fraction"),
        (dict(stratify=[0] * 9 + [1]), ValueError, "only one sample"),
        (dict(stratify=[0, 1] * 5, shuffle=False), ValueError, "shuffle=True"),
    ],
)
def test_split_errors_name_the_problem(kwargs, error, match):
    with pytest.raises(error, match=match):
        train_test_split(np.arange(10), **kwargs)


def test_split_refuses_arrays_of_different_lengths():
    with pytest.raises(ValueError, match="same number of samples"):
        train_test_split(np.zeros((5, 2)), np.zeros(4))


# ------------------------------------------------------------------ DataLoader


@FAST
@given(n=st.integers(1, 60), batch_size=st.integers(1, 70), drop_last=st.booleans(),
       seed=st.integers(0, 100))
def test_loader_covers_every_sample_once_per_epoch(n, batch_size, drop_last, seed):
    if drop_last and batch_size > n:
        with pytest.raises(ValueError, match="no batches"):
            DataLoader(np.zeros((n, 1)), batch_size=batch_size, drop_last=drop_last)
        return
    X = np.arange(n, dtype=np.float64)[:, None]
    loader = DataLoader(X, np.arange(n), batch_size=batch_size, shuffle=True, seed=seed,
                        drop_last=drop_last)
    for _ in range(2):  # two epochs
        batches = list(loader)
        assert len(batches) == len(loader)
        seen = np.concatenate([np.asarray(yb) for _, yb in batches])
        for xb, yb in batches:  # X and y rows stay paired
            assert np.array_equal(np.asarray(xb)[:, 0], np.asarray(yb))
        assert len(np.unique(seen)) == len(seen)  # no sample twice
        if drop_last:
            assert len(seen) == (n // batch_size) * batch_size
        else:
            assert np.array_equal(np.sort(seen), np.arange(n))


def test_loader_batch_sizes_and_drop_last():
    X = np.zeros((10, 3))
    assert [len(np.asarray(xb)) for xb in DataLoader(X, batch_size=4)] == [4, 4, 2]
    assert [len(np.asarray(xb)) for xb in DataLoader(X, batch_size=4, drop_last=True)] == [4, 4]
    assert len(DataLoader(X, batch_size=4)) == 3 and len(DataLoader(X, batch_size=5)) == 2
    (only,) = list(DataLoader(X, batch_size=None))
    assert only.shape == (10, 3)


def test_loader_is_repeatable_with_a_seed_but_reshuffles_each_epoch():
    y = np.arange(40)

    def epochs(loader):
        return [np.concatenate([np.asarray(yb) for _, yb in loader]) for _ in range(3)]

    first = epochs(DataLoader(np.zeros((40, 1)), y, batch_size=8, shuffle=True, seed=7))
    again = epochs(DataLoader(np.zeros((40, 1)), y, batch_size=8, shuffle=True, seed=7))
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not np.array_equal(first[0], first[1])
    ordered = epochs(DataLoader(np.zeros((40, 1)), y, batch_size=8, shuffle=False))
    assert all(np.array_equal(e, y) for e in ordered)


def test_loader_yields_tensors_and_keeps_dtypes():
    X = np.ones((6, 2), dtype=np.float32)
    xb, yb = next(iter(DataLoader(X, np.array([0, 1, 2, 0, 1, 2]), batch_size=4)))
    assert isinstance(xb, Tensor) and isinstance(yb, Tensor)
    assert xb.dtype == np.float32 and yb.dtype == np.int64
    (xb,) = list(DataLoader(Tensor(X), batch_size=None))  # no y: X batches only
    assert isinstance(xb, Tensor) and xb.shape == (6, 2)


@pytest.mark.parametrize(
    "args, kwargs, error, match",
    [
        ((np.zeros((0, 2)),), {}, ValueError, "empty"),
        ((np.zeros((5, 2)),), dict(batch_size=0), ValueError, "batch_size=0"),
        ((np.zeros((5, 2)),), dict(batch_size=2.5), TypeError, "whole number"),
        ((np.zeros((5, 2)), np.zeros(4)), {}, ValueError, "same number of samples"),
    ],
)
def test_loader_errors(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        DataLoader(*args, **kwargs)


# ------------------------------------------------------------------ KFold / StratifiedKFold


@FAST
@given(n=st.integers(2, 60), k=st.integers(2, 10), shuffle=st.booleans())
def test_kfold_partitions_the_data_with_sklearn_fold_sizes(n, k, shuffle):
    k = min(k, n)
    folds = list(KFold(k, shuffle=shuffle, seed=0 if shuffle else None).split(np.zeros((n, 2))))
    assert len(folds) == k
    for train, test in folds:
        assert np.array_equal(np.sort(np.concatenate([train, test])), np.arange(n))
    all_test = np.concatenate([test for _, test in folds])
    assert np.array_equal(np.sort(all_test), np.arange(n))  # each sample tested exactly once
    sizes = [len(test) for _, test in folds]
    assert sizes == [n // k + 1] * (n % k) + [n // k] * (k - n % k)


def test_kfold_without_shuffle_matches_sklearn():
    model_selection = pytest.importorskip("sklearn.model_selection")
    X = np.zeros((23, 1))
    ours = list(KFold(4).split(X))
    theirs = list(model_selection.KFold(4).split(X))
    for (a_tr, a_te), (b_tr, b_te) in zip(ours, theirs, strict=True):
        assert np.array_equal(a_tr, b_tr) and np.array_equal(a_te, b_te)


def test_kfold_seed_gives_the_same_folds_on_every_split_call():
    kf = KFold(3, shuffle=True, seed=5)
    X = np.zeros((20, 1))
    a, b = [t for _, t in kf.split(X)], [t for _, t in kf.split(X)]
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not np.array_equal(a[0], np.arange(7))  # really shuffled
    assert kf.get_n_splits() == 3


@FAST
@given(sizes=class_sizes, k=st.integers(2, 6), shuffle=st.booleans())
def test_stratified_kfold_keeps_class_proportions_within_one(sizes, k, shuffle):
    y = labels_from_sizes(sizes)
    n = len(y)
    if n < k:
        return
    skf = StratifiedKFold(k, shuffle=shuffle, seed=1 if shuffle else None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        folds = list(skf.split(np.zeros((n, 1)), y))
    assert len(caught) == (1 if min(sizes) < k else 0)  # warns when a class is too small
    all_test = np.concatenate([test for _, test in folds])
    assert np.array_equal(np.sort(all_test), np.arange(n))
    assert [len(t) for _, t in folds] == [n // k + 1] * (n % k) + [n // k] * (k - n % k)
    for train, test in folds:
        assert np.array_equal(np.sort(np.concatenate([train, test])), np.arange(n))
        for c, size in enumerate(sizes):
            assert abs(np.sum(y[test] == c) - size / k) < 1


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: KFold(1), "at least 2 folds"),
        (lambda: KFold(3, seed=0), "shuffle=False"),
        (lambda: list(KFold(5).split(np.zeros((4, 1)))), "n_splits <= 4"),
        (lambda: list(StratifiedKFold(2).split(np.zeros((4, 1)))), "class labels"),
        (lambda: list(StratifiedKFold(2).split(np.zeros((4, 1)), [0.2, 0.9, 1, 0])), "non-integer"),
    ],
)
def test_fold_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


# ------------------------------------------------------------------ scalers


def test_standard_scaler_by_hand_with_a_constant_feature():
    # column 0: mean 2, std sqrt(((1-2)^2 + (3-2)^2) / 2) = 1 -> [-1, 1]
    # column 1: constant 10, std 0 -> scale 1 (no division by zero) -> [0, 0]
    scaler = StandardScaler()
    assert scaler.fit([[1.0, 10.0], [3.0, 10.0]]) is scaler
    assert np.allclose(scaler.mean_, [2, 10]) and np.allclose(scaler.scale_, [1, 1])
    assert np.array_equal(scaler.transform([[1.0, 10.0], [3.0, 10.0]]), [[-1, 0], [1, 0]])
    assert np.allclose(scaler.transform([[5.0, 12.0]]), [[3, 2]])  # uses training numbers


def test_minmax_scaler_by_hand_with_a_constant_feature():
    # column 0: min 0, max 10 mapped to (-1, 1): x -> x * 2/10 - 1
    # column 1: constant 7 -> range treated as 1 -> maps to low = -1
    X = np.array([[0.0, 7.0], [5.0, 7.0], [10.0, 7.0]])
    out = MinMaxScaler(feature_range=(-1, 1)).fit_transform(X)
    assert np.allclose(out, [[-1, -1], [0, -1], [1, -1]])


finite_matrices = st.integers(1, 12).flatmap(
    lambda n: st.lists(
        st.lists(st.integers(-4000, 4000), min_size=3, max_size=3), min_size=n, max_size=n
    )
).map(lambda rows: np.array(rows, dtype=np.float64) / 4)  # quarters are exact in binary


@FAST
@given(X=finite_matrices)
def test_scalers_round_trip_and_match_sklearn(X):
    preprocessing = pytest.importorskip("sklearn.preprocessing")
    pairs = [
        (StandardScaler(), preprocessing.StandardScaler()),
        (MinMaxScaler((-2, 3)), preprocessing.MinMaxScaler((-2, 3))),
    ]
    for ours, theirs in pairs:
        scaled = ours.fit_transform(X)
        assert np.allclose(scaled, theirs.fit_transform(X), atol=1e-9)
        assert np.allclose(ours.inverse_transform(scaled), X, atol=1e-9)


def test_scalers_return_the_kind_and_float32_they_were_given():
    X = np.arange(12, dtype=np.float32).reshape(4, 3)
    for scaler in (StandardScaler(), MinMaxScaler()):
        out = scaler.fit(X).transform(Tensor(X))
        assert isinstance(out, Tensor) and out.dtype == np.float32
        assert isinstance(scaler.inverse_transform(np.asarray(out)), np.ndarray)
    assert StandardScaler().fit_transform(np.arange(6).reshape(3, 2)).dtype == np.float64


@pytest.mark.parametrize("scaler", [StandardScaler(), MinMaxScaler()])
def test_scaler_errors(scaler):
    with pytest.raises(ValueError, match="not fitted yet"):
        scaler.transform(np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"reshape\(-1, 1\)"):
        scaler.fit(np.zeros(5))
    with pytest.raises(ValueError, match="NaN"):
        scaler.fit(np.array([[1.0], [np.nan]]))
    scaler.fit(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="3 features but the scaler was fitted on 2"):
        scaler.transform(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="low must be smaller"):
        MinMaxScaler((1, 1))


# ------------------------------------------------------------------ one_hot, class weights


def test_one_hot_by_hand():
    out = one_hot([2, 0, 1, 2])
    assert out.dtype == np.float32
    assert np.array_equal(out, [[0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]])
    assert one_hot(Tensor([1, 0]), num_classes=4).shape == (2, 4)  # float32 labels accepted
    with pytest.raises(ValueError, match="out of range"):
        one_hot([0, 3], num_classes=3)
    with pytest.raises(ValueError, match="negative"):
        one_hot([0, -1])
    with pytest.raises(ValueError, match="non-integer"):
        one_hot([0.2, 0.8])


def test_class_weights_balanced_by_hand_and_against_sklearn():
    # y has 3 zeros and 1 one: 4 / (2 * 3) = 2/3 and 4 / (2 * 1) = 2
    assert np.allclose(class_weights([0, 0, 0, 1]), [2 / 3, 2])
    utils = pytest.importorskip("sklearn.utils")
    y = labels_from_sizes([5, 17, 3, 9])
    expected = utils.compute_class_weight("balanced", classes=np.arange(4), y=y)
    assert np.allclose(class_weights(y, "balanced"), expected)
    with pytest.raises(ValueError, match="class 1 never occurs"):
        class_weights([0, 2, 2])
    with pytest.raises(ValueError, match="balanced"):
        class_weights([0, 1], "inverse")


# ------------------------------------------------------------------ resampling


@FAST
@given(sizes=st.lists(st.integers(1, 30), min_size=1, max_size=4), seed=st.integers(0, 99))
def test_resampling_balances_classes_with_original_rows_only(sizes, seed):
    y = labels_from_sizes(sizes, seed)
    X = np.stack([np.arange(len(y)), y * 100], axis=1)  # row i is [i, 100 * label]
    for resample, per_class in ((oversample, max(sizes)), (undersample, min(sizes))):
        X_new, y_new = resample(X, y, seed=seed)
        assert np.array_equal(np.bincount(y_new), [per_class] * len(sizes))
        assert np.array_equal(X_new, X[X_new[:, 0]])  # every row is an original row
        assert np.array_equal(X_new[:, 1], y_new * 100)  # ... with its own label
    X_over, _ = oversample(X, y, seed=seed)
    assert set(X_over[:, 0]) == set(range(len(y)))  # oversampling keeps every original row
    X_under, _ = undersample(X, y, seed=seed)
    assert len(set(X_under[:, 0])) == len(X_under)  # undersampling never repeats a row


def test_resampling_is_seeded_shuffled_and_keeps_tensors():
    y = np.array([0] * 20 + [1] * 5)
    X = np.arange(25.0)[:, None]
    a, b = oversample(X, y, seed=2), oversample(X, y, seed=2)
    assert np.array_equal(a[0], b[0]) and not np.array_equal(a[1], np.sort(a[1]))
    X_t, y_t = undersample(Tensor(X), y, seed=0)
    assert isinstance(X_t, Tensor) and isinstance(y_t, np.ndarray) and X_t.shape == (10, 1)
    with pytest.raises(ValueError, match="same number of samples"):
        undersample(X, y[:-1])


def test_kfold_accepts_regression_targets_but_stratified_needs_labels():
    X = np.arange(20.0).reshape(10, 2)
    y = np.linspace(25.0, 346.0, 10)  # continuous targets, as in the diabetes data
    folds = list(KFold(n_splits=5).split(X, y))
    assert sorted(np.concatenate([test for _, test in folds]).tolist()) == list(range(10))
    with pytest.raises(ValueError):
        list(StratifiedKFold(n_splits=5).split(X, y))
