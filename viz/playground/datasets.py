"""The playground's data: seven classification sets, two regression sets, seven features.

Every data set lives on the plane [-6, 6] x [-6, 6] (``DOMAIN``), so the pictures of
every neuron share one frame. The synthetic sets are drawn from a numpy Generator
(the session's seed); ``noise`` (0-50 %) moves each point by a Gaussian step *after*
its label is fixed, so noisy points can sit on the wrong side of the true boundary,
as real data do. The real sets are two columns of data the package ships:

* ``iris``: petal length and width of versicolor (class 0) and virginica (class 1),
  the two iris species that overlap a little;
* ``cancer``: worst radius and worst concave points of the breast-cancer set, with
  malignant as class 0 and benign as class 1.

Each real column is standardised and then scaled so that its largest |value| is 5.5:
the points fill the plane and keep their relative distances.

Labels are 0/1 for classification. Regression targets lie in [-1, 1].

The network never sees (x1, x2) directly, but the chosen *features* of them
(``make_features``): x1, x2, x1^2, x2^2, x1*x2, sin x1, sin x2. With x1^2 and x2^2 a
single neuron can draw a circle, the lesson of TensorFlow Playground.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from nn import data as nn_data

DOMAIN = 6.0
FEATURE_LABELS = {"x1": "x₁", "x2": "x₂", "x1sq": "x₁²", "x2sq": "x₂²", "x1x2": "x₁x₂",
                  "sin1": "sin x₁", "sin2": "sin x₂"}
_FEATURE_FUNCTIONS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "x1": lambda a, b: a,
    "x2": lambda a, b: b,
    "x1sq": lambda a, b: a * a,
    "x2sq": lambda a, b: b * b,
    "x1x2": lambda a, b: a * b,
    "sin1": lambda a, b: np.sin(a),
    "sin2": lambda a, b: np.sin(b),
}


def make_features(points: np.ndarray, names: Sequence[str]) -> np.ndarray:
    """The network's inputs: one column per feature name, computed from (x1, x2)."""
    a, b = points[:, 0], points[:, 1]
    return np.stack([_FEATURE_FUNCTIONS[name](a, b) for name in names], axis=1)


# --- synthetic sets: each returns points (n, 2) and targets (n,) -----------------------


def _circle(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Class 1 inside radius 2.5, class 0 on a ring from 3.5 to 5."""
    inner = n // 2
    radius = np.concatenate([rng.uniform(0.0, 2.5, inner), rng.uniform(3.5, 5.0, n - inner)])
    angle = rng.uniform(0.0, 2 * np.pi, n)
    points = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    return points, (radius < 3.0).astype(float)


def _xor(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Class 1 where x1 and x2 have the same sign; a small gap along the axes."""
    points = rng.uniform(0.3, 5.0, (n, 2)) * rng.choice([-1.0, 1.0], (n, 2))
    return points, (points[:, 0] * points[:, 1] > 0).astype(float)


def _gauss(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two round clouds (standard deviation 1) around (2, 2) and (-2, -2)."""
    y = (np.arange(n) < n // 2).astype(float)
    centres = np.where(y[:, None] == 1.0, 2.0, -2.0)
    return centres + rng.normal(0.0, 1.0, (n, 2)), y


def _spiral(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two spirals, one turned half a revolution against the other."""
    y = (np.arange(n) < n // 2).astype(float)
    t = rng.uniform(0.0, 1.0, n)
    radius = 5.0 * t
    angle = 1.75 * 2 * np.pi * t + np.pi * y
    return np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=1), y


def _moons(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles."""
    y = (np.arange(n) < n // 2).astype(float)
    t = rng.uniform(0.0, np.pi, n)
    upper = np.stack([np.cos(t), np.sin(t)], axis=1)
    lower = np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)], axis=1)
    points = np.where(y[:, None] == 1.0, upper, lower)
    return (points - [0.5, 0.25]) * 3.2, y


def _plane(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Regression on a tilted plane: target (x1 + x2) / 10."""
    points = rng.uniform(-5.0, 5.0, (n, 2))
    return points, points.sum(axis=1) / 10.0


def _bumps(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Regression on a hill at (2, 2) and a valley at (-2, -2), height +-1."""
    points = rng.uniform(-5.0, 5.0, (n, 2))

    def bump(centre: float) -> np.ndarray:
        return np.exp(-((points - centre) ** 2).sum(axis=1) / 8.0)

    return points, bump(2.0) - bump(-2.0)


_SYNTHETIC = {"circle": _circle, "xor": _xor, "gauss": _gauss, "spiral": _spiral,
              "moons": _moons, "plane": _plane, "bumps": _bumps}


# --- the real sets ----------------------------------------------------------------------


def _fill_plane(columns: np.ndarray) -> np.ndarray:
    """Standardise each column, then scale it so its largest |value| is 5.5."""
    z = (columns - columns.mean(axis=0)) / columns.std(axis=0)
    return z * (5.5 / np.abs(z).max(axis=0))


def _iris() -> tuple[np.ndarray, np.ndarray]:
    X, y = nn_data.load_iris()
    keep = y > 0  # versicolor (1) and virginica (2)
    return _fill_plane(X[keep][:, [2, 3]]), (y[keep] == 2).astype(float)


def _cancer() -> tuple[np.ndarray, np.ndarray]:
    X, y = nn_data.load_breast_cancer()
    return _fill_plane(X[:, [20, 27]]), y.astype(float)


_REAL = {"iris": _iris, "cancer": _cancer}


def make_data(name: str, n_points: int, noise: int,
              rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Points (n, 2) on the plane and their targets (n,), for data set ``name``."""
    if name in _REAL:
        return _REAL[name]()
    if name not in _SYNTHETIC:
        raise ValueError(f"unknown data set {name!r}; choose one of "
                         f"{', '.join([*_SYNTHETIC, *_REAL])}")
    points, targets = _SYNTHETIC[name](n_points, rng)
    if noise:
        points = points + rng.normal(0.0, 2.0 * noise / 100.0, points.shape)
    return points, targets


def split(n: int, train_percent: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Shuffled indices of the training and the test points (at least one of each)."""
    order = rng.permutation(n)
    n_train = min(max(round(n * train_percent / 100), 1), n - 1)
    return np.sort(order[:n_train]), np.sort(order[n_train:])


def grid(size: int) -> np.ndarray:
    """Points (size*size, 2) at the centres of a size x size raster over the plane.

    Row 0 is the top of the picture (largest x2), as images are stored.
    """
    centres = (np.arange(size) + 0.5) / size * 2 * DOMAIN - DOMAIN
    x1, x2 = np.meshgrid(centres, centres[::-1])
    return np.stack([x1.ravel(), x2.ravel()], axis=1)
