"""Fractional max pooling: PyTorch's interval sequence, the windows, errors that name the
fix, gradients (float64 gradcheck) and the engine's generator (differential rows against
PyTorch with shared samples: test_differential_lossx.py)."""

from __future__ import annotations

import numpy as np
import pytest

import nn
import nn.functional as F
import tinygrad_dk as tg
from nn.functional_more import intervals
from tinygrad_dk import Tensor, gradcheck


def test_intervals_formula():
    # n = 7, out = 5, k = 2: alpha = 5 / 4; u = 0.5 -> floor((i + .5) 1.25) - floor(.625)
    starts = intervals(np.array([0.5]), 7, 5, 2)[0]
    assert starts.tolist() == [0, 1, 3, 4, 5]
    assert intervals(np.array([0.3]), 7, 1, 3)[0].tolist() == [4]  # one window: at the end


def test_values_are_window_maxima_and_indices_point_at_them():
    x = tg.randn(2, 3, 9, 9)
    out, where = F.fractional_max_pool2d(x, 3, output_size=4, return_indices=True)
    flat = x.numpy().reshape(2, 3, -1)
    picked = np.take_along_axis(flat, where.numpy().reshape(2, 3, -1), -1).reshape(out.shape)
    np.testing.assert_array_equal(out.numpy(), picked)
    assert where.dtype == np.int64 and out.shape == (2, 3, 4, 4)


def test_seeded_and_shared_samples():
    x = tg.randn(1, 2, 8, 8)
    tg.manual_seed(5)
    a = F.fractional_max_pool2d(x, 2, output_ratio=(0.5, 0.5))
    tg.manual_seed(5)
    b = F.fractional_max_pool2d(x, 2, output_ratio=(0.5, 0.5))
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    u = tg.rand(1, 2, 3)
    pool = nn.FractionalMaxPool3d(2, output_size=(2, 3, 3), _random_samples=u)
    assert "_random_samples" in pool.state_dict()
    np.testing.assert_array_equal(pool(tg.randn(1, 2, 4, 5, 5)).shape, (1, 2, 2, 3, 3))


def test_gradcheck():
    x = Tensor(np.random.default_rng(0).standard_normal((1, 2, 6, 6)), requires_grad=True)
    u = np.random.default_rng(1).random((1, 2, 2))
    assert gradcheck(lambda t: F.fractional_max_pool2d(t, 2, output_size=4,
                                                       _random_samples=u), [x])


@pytest.mark.parametrize("kwargs, match", [
    (dict(kernel_size=2), "either an output_size or an output_ratio"),
    (dict(kernel_size=2, output_size=3, output_ratio=0.5), "only one of"),
    (dict(kernel_size=4, output_size=3), "do not fit"),
    (dict(kernel_size=2, output_size=3, _random_samples=np.zeros((1, 1, 2))), "dtype"),
    (dict(kernel_size=2, output_size=3, _random_samples=np.zeros((1, 2, 2), np.float32)),
     "shape"),
])
def test_errors(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        F.fractional_max_pool2d(tg.randn(2, 1, 5, 5), **kwargs)


def test_module_errors():
    with pytest.raises(ValueError, match="output_ratio must be between 0 and 1"):
        nn.FractionalMaxPool2d(2, output_ratio=1.5)
    with pytest.raises(ValueError, match="either an output size"):
        nn.FractionalMaxPool2d(2)
