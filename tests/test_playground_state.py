"""The playground's settings in the address, and its data sets (no web library needed)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from viz.playground import datasets
from viz.playground.state import (
    ACTIVATIONS,
    CONTROLS,
    DATASETS,
    ENGINES,
    FEATURES,
    OPTIMIZERS,
    REGULARIZATIONS,
    Settings,
    parse_query,
)


def query_dict(query: str) -> dict[str, str]:
    return dict(pair.split("=", 1) for pair in query.split("&"))


def test_defaults_round_trip_through_the_address() -> None:
    settings, errors = parse_query(query_dict(Settings().to_query()))
    assert settings == Settings() and errors == []
    assert parse_query({}) == (Settings(), [])


settings_strategy = st.builds(
    Settings,
    data=st.sampled_from(list(DATASETS)),
    noise=st.integers(0, 50),
    train=st.integers(10, 90),
    points=st.integers(20, 1000),
    seed=st.integers(0, 2**31 - 1),
    features=st.lists(st.sampled_from(FEATURES), min_size=1, unique=True).map(
        lambda names: tuple(f for f in FEATURES if f in names)),
    hidden=st.lists(st.integers(1, 8), max_size=6).map(tuple),
    activation=st.sampled_from(ACTIVATIONS),
    lr=st.floats(1e-5, 10.0),
    batch=st.one_of(st.none(), st.integers(1, 1000)),
    optimizer=st.sampled_from(OPTIMIZERS),
    reg=st.sampled_from(REGULARIZATIONS),
    rate=st.floats(0.0, 10.0),
    dropout=st.floats(0.0, 0.9),
    engine=st.sampled_from(ENGINES),
    hide=st.lists(st.sampled_from(CONTROLS), unique=True).map(
        lambda names: tuple(c for c in CONTROLS if c in names)),
)


@given(settings_strategy)
def test_any_valid_settings_survive_the_address(settings: Settings) -> None:
    back, errors = parse_query(query_dict(settings.to_query()))
    assert errors == []
    # Floats travel as %g text (6 significant digits), everything else exactly.
    for name in ("lr", "rate", "dropout"):
        assert getattr(back, name) == pytest.approx(getattr(settings, name), rel=1e-5, abs=1e-12)
    exact = {k: v for k, v in vars(settings).items() if k not in ("lr", "rate", "dropout")}
    assert {k: getattr(back, k) for k in exact} == exact


@pytest.mark.parametrize("key, value, words", [
    ("lr", "banana", ["lr", "'banana' is not a number", "above 0", "using the default (lr=0.03)"]),
    ("lr", "0", ["lr", "out of range"]),
    ("lr", "nan", ["lr", "out of range"]),
    ("lr", "inf", ["lr", "out of range"]),
    ("noise", "70", ["noise", "from 0 to 50"]),
    ("noise", "2.5", ["noise", "whole number"]),
    ("hidden", "4,9", ["hidden", "'9'", "1-8 neurons"]),
    ("hidden", "1,1,1,1,1,1,1", ["hidden", "7 hidden layers", "at most 6"]),
    ("features", "", ["features", "at least one"]),
    ("features", "x1,x3", ["features", "'x3'", "sin1"]),
    ("activation", "softmax", ["activation", "'softmax' is not one of relu"]),
    ("batch", "0", ["batch", "1 to 1000", "'full'"]),
    ("dropout", "1", ["dropout", "0 to 0.9"]),
    ("engine", "torch", ["engine", "tensor, value"]),
    ("hide", "everything", ["hide", "'everything'", "engine"]),
])
def test_a_bad_value_names_itself_and_falls_back_to_the_default(key, value, words) -> None:
    settings, errors = parse_query({key: value, "data": "xor"})
    assert settings == Settings(data="xor")  # the good setting is kept, the bad one reset
    assert len(errors) == 1
    for word in words:
        assert word in errors[0]


def test_unknown_settings_are_reported_and_ignored() -> None:
    settings, errors = parse_query({"lerning_rate": "0.1"})
    assert settings == Settings()
    assert "unknown setting 'lerning_rate'" in errors[0] and "lr" in errors[0]


def test_changes_from_the_page_keep_the_current_value_when_bad() -> None:
    start = Settings(lr=0.1, hidden=(3,))
    new, errors = start.updated({"lr": -1, "hidden": [8, 8], "activation": "relu"})
    assert new == Settings(lr=0.1, hidden=(8, 8), activation="relu")
    assert len(errors) == 1 and "keeping (lr=0.1)" in errors[0]


@pytest.mark.parametrize("value", [True, None, {"a": 1}])
def test_values_that_are_not_text_or_numbers_are_refused(value) -> None:
    new, errors = Settings().updated({"lr": value})
    assert new == Settings() and "not a setting value" in errors[0]


def test_changes_must_be_an_object() -> None:
    new, errors = Settings().updated(["lr", 1])  # type: ignore[arg-type]
    assert new == Settings() and "object of setting: value pairs" in errors[0]


def test_special_spellings() -> None:
    settings, errors = parse_query({"hidden": "none", "batch": "full", "hide": "",
                                    "features": "x2,x1,x2"})
    assert errors == []
    assert settings.hidden == () and settings.batch is None and settings.hide == ()
    assert settings.features == ("x1", "x2")  # canonical order, no repeats
    assert settings.layer_sizes == [2, 1]
    assert "hidden=none" in settings.to_query() and "batch=full" in settings.to_query()
    assert Settings(data="bumps").task == "regression"
    assert Settings(features=("x1", "x1sq", "sin2"), hidden=(8, 3)).layer_sizes == [3, 8, 3, 1]


# --- data -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", [name for name, task in DATASETS.items()])
def test_every_data_set_lies_on_the_plane_with_sensible_targets(name: str) -> None:
    rng = np.random.default_rng(0)
    points, targets = datasets.make_data(name, 200, 0, rng)
    assert points.ndim == 2 and points.shape[1] == 2 and len(points) == len(targets)
    assert np.isfinite(points).all() and np.abs(points).max() <= datasets.DOMAIN
    if DATASETS[name] == "classification":
        assert set(np.unique(targets)) == {0.0, 1.0}
        assert 0.3 < targets.mean() < 0.7  # both classes well represented
    else:
        assert np.abs(targets).max() <= 1.0 and targets.std() > 0.1
    again, _ = datasets.make_data(name, 200, 0, np.random.default_rng(0))
    assert np.array_equal(points, again)  # the seed fixes the data


def test_real_data_sets_use_every_row() -> None:
    iris, y_iris = datasets.make_data("iris", 50, 30, np.random.default_rng(0))
    cancer, y_cancer = datasets.make_data("cancer", 50, 30, np.random.default_rng(0))
    assert len(iris) == 100 and y_iris.sum() == 50  # versicolor and virginica
    assert len(cancer) == 569 and y_cancer.sum() == 357  # benign is class 1
    assert np.abs(iris).max(axis=0) == pytest.approx([5.5, 5.5])


def test_noise_moves_points_but_keeps_labels() -> None:
    clean, y_clean = datasets.make_data("circle", 300, 0, np.random.default_rng(4))
    noisy, y_noisy = datasets.make_data("circle", 300, 50, np.random.default_rng(4))
    assert np.array_equal(y_clean, y_noisy)
    assert 0.5 < np.std(noisy - clean) < 1.5  # noise 50 % is a step of about 1 unit


def test_split_and_features() -> None:
    train, test = datasets.split(10, 30, np.random.default_rng(0))
    assert len(train) == 3 and len(test) == 7
    assert sorted([*train, *test]) == list(range(10))
    points = np.array([[1.0, -2.0], [0.5, 3.0]])
    expected = np.array([[1.0, -2.0, 1.0, 4.0, -2.0, np.sin(1.0), np.sin(-2.0)],
                         [0.5, 3.0, 0.25, 9.0, 1.5, np.sin(0.5), np.sin(3.0)]])
    assert np.allclose(datasets.make_features(points, FEATURES), expected)
    grid = datasets.grid(4)
    assert grid[0].tolist() == [-4.5, 4.5] and grid[-1].tolist() == [4.5, -4.5]  # top left first
