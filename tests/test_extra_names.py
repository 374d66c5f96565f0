"""A few more PyTorch functions (``tinygrad_dk.ops_extra`` and ``tg.logspace``) against
known values and numpy, their gradients against central differences in float64, and
their errors. The comparison with PyTorch itself is ``tests/test_differential_extra.py``."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_dk as tg
from tinygrad_dk.gradcheck import gradcheck

rows = st.integers(1, 4)
cols = st.integers(2, 7)


def _matrix(seed: int, shape: tuple[int, ...]) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


# --- logspace -------------------------------------------------------------------------------


def test_logspace_gives_learning_rates_to_try():
    rates = tg.logspace(-4, 0, 5)
    assert rates.dtype == np.float32
    assert np.allclose(rates.numpy(), [1e-4, 1e-3, 1e-2, 1e-1, 1.0])
    assert np.allclose(tg.logspace(0, 3, 4, base=2, dtype=tg.float64).numpy(), [1, 2, 4, 8])
    assert tg.logspace(0, 1, 0).shape == (0,)


# --- heaviside ------------------------------------------------------------------------------


def test_heaviside_steps_and_takes_values_at_zero():
    x = tg.tensor([-2.0, 0.0, 3.0, 0.0])
    assert tg.heaviside(x, tg.tensor(0.5)).tolist() == [0.0, 0.5, 1.0, 0.5]
    assert x.heaviside(tg.tensor([9.0, 7.0, 9.0, 1.0])).tolist() == [0.0, 7.0, 1.0, 1.0]


def test_heaviside_has_no_gradient_and_points_at_sigmoid():
    x = tg.tensor([-1.0, 2.0], requires_grad=True)
    y = tg.heaviside(x, tg.tensor(0.0)).sum()
    with pytest.raises(RuntimeError, match="sigmoid"):
        y.backward()


# --- angles ---------------------------------------------------------------------------------


def test_degrees_and_radians_convert_integers_to_floats():
    r = tg.deg2rad(tg.tensor([0, 90, 180]))
    assert r.is_floating_point()
    assert np.allclose(r.numpy(), [0.0, math.pi / 2, math.pi])
    assert np.allclose(tg.tensor([math.pi]).rad2deg().numpy(), [180.0])


@given(st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=8))
def test_degrees_there_and_back(values):
    x = tg.tensor(values, dtype=tg.float64)
    assert np.allclose(x.deg2rad().rad2deg().numpy(), values, rtol=1e-12, atol=1e-9)


# --- trapezoids -----------------------------------------------------------------------------


def test_trapezoid_gives_the_area_under_a_roc_curve():
    # a perfect classifier's ROC curve (0,0) -> (0,1) -> (1,1): area 1; the diagonal: 1/2
    assert tg.trapezoid(tg.tensor([0.0, 1.0, 1.0]), tg.tensor([0.0, 0.0, 1.0])).item() == 1.0
    assert tg.trapezoid(tg.tensor([0.0, 1.0]), tg.tensor([0.0, 1.0])).item() == 0.5


@given(rows, cols, st.sampled_from([None, 0.5, 2.0]), st.integers(0, 2**31))
def test_trapezoid_matches_numpy(r, c, dx, seed):
    y = _matrix(seed, (r, c))
    ours = tg.trapezoid(tg.tensor(y), dx=dx) if dx else tg.tensor(y).trapezoid()
    assert np.allclose(ours.numpy(), np.trapezoid(y, dx=dx or 1.0, axis=-1))
    x = np.sort(_matrix(seed + 1, (c,)))
    assert np.allclose(tg.trapezoid(tg.tensor(y), tg.tensor(x)).numpy(),
                       np.trapezoid(y, x, axis=-1))
    running = tg.cumulative_trapezoid(tg.tensor(y), tg.tensor(x), dim=1)
    assert running.shape == (r, c - 1)
    assert np.allclose(running.numpy()[:, -1], np.trapezoid(y, x, axis=-1))


def test_trapezoid_of_one_sample_is_zero():
    assert tg.trapezoid(tg.tensor([5.0])).item() == 0.0
    assert tg.cumulative_trapezoid(tg.tensor([5.0])).shape == (0,)


def test_trapezoid_gradients_match_central_differences():
    y = tg.tensor(_matrix(0, (3, 5)), requires_grad=True)
    x = tg.tensor(np.sort(_matrix(1, (3, 5)), axis=1), requires_grad=True)
    assert gradcheck(lambda y, x: tg.trapezoid(y, x, dim=1), [y, x])
    assert gradcheck(lambda y, x: tg.cumulative_trapezoid(y, x, dim=1), [y, x])
    assert gradcheck(lambda y: tg.trapezoid(y, dx=0.25, dim=0), [y])


@pytest.mark.parametrize("call, message", [
    (lambda: tg.trapezoid(tg.tensor(1.0)), "0 dimensions"),
    (lambda: tg.trapezoid(tg.tensor([1.0, 2.0]), dim=3), "out of range"),
    (lambda: tg.trapezoid(tg.tensor([1.0, 2.0]), tg.tensor([0.0, 1.0]), dx=1.0), "not both"),
    (lambda: tg.trapezoid(tg.tensor([1.0, 2.0]), 0.5), "dx=0.5"),
    (lambda: tg.trapezoid(tg.tensor([1.0, 2.0]), tg.tensor([0.0, 1.0, 2.0])), "one x value"),
    (lambda: tg.trapezoid(tg.tensor([[1.0, 2.0, 4.0]]), tg.tensor([[0.0, 1.0]])), "one x value"),
    (lambda: tg.cumulative_trapezoid(tg.ones(2, 3), tg.ones(2, 4), dim=1), "one x value"),
])
def test_trapezoid_refuses_unclear_input(call, message):
    with pytest.raises((TypeError, IndexError, RuntimeError), match=message):
        call()


# --- covariance and correlation -------------------------------------------------------------


@given(rows, cols, st.sampled_from([0, 1]), st.booleans(), st.booleans(), st.integers(0, 2**31))
def test_cov_matches_numpy(r, c, correction, use_f, use_a, seed):
    x = _matrix(seed, (r, c))
    rng = np.random.default_rng(seed + 1)
    fw = rng.integers(1, 4, size=c) if use_f else None
    aw = rng.uniform(0.5, 2.0, size=c) if use_a else None
    ours = tg.cov(tg.tensor(x), correction=correction,
                  fweights=None if fw is None else tg.tensor(fw),
                  aweights=None if aw is None else tg.tensor(aw))
    expected = np.cov(x, ddof=correction, fweights=fw, aweights=aw)
    assert ours.shape == np.shape(expected)
    assert np.allclose(ours.numpy(), expected)


def test_cov_of_one_variable_is_its_variance():
    v = tg.tensor([1.0, 2.0, 3.0, 4.0])
    assert v.cov().shape == ()
    assert math.isclose(v.cov().item(), np.var([1, 2, 3, 4], ddof=1), rel_tol=1e-6)


@given(rows, cols, st.integers(0, 2**31))
def test_corrcoef_matches_numpy_and_stays_in_range(r, c, seed):
    x = _matrix(seed, (r, c))
    ours = tg.tensor(x).corrcoef().numpy()
    assert np.allclose(ours, np.corrcoef(x))
    assert (np.abs(ours) <= 1.0).all()


def test_corrcoef_of_a_constant_variable_is_nan():
    c = tg.corrcoef(tg.tensor([[1.0, 2.0, 3.0], [4.0, 4.0, 4.0]])).numpy()
    assert math.isclose(c[0, 0], 1.0, rel_tol=1e-6)
    assert np.isnan(c[1]).all() and np.isnan(c[:, 1]).all()


def test_cov_and_corrcoef_gradients_match_central_differences():
    x = tg.tensor(_matrix(2, (3, 6)), requires_grad=True)
    aw = tg.tensor(np.random.default_rng(3).uniform(0.5, 2.0, size=6), requires_grad=True)
    assert gradcheck(lambda x: tg.cov(x), [x])
    assert gradcheck(lambda x, aw: tg.cov(x, fweights=tg.tensor([1, 2, 1, 3, 1, 1]),
                                          aweights=aw), [x, aw])
    assert gradcheck(lambda x: tg.corrcoef(x), [x])


def test_cov_with_no_degrees_of_freedom_warns_and_gives_inf_or_nan():
    with pytest.warns(UserWarning, match="degrees of freedom"):
        c = tg.cov(tg.tensor([[1.0, 2.0]]), correction=2)
    assert not np.isfinite(c.numpy()).any()


def test_cov_without_problems_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tg.cov(tg.tensor([[1.0, 2.0, 4.0]]))


@pytest.mark.parametrize("call, message", [
    (lambda: tg.cov(tg.zeros(2, 2, 2)), "two or fewer"),
    (lambda: tg.cov(tg.ones(2, 3), fweights=tg.tensor([1, 2])), "one weight per observation"),
    (lambda: tg.cov(tg.ones(2, 3), fweights=tg.tensor([1.0, 2.0, 1.0])), "integers"),
    (lambda: tg.cov(tg.ones(2, 3), aweights=tg.tensor([1, 2, 1])), "floating point"),
    (lambda: tg.cov(tg.ones(2, 3), fweights=tg.tensor([1, -2, 1])), "negative"),
    (lambda: tg.cov(tg.ones(2, 3), fweights=tg.tensor([0, 0, 0])), "sum to zero"),
])
def test_cov_refuses_unclear_weights(call, message):
    with pytest.raises(RuntimeError, match=message):
        call()
