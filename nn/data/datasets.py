"""Small real data sets that ship with the package.

Classification: iris, breast cancer, digits. Regression: diabetes, Engel's food
expenditure. Time series: yearly sunspots, weekly CO2 at Mauna Loa.

The files live in `nn/data/files/` (see the README there for where they come
from) and are read with plain numpy; nothing is downloaded. Each loader returns
`(X, y)` as numpy arrays: X is float64 with one row per sample, y is int64 class
labels (float64 targets for the regression tasks and the time series, whose X
is the time). With `return_names=True` you get `(X, y, feature_names,
target_names)` instead.
"""

from __future__ import annotations

import datetime
from importlib import resources
from typing import Any

import numpy as np

_IRIS_FEATURES = ["sepal length (cm)", "sepal width (cm)", "petal length (cm)",
                  "petal width (cm)"]
_CANCER_MEASUREMENTS = ["radius", "texture", "perimeter", "area", "smoothness", "compactness",
                        "concavity", "concave points", "symmetry", "fractal dimension"]
# 30 columns: the mean of each measurement over the nuclei in an image, then its
# standard error, then the "worst" value (mean of the three largest).
_CANCER_FEATURES = ([f"mean {m}" for m in _CANCER_MEASUREMENTS]
                    + [f"{m} error" for m in _CANCER_MEASUREMENTS]
                    + [f"worst {m}" for m in _CANCER_MEASUREMENTS])
_DIGITS_FEATURES = [f"pixel_{row}_{col}" for row in range(8) for col in range(8)]
# s1..s6 are blood serum values: total cholesterol, LDL, HDL, total cholesterol / HDL,
# log of serum triglycerides, blood sugar.
_DIABETES_FEATURES = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]


def _load_text(name: str, **loadtxt_kwargs: Any) -> np.ndarray:
    """Read one data file from the installed package (numpy opens .gz files itself)."""
    with resources.as_file(resources.files(__package__) / "files" / name) as path:
        if not path.exists():
            raise FileNotFoundError(
                f"data file {name} is missing from {path.parent}; reinstall tinygrad-dk "
                "(the files are package data of nn.data)."
            )
        return np.loadtxt(path, dtype=np.float64, ndmin=2, **loadtxt_kwargs)


def _read_header(name: str) -> tuple[int, int, list[str]]:
    """First line of iris.csv / breast_cancer.csv: n_rows, n_features, class names."""
    with resources.as_file(resources.files(__package__) / "files" / name) as path:
        fields = path.read_text(encoding="utf-8").split("\n", 1)[0].strip().split(",")
    return int(fields[0]), int(fields[1]), fields[2:]


def _labelled_csv(name: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Read a csv whose first line is a header and whose last column is the class."""
    n_rows, n_features, class_names = _read_header(name)
    table = _load_text(name, delimiter=",", skiprows=1)
    if table.shape != (n_rows, n_features + 1):
        raise ValueError(
            f"{name} should hold {n_rows} rows of {n_features} features plus a label, "
            f"but has shape {table.shape}; the file is damaged, reinstall the package."
        )
    return table[:, :-1], table[:, -1].astype(np.int64), class_names


def _result(X: np.ndarray, y: np.ndarray, return_names: bool, feature_names: list[str],
            target_names: list[str]) -> tuple[Any, ...]:
    if return_names:
        return X, y, list(feature_names), list(target_names)
    return X, y


def load_iris(return_names: bool = False) -> tuple[Any, ...]:
    """Fisher's iris flowers: 150 samples, 4 features (cm), 3 balanced classes.

    y: 0 = setosa, 1 = versicolor, 2 = virginica (50 each, rows sorted by class,
    so shuffle before splitting). One class is linearly separable from the others.
    """
    X, y, classes = _labelled_csv("iris.csv")
    return _result(X, y, return_names, _IRIS_FEATURES, classes)


def load_breast_cancer(return_names: bool = False) -> tuple[Any, ...]:
    """Breast Cancer Wisconsin (Diagnostic): 569 samples, 30 features, 2 classes.

    y: 0 = malignant (212), 1 = benign (357). The features have very different
    scales (areas in the hundreds, smoothness near 0.1), so scale them, and the
    classes are imbalanced: good data for thresholds, recall and class weights.
    """
    X, y, classes = _labelled_csv("breast_cancer.csv")
    return _result(X, y, return_names, _CANCER_FEATURES, classes)


def load_digits(return_names: bool = False) -> tuple[Any, ...]:
    """Handwritten digits as 8x8 images: 1797 samples, 64 pixel features (0..16), 10 classes.

    `X[i].reshape(8, 8)` is the image; y is the digit 0..9.
    """
    table = _load_text("digits.csv.gz", delimiter=",")
    X, y = table[:, :-1], table[:, -1].astype(np.int64)
    return _result(X, y, return_names, _DIGITS_FEATURES, [str(d) for d in range(10)])


def load_diabetes(return_names: bool = False) -> tuple[Any, ...]:
    """Diabetes progression (regression): 442 patients, 10 raw (unscaled) features.

    Features: age, sex, bmi, blood pressure and six blood serum values s1..s6.
    y (float64, 25..346) measures how far the disease progressed one year later.
    target_names is the one-element list naming that target.
    """
    X = _load_text("diabetes_data_raw.csv.gz")
    y = _load_text("diabetes_target.csv.gz").ravel()
    if X.shape[0] != y.shape[0]:
        raise ValueError(
            f"diabetes files disagree: {X.shape[0]} feature rows but {y.shape[0]} targets; "
            "reinstall the package."
        )
    return _result(X, y, return_names, _DIABETES_FEATURES, ["disease progression"])


def load_engel(return_names: bool = False) -> tuple[Any, ...]:
    """Engel's households (Belgium, 1857): 235 rows, income -> food expenditure.

    X (235, 1) is the household's yearly income, y (235,) what it spent on food
    (both in Belgian francs). Food spending grows with income, and so does its
    spread: rich households differ far more from each other than poor ones
    (heteroscedastic noise).
    """
    table = _load_text("engel.csv", delimiter=",", skiprows=1)
    _check_shape("engel.csv", table, (235, 2))
    return _result(table[:, :1], table[:, 1], return_names, ["income"], ["food expenditure"])


def load_sunspots(return_names: bool = False) -> tuple[Any, ...]:
    """Yearly sunspot activity, 1700-2008: 309 years, about an 11-year cycle.

    X (309, 1) is the year, y (309,) the yearly mean sunspot activity: never
    negative and often close to 0 at the bottom of a cycle (some years are 0).
    Rows are in time order; keep it that way when you split (test on the future).
    """
    table = _load_text("sunspots.csv", delimiter=",", skiprows=1)
    _check_shape("sunspots.csv", table, (309, 2))
    return _result(table[:, :1], table[:, 1], return_names, ["year"], ["sunspot activity"])


def load_co2(return_names: bool = False, dropna: bool = False) -> tuple[Any, ...]:
    """Weekly atmospheric CO2 at Mauna Loa, March 1958 - December 2001: 2284 weeks.

    X (n, 1) is the time as a decimal year (1958.24 is late March 1958), y (n,) the
    CO2 concentration in ppm: a rising trend plus a yearly season.

    59 weeks have no measurement. By default they are kept, with y = NaN, so the
    weeks stay evenly spaced and you can see where the gaps are
    (`np.isnan(y).sum() == 59`); `nn.fit` refuses NaN, so decide what to do with
    them. `dropna=True` leaves those rows out (2225 weeks remain).
    """
    table = _load_text("co2.csv", delimiter=",", skiprows=1, converters={1: _float_or_nan})
    _check_shape("co2.csv", table, (2284, 2))
    years = np.array([_decimal_year(int(d)) for d in table[:, 0]])
    X, y = years.reshape(-1, 1), table[:, 1]
    if dropna:
        keep = ~np.isnan(y)
        X, y = X[keep], y[keep]
    return _result(X, y, return_names, ["year"], ["co2 (ppm)"])


def _float_or_nan(field: str | bytes) -> float:
    """A csv field as a float; an empty field (a missing week) becomes NaN."""
    text = field.decode() if isinstance(field, bytes) else field
    return float(text) if text.strip() else float("nan")


def _decimal_year(yyyymmdd: int) -> float:
    """20011229 -> 2001.99: the year plus the fraction of it that has passed."""
    date = datetime.date(yyyymmdd // 10000, yyyymmdd // 100 % 100, yyyymmdd % 100)
    start = datetime.date(date.year, 1, 1)
    days = (datetime.date(date.year + 1, 1, 1) - start).days
    return date.year + (date - start).days / days


def _check_shape(name: str, table: np.ndarray, shape: tuple[int, int]) -> None:
    if table.shape != shape:
        raise ValueError(f"{name} should have shape {shape} but has {table.shape}; the file "
                         "is damaged, reinstall the package.")
