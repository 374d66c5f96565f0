"""Tests for the bundled data sets and their loaders in nn.data."""

from fnmatch import fnmatch
from pathlib import Path

import numpy as np
import pytest

from nn.data import load_breast_cancer, load_diabetes, load_digits, load_iris

REPO = Path(__file__).resolve().parent.parent


def test_iris_shapes_and_balanced_classes():
    X, y = load_iris()
    assert X.shape == (150, 4) and X.dtype == np.float64
    assert y.shape == (150,) and y.dtype == np.int64
    assert np.array_equal(np.bincount(y), [50, 50, 50])
    assert np.allclose(X[0], [5.1, 3.5, 1.4, 0.2])  # first row of the file


def test_breast_cancer_shapes_and_imbalance():
    X, y = load_breast_cancer()
    assert X.shape == (569, 30) and X.dtype == np.float64 and y.dtype == np.int64
    assert np.sum(y == 0) == 212 and np.sum(y == 1) == 357  # 0 = malignant, 1 = benign
    assert X[:, 3].max() > 1000 > 1 > X[:, 4].max()  # mean area vs mean smoothness scales


def test_digits_shapes_and_pixel_range():
    X, y = load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64 and y.dtype == np.int64
    assert set(np.unique(y)) == set(range(10))
    assert X.min() == 0 and X.max() == 16


def test_diabetes_is_a_regression_task():
    X, y = load_diabetes()
    assert X.shape == (442, 10) and X.dtype == np.float64
    assert y.shape == (442,) and y.dtype == np.float64
    assert y.min() == 25 and y.max() == 346
    assert set(np.unique(X[:, 1])) == {1.0, 2.0}  # the raw sex column has two codes


@pytest.mark.parametrize(
    "loader, n_features, targets",
    [
        (load_iris, 4, ["setosa", "versicolor", "virginica"]),
        (load_breast_cancer, 30, ["malignant", "benign"]),
        (load_digits, 64, [str(d) for d in range(10)]),
        (load_diabetes, 10, ["disease progression"]),
    ],
)
def test_names_come_with_return_names(loader, n_features, targets):
    X, y, feature_names, target_names = loader(return_names=True)
    assert len(feature_names) == X.shape[1] == n_features
    assert len(set(feature_names)) == n_features  # no name used twice
    assert target_names == targets
    assert len(loader()) == 2  # the default is just (X, y)


def test_each_call_returns_fresh_arrays():
    X, y = load_iris()
    X[:] = 0
    y[:] = 9
    X2, y2 = load_iris()
    assert X2[0, 0] == 5.1 and y2.max() == 2


def test_data_files_are_declared_as_package_data():
    tomllib = pytest.importorskip("tomllib")  # standard library from Python 3.11
    setuptools = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    if "packages" in setuptools and isinstance(setuptools["packages"], list):
        assert "nn.data" in setuptools["packages"]
    else:  # packages found automatically: some include pattern must match nn.data
        includes = setuptools["packages"]["find"]["include"]
        assert any(fnmatch("nn.data", pattern) for pattern in includes)
    patterns = setuptools["package-data"]["nn.data"]
    files_dir = REPO / "nn" / "data" / "files"
    shipped = {p.name for pattern in patterns for p in files_dir.glob(pattern.split("/", 1)[1])}
    on_disk = {p.name for p in files_dir.iterdir()}
    assert shipped == on_disk  # every file in nn/data/files is matched by a pattern
    assert "README.md" in shipped
