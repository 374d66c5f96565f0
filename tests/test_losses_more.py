"""The lossx losses and the adaptive softmax: known values, errors that name the fix,
float64 gradcheck, state dicts that load both ways (differential rows against PyTorch:
test_differential_lossx.py)."""

from __future__ import annotations

import numpy as np
import pytest

import nn
import nn.functional as F
import tinygrad_dk as tg
from tinygrad_dk import Tensor, gradcheck


def test_multilabel_margin_known_value_and_padding():
    x = Tensor([[0.1, 0.2, 0.4, 0.8]])
    # classes 3 and 0 are true; what follows the first -1 is ignored
    y = np.array([[3, 0, -1, 1]])
    pairs = [(0.8, 0.2), (0.8, 0.4), (0.1, 0.2), (0.1, 0.4)]
    expected = sum(max(0.0, 1 - (t - o)) for t, o in pairs) / 4
    assert F.multilabel_margin_loss(x, y).item() == pytest.approx(expected, rel=1e-6)
    assert nn.MultiLabelMarginLoss(reduction="none")(x, y).shape == (1,)


@pytest.mark.parametrize("target, match", [
    (np.array([[0, 4, -1]]), "0 .. 2 or the padding -1"),
    (np.array([[0, -2, -1]]), "padding -1"),
    (np.array([[0.0, 1, -1]]), "convert with .long"),
    (np.array([0, 1, -1]), "input's shape"),
])
def test_multilabel_margin_errors(target, match):
    with pytest.raises((ValueError, TypeError), match=match):
        F.multilabel_margin_loss(Tensor(np.zeros((1, 3))), target)


def test_multilabel_margin_gradcheck():
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    y = np.array([[1, 2, -1, 0], [3, -1, 0, 0], [0, 1, 2, 3]])
    assert gradcheck(lambda t: F.multilabel_margin_loss(t, y), [x])


def test_triplet_with_distance_default_is_triplet_margin_loss():
    rng = np.random.default_rng(1)
    a, p, n = (Tensor(rng.standard_normal((4, 3))) for _ in range(3))
    ours = F.triplet_margin_with_distance_loss(a, p, n, swap=True)
    assert ours.item() == pytest.approx(F.triplet_margin_loss(a, p, n, swap=True).item())


def test_triplet_with_distance_gradcheck_and_errors():
    rng = np.random.default_rng(2)
    a, p, n = (Tensor(rng.standard_normal((3, 4)), requires_grad=True) for _ in range(3))
    cosine = nn.TripletMarginWithDistanceLoss(
        distance_function=lambda u, v: 1 - F.cosine_similarity(u, v), margin=1.5)
    assert gradcheck(lambda *t: cosine(*t), [a, p, n])
    with pytest.raises(ValueError, match="margin must be > 0"):
        nn.TripletMarginWithDistanceLoss(margin=0)
    with pytest.raises(ValueError, match="same number of axes"):
        F.triplet_margin_with_distance_loss(a, p, n[0])
    with pytest.raises(TypeError, match="distance_function"):
        F.triplet_margin_with_distance_loss(a, p, n, distance_function=3)
    with pytest.raises(TypeError):  # keyword-only, as PyTorch
        nn.TripletMarginWithDistanceLoss(None)


@pytest.mark.parametrize("cutoffs", [[], [3, 2], [0, 2], [2, 10], [2, 2], [1.5]])
def test_adaptive_softmax_bad_cutoffs(cutoffs):
    with pytest.raises(ValueError, match="cutoffs"):
        nn.AdaptiveLogSoftmaxWithLoss(8, 10, cutoffs)


def test_adaptive_softmax_names_shapes_and_targets():
    layer = nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 6], div_value=2.0, head_bias=True)
    shapes = {k: v.shape for k, v in layer.state_dict().items()}
    assert shapes == {"head.weight": (5, 8), "head.bias": (5,), "tail.0.0.weight": (4, 8),
                      "tail.0.1.weight": (3, 4), "tail.1.0.weight": (2, 8),
                      "tail.1.1.weight": (4, 2)}
    x = tg.randn(4, 8)
    with pytest.raises(RuntimeError, match=r"Target values should be in \[0, 9\]"):
        layer(x, np.array([0, 1, 2, 10]))
    with pytest.raises(RuntimeError, match="same size in the batch"):
        layer(x, np.array([0, 1]))
    with pytest.raises(ValueError, match="0 features"):
        nn.AdaptiveLogSoftmaxWithLoss(2, 10, [3, 6], div_value=4.0)
    log_p = layer.log_prob(x).numpy()
    assert layer.log_prob(x[0]).shape == (10,)  # one example (PyTorch's fails on it)
    np.testing.assert_allclose(np.exp(log_p).sum(1), 1, rtol=1e-5)
    out = layer(x, np.array([0, 4, 7, 9]))
    np.testing.assert_allclose(out.output.numpy(), log_p[np.arange(4), [0, 4, 7, 9]],
                               rtol=1e-5, atol=1e-6)


def test_adaptive_softmax_gradcheck():
    layer = nn.AdaptiveLogSoftmaxWithLoss(4, 6, [2, 4], div_value=2.0, dtype=np.float64)
    x = Tensor(np.random.default_rng(3).standard_normal((5, 4)), requires_grad=True)
    assert gradcheck(lambda t: layer(t, np.array([0, 2, 3, 5, 1])).loss, [x])
