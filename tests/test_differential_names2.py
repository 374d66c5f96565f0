"""``torch.gradient`` and the window functions against PyTorch, by the differential harness
(``tests/differential.py``); the rest of group names2 (threads, autocast, GradScaler,
sparse_, Adafactor's trajectory, the recurrent base classes) is in ``test_names2.py`` and
``test_differential_optim.py``.

``gradient`` returns one tensor per axis; the rows compare them joined into one flat
tensor (so the harness's single upstream gradient reaches every one of them).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

import differential as D  # noqa: E402
from differential import MODERATE, REAL, Case, Op, shape, values  # noqa: E402

import tinygrad_dk as tg  # noqa: E402

D.use_torch(torch)


# --- gradient -------------------------------------------------------------------------------


def _gradient_draw(data):
    """A shape with at least one axis, the axes (None, one, several), the spacing (default,
    a number, one number per axis, or coordinates per axis) and the edge order."""
    full = shape(data, min_dims=1)
    ndim = len(full)
    kind = data.draw(st.sampled_from(["all", "one", "some"]), label="dim kind")
    dim = None if kind == "all" else data.draw(st.integers(-ndim, ndim - 1)) if kind == "one" \
        else tuple(data.draw(st.permutations(range(ndim)))[:data.draw(st.integers(1, ndim))])
    axes = range(ndim) if dim is None else [dim] if isinstance(dim, int) else dim
    spacing_kind = data.draw(st.sampled_from(["default", "number", "numbers", "coordinates"]))
    arrays = [values(data, full, REAL)]
    kwargs = {"dim": dim, "edge_order": data.draw(st.sampled_from([1, 2]))}
    if spacing_kind == "number":
        kwargs["spacing"] = data.draw(st.sampled_from([0.5, 2.0, -1.0, 3]))
    elif spacing_kind == "numbers":
        kwargs["spacing"] = [data.draw(st.sampled_from([0.5, 2.0, -0.25])) for _ in axes]
    elif spacing_kind == "coordinates":  # increasing positions, unequal steps
        for a in axes:
            steps = np.abs(values(data, (full[a],), MODERATE)) + 0.5
            arrays.append(np.cumsum(steps) - steps[:1].sum())  # (0 for no samples)
    return Case(arrays, kwargs)


def _gradient(lib):
    def fn(x, *coordinates, dim, edge_order, spacing=None):
        kwargs = {"edge_order": edge_order}
        if dim is not None:
            kwargs["dim"] = dim
        if coordinates:
            kwargs["spacing"] = tuple(coordinates)
        elif spacing is not None:
            kwargs["spacing"] = spacing
        return lib.cat([g.reshape(-1) for g in lib.gradient(x, **kwargs)])
    return fn


# --- windows: no inputs, forward only -------------------------------------------------------

WINDOWS = ("hann_window", "hamming_window", "bartlett_window", "blackman_window",
           "kaiser_window")


def _window_draw(name):
    def draw(data):
        kwargs = {"window_length": data.draw(st.sampled_from([0, 1, 2, 3, 8, 33])),
                  "periodic": data.draw(st.booleans()),
                  "dtype": data.draw(st.sampled_from([None, "float64", "float32"]))}
        if name == "hamming_window":
            kwargs["alpha"] = data.draw(st.sampled_from([0.54, 0.5, 1.0]))
            kwargs["beta"] = data.draw(st.sampled_from([0.46, 0.5, 0.0]))
        if name == "kaiser_window":  # (PyTorch's float32 window is nan from beta ~ 90 on)
            kwargs["beta"] = data.draw(st.sampled_from([12.0, 0.0, 5.0, -3.0, 40.0]))
        return Case([], kwargs)
    return draw


def _window(lib, name):
    """Ours in the drawn dtype; PyTorch's in float64, rounded to it: PyTorch computes a
    float32 window in float32 (its cosines off by a few float32 ulps), ours in float64
    and rounds once (test_names2.py checks the float32 windows to float32's precision)."""
    def fn(window_length, periodic, dtype, **more):
        want = tg.get_default_dtype() if dtype is None else getattr(tg, dtype)
        make = getattr(lib, name)
        kind = {"dtype": lib.float64} if lib is torch else {"dtype": want}
        if name in ("hamming_window", "kaiser_window"):  # PyTorch: positional after periodic
            out = make(window_length, periodic, *more.values(), **kind)
        else:
            out = make(window_length, periodic, **kind)
        return out.to(getattr(torch, str(want))) if lib is torch else out
    return fn


NAMES2_OPS = [
    Op("gradient", _gradient(tg), _gradient(torch), _gradient_draw,
       covers=("tg.gradient", "ops_gradient.gradient")),
    *(Op(name, _window(tg, name), _window(torch, name), _window_draw(name), second=False,
         covers=(f"tg.{name}",)) for name in WINDOWS),
]


@pytest.mark.parametrize("op", NAMES2_OPS, ids=lambda op: op.name)
@D.SETTINGS
@given(data=st.data())
def test_names2_op_matches_torch(op, data):
    D.check(op, data)
