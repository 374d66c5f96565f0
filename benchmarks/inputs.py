"""Inputs and starting weights, drawn once with numpy and copied into every engine.

Every engine in a workload starts from exactly these numbers, so their first losses
must agree; the runner prints a warning when they do not.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np


def make_moons(n_points: int, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles, like scikit-learn's ``make_moons``.

    The upper moon is the half circle of radius 1 around (0, 0); the lower moon is the
    same half circle flipped and moved to (1, 0.5). Gaussian noise of standard deviation
    ``noise`` is added to every coordinate. Returns ``(X, y)``: X of shape (n, 2) float64,
    y of shape (n,) with labels -1 (upper moon) and +1 (lower moon).
    """
    rng = np.random.default_rng(seed)
    n_upper = n_points // 2
    n_lower = n_points - n_upper
    angles_upper = np.linspace(0.0, np.pi, n_upper)
    angles_lower = np.linspace(0.0, np.pi, n_lower)
    upper = np.stack([np.cos(angles_upper), np.sin(angles_upper)], axis=1)
    lower = np.stack([1.0 - np.cos(angles_lower), 0.5 - np.sin(angles_lower)], axis=1)
    X = np.concatenate([upper, lower]) + rng.normal(scale=noise, size=(n_points, 2))
    y = np.concatenate([-np.ones(n_upper), np.ones(n_lower)])
    order = rng.permutation(n_points)
    return X[order], y[order]


def scalar_mlp_weights(sizes: list[int], seed: int = 1) -> list[tuple[np.ndarray, np.ndarray]]:
    """Starting weights for a scalar MLP with layer sizes ``sizes`` (inputs first).

    One ``(W, b)`` pair per layer, W of shape (n_out, n_in) drawn uniformly from [-1, 1]
    as micrograd draws its own, b from [-0.1, 0.1] (non-zero, so a bias copied into the
    wrong place changes the loss).
    """
    rng = np.random.default_rng(seed)
    return [
        (rng.uniform(-1.0, 1.0, size=(n_out, n_in)), rng.uniform(-0.1, 0.1, size=n_out))
        for n_in, n_out in pairwise(sizes)
    ]


def flatten_neuron_order(layers: list[tuple[np.ndarray, np.ndarray]]) -> list[float]:
    """The weights as plain floats in micrograd's parameter order.

    Layer by layer, neuron by neuron, each neuron's input weights then its bias: the
    order of ``parameters()`` in micrograd and in our scalar ``nn.MLP``.
    """
    flat: list[float] = []
    for W, b in layers:
        for row, bias in zip(W, b, strict=True):
            flat.extend(float(w) for w in row)
            flat.append(float(bias))
    return flat


def tensor_mlp_weights(
    sizes: list[int], dtype: type = np.float32, seed: int = 2
) -> list[np.ndarray]:
    """Starting weights for a tensor MLP: ``[W1, b1, W2, b2, ...]``.

    W has PyTorch's shape (out_features, in_features); W and b are uniform in
    [-1/sqrt(in), 1/sqrt(in)], the range ``torch.nn.Linear`` uses.
    """
    rng = np.random.default_rng(seed)
    arrays: list[np.ndarray] = []
    for n_in, n_out in pairwise(sizes):
        bound = 1.0 / np.sqrt(n_in)
        arrays.append(rng.uniform(-bound, bound, size=(n_out, n_in)).astype(dtype))
        arrays.append(rng.uniform(-bound, bound, size=n_out).astype(dtype))
    return arrays


def classification_batch(
    batch: int, n_features: int, n_classes: int, dtype: type = np.float32, seed: int = 3
) -> tuple[np.ndarray, np.ndarray]:
    """A random batch: standard-normal inputs (batch, n_features) and int64 class labels."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((batch, n_features)).astype(dtype)
    labels = rng.integers(0, n_classes, size=batch).astype(np.int64)
    return X, labels
