"""Tests for the loaders of the regression and time-series data: Engel, sunspots, CO2.

Known values are read straight from the files in nn/data/files (first and last rows,
a year with no sunspots, a missing CO2 week), so a damaged or swapped file fails.
"""

import datetime

import numpy as np
import pytest

from nn.data import load_co2, load_engel, load_sunspots


def test_engel_shapes_and_first_row():
    X, y = load_engel()
    assert X.shape == (235, 1) and X.dtype == np.float64
    assert y.shape == (235,) and y.dtype == np.float64
    assert X[0, 0] == pytest.approx(420.157650843928)
    assert y[0] == pytest.approx(255.839424594576)
    assert np.all(y > 0) and np.all(y < X[:, 0])  # a household spends part of its income


def test_engel_spread_grows_with_income():
    X, y = load_engel()
    share = y / X[:, 0]
    slope = np.polyfit(X[:, 0], y, 1)[0]
    residual = y - np.polyval(np.polyfit(X[:, 0], y, 1), X[:, 0])
    rich = X[:, 0] > np.median(X)
    assert 0.3 < slope < 0.7 and 0.2 < share.mean() < 0.9
    assert residual[rich].std() > 2 * residual[~rich].std()  # heteroscedastic


def test_sunspots_years_and_known_values():
    X, y = load_sunspots()
    assert X.shape == (309, 1) and y.shape == (309,)
    assert np.array_equal(X[:, 0], np.arange(1700, 2009))  # one row per year, in order
    assert y[0] == 5 and y[-1] == pytest.approx(2.9)       # 1700 and 2008
    assert y[1810 - 1700] == 0                               # a year without sunspots
    assert y.min() == 0 and y.max() == pytest.approx(190.2)


def test_co2_keeps_the_missing_weeks_as_nan_by_default():
    X, y = load_co2()
    assert X.shape == (2284, 1) and y.shape == (2284,)
    assert np.isnan(y).sum() == 59
    assert y[0] == pytest.approx(316.1) and y[-1] == pytest.approx(371.5)
    # 10 May 1958 is the first missing week; it keeps its date
    may_10 = 1958 + (datetime.date(1958, 5, 10) - datetime.date(1958, 1, 1)).days / 365
    row = int(np.argmin(np.abs(X[:, 0] - may_10)))
    assert X[row, 0] == pytest.approx(may_10) and np.isnan(y[row])
    assert np.all(np.diff(X[:, 0]) > 0)


def test_co2_dates_are_decimal_years():
    X, _ = load_co2()
    assert X[0, 0] == pytest.approx(1958 + 87 / 365)        # 29 March 1958, day 88
    assert X[-1, 0] == pytest.approx(2001 + 362 / 365)      # 29 December 2001
    weeks = np.diff(X[:, 0]) * 365.25
    assert np.median(weeks) == pytest.approx(7, abs=0.05)   # weekly, apart from gaps


def test_co2_dropna_leaves_out_exactly_the_missing_weeks():
    X_all, y_all = load_co2()
    X, y = load_co2(dropna=True)
    assert X.shape == (2225, 1) and not np.isnan(y).any()
    assert np.array_equal(X, X_all[~np.isnan(y_all)])
    assert 310 < y.min() < 320 < 370 < y.max() < 380


@pytest.mark.parametrize("loader, feature, target", [
    (load_engel, ["income"], ["food expenditure"]),
    (load_sunspots, ["year"], ["sunspot activity"]),
    (load_co2, ["year"], ["co2 (ppm)"]),
])
def test_series_names(loader, feature, target):
    X, y, feature_names, target_names = loader(return_names=True)
    assert feature_names == feature and target_names == target
    assert len(loader()) == 2
