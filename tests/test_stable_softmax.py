"""Softmax, log-softmax, logsumexp and the losses built on them at extreme logits."""

import math

import numpy as np
import pytest

import nn.functional as F
import tinygrad_dk as tg
from tinygrad_dk import Tensor, Value

LN2 = math.log(2)


@pytest.mark.parametrize("dtype,big", [(np.float64, 1e30), (np.float32, 1e8),
                                       (np.float32, 3e38), (np.float64, 1e3)])
def test_softmax_of_equal_huge_logits_is_uniform(dtype, big):
    x = Tensor(np.array([big, big], dtype=dtype))
    np.testing.assert_allclose(tg.softmax(x).numpy(), [0.5, 0.5])
    np.testing.assert_allclose(tg.log_softmax(x).numpy(), [-LN2, -LN2], rtol=1e-6)


def test_softmax_probabilities_sum_to_one_around_1e6_in_float32():
    x = Tensor(np.array([1e6, 1e6 + 1, 1e6 - 3, 1e6 + 2], dtype=np.float32))
    assert float(tg.softmax(x).numpy().sum()) == pytest.approx(1.0, abs=1e-6)


def test_cross_entropy_at_huge_equal_logits_is_ln2():
    for build in (lambda: Tensor([[1e30, 1e30]], dtype=np.float64),
                  lambda: Tensor([[1e8, 1e8]], dtype=np.float32)):
        x = build()
        assert F.cross_entropy(x, np.array([0])).item() == pytest.approx(LN2, rel=1e-6)
        assert F.cross_entropy(x, np.array([0]), weight=np.array([1.0, 3.0])).item() == \
            pytest.approx(LN2, rel=1e-6)
        assert F.cross_entropy(x, np.array([0]), label_smoothing=0.2).item() == \
            pytest.approx(LN2, rel=1e-6)
    rows = [[Value(1e30), Value(1e30)]]
    assert F.cross_entropy(rows, [0]).data == pytest.approx(LN2)


@pytest.mark.parametrize("dtype,x", [(np.float64, [[-1e30, 1e3]]), (np.float32, [[-1e8, 10.0]])])
def test_cross_entropy_gradient_does_not_cancel(dtype, x):
    t = Tensor(np.array(x, dtype=dtype), requires_grad=True)
    F.cross_entropy(t, np.array([0])).backward()
    np.testing.assert_allclose(t.grad.numpy(), [[-1.0, 1.0]])


def test_bce_with_logits_keeps_its_digits_for_huge_logits():
    y = 1 - 2.0 ** -53
    loss = F.binary_cross_entropy_with_logits(Tensor([1e30], dtype=np.float64), np.array([y]))
    assert loss.item() == pytest.approx(1e30 * 2.0 ** -53, rel=1e-12)
    f32 = F.binary_cross_entropy_with_logits(Tensor([1e4], dtype=np.float32),
                                             np.array([0.9999], dtype=np.float32))
    assert f32.item() == pytest.approx(1.000166, rel=1e-5)
    scalar = F.binary_cross_entropy_with_logits([Value(1e30)], [y])
    assert scalar.data == pytest.approx(1e30 * 2.0 ** -53, rel=1e-12)


def test_reductions_over_an_empty_axis():
    x = Tensor(np.zeros((2, 0)))
    np.testing.assert_array_equal(x.logsumexp(axis=1).numpy(), [-np.inf, -np.inf])
    assert tg.softmax(x, axis=1).shape == (2, 0)
    assert tg.log_softmax(x, axis=1).shape == (2, 0)


def test_logsumexp_gradient_is_the_softmax_even_at_1e30():
    x = Tensor(np.array([1e30, 1e30]), requires_grad=True)
    x.logsumexp().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.5, 0.5])
