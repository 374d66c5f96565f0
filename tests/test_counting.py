"""Counting and binning (``tinygrad_dk.ops_count``): bincount, histc, searchsorted,
bucketize and isin, against plain Python counts, numpy and (when installed) PyTorch."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_dk as tg

HAS_TORCH = importlib.util.find_spec("torch") is not None
labels = st.lists(st.integers(0, 6), max_size=30)


@given(labels, st.integers(0, 10))
def test_bincount_counts_each_value(values, minlength):
    counts = tg.bincount(tg.tensor(values, dtype=tg.int64), minlength=minlength)
    size = max(max(values, default=-1) + 1, minlength)
    assert counts.dtype == np.int64
    assert counts.tolist() == [values.count(v) for v in range(size)]
    if HAS_TORCH:
        import torch

        expected = torch.bincount(torch.tensor(values, dtype=torch.long), minlength=minlength)
        assert counts.tolist() == expected.tolist()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bincount_with_weights_sums_them_in_their_dtype(dtype):
    y = tg.tensor([0, 1, 1, 3])
    w = tg.tensor(np.array([0.5, 1.0, 2.0, 4.0], dtype=dtype))
    sums = y.bincount(weights=w)
    assert sums.dtype == dtype
    assert sums.tolist() == [0.5, 3.0, 0.0, 4.0]
    if HAS_TORCH:
        import torch

        expected = torch.bincount(torch.tensor([0, 1, 1, 3]), weights=torch.from_numpy(w.numpy()))
        assert str(expected.dtype) == f"torch.{np.dtype(dtype).name}"


def test_bincount_gives_class_weights():
    # the course's remedy for imbalance: weight each class by 1 / its count
    y = tg.tensor([0, 0, 0, 1])
    weights = 1.0 / tg.bincount(y).float()
    assert np.allclose(weights.numpy(), [1 / 3, 1.0])


@pytest.mark.parametrize("bad, message", [
    (tg.tensor([1.0, 2.0]), "must hold integers"),
    (tg.tensor([[1, 2]]), "must be 1-D"),
    (tg.tensor([1, -2]), "negative value -2"),
])
def test_bincount_refuses_what_it_cannot_count(bad, message):
    with pytest.raises((TypeError, ValueError), match=message):
        tg.bincount(bad)


def test_bincount_weights_must_fit():
    with pytest.raises(ValueError, match="one weight per element"):
        tg.bincount(tg.tensor([0, 1]), weights=tg.tensor([1.0]))


@given(st.lists(st.floats(-5, 5, allow_nan=False), min_size=1, max_size=30),
       st.integers(1, 8), st.sampled_from([(0.0, 0.0), (-2.0, 3.0), (1.0, 1.0)]),
       st.sampled_from([np.float32, np.float64]))
def test_histc_matches_pytorch(values, bins, bounds, dtype):
    lo, hi = bounds
    x = tg.tensor(np.array(values, dtype=dtype))
    counts = tg.histc(x, bins=bins, min=lo, max=hi)
    assert counts.dtype == dtype and counts.shape == (bins,)
    if (lo, hi) == (-2.0, 3.0):
        inside = [v for v in values if lo <= v <= hi]
        assert counts.sum().item() == len(inside)  # values outside the range are left out
    if HAS_TORCH:
        import torch

        expected = torch.histc(torch.tensor(np.array(values, dtype=dtype)), bins=bins,
                               min=lo, max=hi)
        np.testing.assert_array_equal(counts.numpy(), expected.numpy())


def test_histc_errors():
    with pytest.raises(TypeError, match="floating point"):
        tg.histc(tg.tensor([1, 2]))
    with pytest.raises(ValueError, match="positive"):
        tg.tensor([1.0]).histc(bins=0)
    with pytest.raises(ValueError, match="must not be larger"):
        tg.tensor([1.0]).histc(bins=2, min=3, max=1)


@given(st.lists(st.integers(-10, 10), min_size=1, max_size=12, unique=True),
       st.lists(st.integers(-12, 12), max_size=12), st.booleans())
def test_bucketize_and_searchsorted_match_pytorch(edges, values, right):
    edges = sorted(edges)
    found = tg.bucketize(tg.tensor(values, dtype=tg.int64), tg.tensor(edges), right=right)
    # the bucket is the number of boundaries below the value (right=True: at or below)
    assert found.tolist() == [sum(e <= v if right else e < v for e in edges) for v in values]
    again = tg.searchsorted(tg.tensor(edges), tg.tensor(values, dtype=tg.int64),
                            side="right" if right else "left")
    assert again.tolist() == found.tolist() and again.dtype == np.int64
    if HAS_TORCH:
        import torch

        expected = torch.bucketize(torch.tensor(values, dtype=torch.long),
                                   torch.tensor(edges), right=right)
        assert found.tolist() == expected.tolist()


def test_searchsorted_row_by_row_and_its_errors():
    seq = tg.tensor([[1, 3, 5], [2, 4, 6]])
    assert tg.searchsorted(seq, tg.tensor([[3], [5]])).tolist() == [[1], [2]]
    assert tg.searchsorted(seq, [[3], [5]], out_int32=True).dtype == np.int32
    with pytest.raises(ValueError, match="same leading shape"):
        tg.searchsorted(seq, tg.tensor([[3], [5], [7]]))
    with pytest.raises(ValueError, match="contradict"):
        tg.searchsorted(seq, [[3], [5]], right=True, side="left")
    with pytest.raises(ValueError, match="must be 1-D"):
        tg.bucketize(tg.tensor([1]), seq)


def test_isin():
    found = tg.isin(tg.tensor([1, 2, 3]), tg.tensor([2, 5]))
    assert found.dtype == np.bool_ and found.tolist() == [False, True, False]
    assert tg.isin([1, 2, 3], [2, 5], invert=True).tolist() == [True, False, True]
