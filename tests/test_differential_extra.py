"""A few more PyTorch functions against PyTorch, by the differential harness
(``tests/differential.py``): ``logspace``, ``heaviside``, ``deg2rad``/``rad2deg``,
``trapezoid``/``cumulative_trapezoid`` and ``cov``/``corrcoef`` (``tinygrad_dk.ops_extra``).

Each row draws whether it calls the method (``y.trapezoid()``) or the function
(``tg.trapezoid(y)``).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

import differential as D  # noqa: E402
from differential import (  # noqa: E402
    FINITE,
    MODERATE,
    REAL,
    Case,
    Op,
    shape,
    values,
)

import tinygrad_dk as tg  # noqa: E402

D.use_torch(torch)


def _call(name):
    """Ours: the method or the tg function (drawn), with the same arguments."""
    def ours(x, *args, method, **kwargs):
        return getattr(x, name)(*args, **kwargs) if method else getattr(tg, name)(
            x, *args, **kwargs)
    return ours


def _theirs(name):
    def theirs(x, *args, method, **kwargs):
        return getattr(torch, name)(x, *args, **kwargs)
    return theirs


def _covers(*names):
    return tuple(f"{kind}.{n}" for n in names for kind in ("Tensor", "tg")) + tuple(
        f"ops_extra.{n}" for n in names)


# --- logspace: no inputs, forward only ------------------------------------------------------


def _logspace_draw(data):
    return Case([], {"start": data.draw(st.sampled_from([-4.0, -1.5, 0.0, 2.0])),
                     "end": data.draw(st.sampled_from([-2.0, 0.0, 1.0, 3.5])),
                     "steps": data.draw(st.sampled_from([0, 1, 2, 5])),
                     "base": data.draw(st.sampled_from([10.0, 2.0, 0.5, np.e])),
                     "dtype": data.draw(st.sampled_from([None, "float64"]))})


def _logspace(lib):
    def fn(start, end, steps, base, dtype):
        return lib.logspace(start, end, steps, base=base,
                            dtype=None if dtype is None else getattr(lib, dtype))
    return fn


# --- heaviside: forward only (no derivative in either library) ------------------------------


def _heaviside_draw(data):
    shapes = D.broadcast_shapes(data, 2)
    x = values(data, shapes[0], REAL)
    x = np.where(data.draw(st.booleans()), np.round(x), x)  # zeros, where values shows
    return Case([x, values(data, shapes[1], REAL)], {"method": data.draw(st.booleans())},
                grads=(False, False))


# --- trapezoids -----------------------------------------------------------------------------


def _trapezoid_draw(data):
    full = shape(data, min_dims=1)
    dim = data.draw(st.integers(-len(full), len(full) - 1))
    kind = data.draw(st.sampled_from(["none", "dx", "x1", "xfull"]))
    arrays = [values(data, full, FINITE)]
    kwargs = {"dim": dim, "method": data.draw(st.booleans())}
    if kind == "dx":
        kwargs["dx"] = data.draw(st.sampled_from([0.5, 2.0, -1.0]))
    elif kind == "x1":  # one position per sample along dim (sorted, as a ROC curve's)
        arrays.append(np.sort(values(data, (full[dim],), MODERATE)))
    elif kind == "xfull":
        arrays.append(values(data, full, MODERATE))
    return Case(arrays, kwargs)


# --- covariance and correlation -------------------------------------------------------------


def _cov_draw(data, weights=True):
    rows = data.draw(st.sampled_from([None, 1, 2, 3]))  # None: a 1-D input
    n = data.draw(st.sampled_from([1, 2, 3, 5]))
    arrays = [values(data, (n,) if rows is None else (rows, n), MODERATE)]
    kwargs = {"method": data.draw(st.booleans())}
    if not weights:
        return Case(arrays, kwargs)
    kwargs["correction"] = data.draw(st.sampled_from([1, 0, 2]))
    fweights = np.ones(n)
    if n > 1 and data.draw(st.booleans()):  # (PyTorch fails on one weighted observation)
        fweights = np.asarray(data.draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)),
                              dtype=np.int64)
        kwargs["fweights"] = fweights
    if data.draw(st.booleans()):  # importance weights: differentiable too
        aweights = np.abs(values(data, (n,), MODERATE)) + 0.5
        # the degrees of freedom left with both kinds of weights (torch.cov's formula);
        # where none are left PyTorch's own backward fails (it writes in place into a view
        # of the weights), so there is nothing to compare with
        w = fweights * aweights
        if n > 1 and w.sum() > 0 and (
                w.sum() - kwargs["correction"] * (w * aweights).sum() / w.sum() > 0):
            arrays.append(aweights)
    return Case(arrays, kwargs)


def _corrcoef_draw(data):
    """As cov's, without weights and without rows correlated +-1 (as any two observations
    are): there the final clamp to [-1, 1] lets the gradient through or stops it depending
    on the last bit of each library's rounding, so the two cannot be compared."""
    case = _cov_draw(data, weights=False)
    with np.errstate(all="ignore"):
        r = np.corrcoef(case.arrays[0])
    off_diagonal = r[~np.eye(r.shape[0], dtype=bool)] if r.ndim else np.zeros(0)
    assume(not (np.abs(off_diagonal) > 1 - 1e-6).any())
    return case


def _cov(lib):
    def fn(x, *aweights, method, fweights=None, **kwargs):
        if fweights is not None:
            kwargs["fweights"] = lib.tensor(fweights)
        if aweights:
            kwargs["aweights"] = aweights[0]
        return x.cov(**kwargs) if method and lib is tg else lib.cov(x, **kwargs)
    return fn


NO_DOF_NAN = ("with no degrees of freedom left (correction >= the weighted count), both "
              "divide by 0; 0/0 orders differ between the two")

ENDS_NAN = ("PyTorch's spacing-dx formula is sum(y) - (first + last) / 2: an inf upstream "
            "gradient gives inf - inf = nan at the ends (and with one sample everywhere), "
            "where the trapezoids' own weights (0 for one sample) are finite numbers")

EXTRA_OPS = [
    Op("logspace", _logspace(tg), _logspace(torch), _logspace_draw, second=False,
       covers=("tg.logspace",)),
    Op("heaviside", _call("heaviside"), _theirs("heaviside"), _heaviside_draw, second=False,
       covers=_covers("heaviside")),
    Op("deg2rad", _call("deg2rad"), _theirs("deg2rad"),
       lambda data: Case([values(data, shape(data), REAL)], {"method": data.draw(st.booleans())}),
       covers=_covers("deg2rad")),
    Op("rad2deg", _call("rad2deg"), _theirs("rad2deg"),
       lambda data: Case([values(data, shape(data), REAL)], {"method": data.draw(st.booleans())}),
       covers=_covers("rad2deg")),
    Op("trapezoid", _call("trapezoid"), _theirs("trapezoid"), _trapezoid_draw, sums=1,
       nan_ok=ENDS_NAN, covers=_covers("trapezoid")),
    Op("cumulative_trapezoid", _call("cumulative_trapezoid"), _theirs("cumulative_trapezoid"),
       _trapezoid_draw, sums=1, covers=_covers("cumulative_trapezoid")),
    Op("cov", _cov(tg), _cov(torch), _cov_draw, sums=2, nan_ok=NO_DOF_NAN,
       covers=_covers("cov")),
    Op("corrcoef", _call("corrcoef"), _theirs("corrcoef"),
       _corrcoef_draw, sums=2, nan_ok=NO_DOF_NAN,
       covers=_covers("corrcoef")),
]


@pytest.mark.parametrize("op", EXTRA_OPS, ids=lambda op: op.name)
@D.SETTINGS
@given(data=st.data())
def test_extra_op_matches_torch(op, data):
    D.check(op, data)
