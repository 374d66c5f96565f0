"""The spatial group against PyTorch, by the differential harness (``tests/differential.py``):
``F.affine_grid``, ``F.grid_sample`` (every mode, padding mode and ``align_corners``, images
and volumes), the two together (a spatial transformer: gradients with respect to the input
and ``theta``), ``F.interpolate``/``nn.Upsample`` with ``mode="bicubic"`` and ``"area"``,
and the old names ``F.upsample_nearest``/``F.upsample_bilinear``.

Grids are drawn from every kind of finite number (points far outside included) for the
padding modes 'zeros' and 'border'; for 'reflection' from moderate ones (up to +-1e3): a
point 1e30 widths away is mirrored some 1e30 times, where the two libraries' float
arithmetic (fmod against a floor division) keeps different digits. Bicubic grids are
moderate too: at a point 1e30 away, past the border, the result is the constant edge
pixel, whose second derivative is 0 (ours: 1e-16), but PyTorch's is rounding noise of
size 1e100.

The spatial transformer row draws ``theta`` without whole numbers: with them, sampled
points land exactly on pixels, the kinks of bilinear sampling, where the one-sided
derivative depends on the last bit of the point. PyTorch's float64 ``linspace`` is
vectorised (its rounding depends on the CPU's vector width), so our grid may differ
from its by an ulp there (float32 grids agree to the bit; ``test_spatial.py`` checks
whole-number thetas such as the identity by their values).
"""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

import differential as D  # noqa: E402
from differential import FINITE, MODERATE, REAL, Case, Domain, Op, values  # noqa: E402
from test_differential_nn_extra import _interpolate_run, resize_case  # noqa: E402

import nn  # noqa: E402
import nn.functional as F  # noqa: E402

D.use_torch(torch)
TF = torch.nn.functional

SUMS_FIRST = ("PyTorch's derivative for the grid adds up the neighbours' differences and then "
              "multiplies by the upstream gradient; ours multiplies each neighbour by it first, "
              "so an infinite upstream gradient gives inf - inf = nan where PyTorch's gives inf")
LANDS_ON_SOURCE = ("a pixel that lands exactly on its source: PyTorch still adds its "
                   "neighbours times 0 (0 * inf = nan), ours leaves them out")


def _sample_options(data, volume):
    mode = data.draw(st.sampled_from(["bilinear", "nearest"] if volume
                                      else ["bilinear", "nearest", "bicubic"]), label="mode")
    padding = data.draw(st.sampled_from(["zeros", "border", "reflection"]), label="padding")
    align = data.draw(st.sampled_from([False, True, None]), label="align_corners")
    return {"mode": mode, "padding_mode": padding, "align_corners": align}


def _grid_sample(data):
    volume = data.draw(st.booleans(), label="volume")
    k = 3 if volume else 2
    n, c = data.draw(st.integers(1, 2), label="N"), data.draw(st.integers(1, 2), label="C")
    spatial = [data.draw(st.integers(1, 4)) for _ in range(k)]
    out = [data.draw(st.integers(1, 3)) for _ in range(k)]
    options = _sample_options(data, volume)
    where = MODERATE if "reflection" in options.values() or "bicubic" in options.values() \
        else FINITE
    return Case([values(data, (n, c, *spatial), FINITE), values(data, (n, *out, k), where)],
                options)


def _affine_grid(data):
    k = data.draw(st.sampled_from([2, 3]), label="spatial axes")
    n = data.draw(st.integers(1, 2), label="N")
    size = (n, data.draw(st.integers(1, 3)), *(data.draw(st.integers(1, 4)) for _ in range(k)))
    return Case([values(data, (n, k, k + 1), REAL)],
                {"size": size, "align_corners": data.draw(st.sampled_from([False, True, None]))})


def _transformer(data):
    """An image and one affine map per image: the spatial transformer's forward pass."""
    n = data.draw(st.integers(1, 2), label="N")
    x = values(data, (n, data.draw(st.integers(1, 2)), data.draw(st.integers(1, 4)),
                      data.draw(st.integers(1, 4))), FINITE)
    options = _sample_options(data, volume=False)
    kinds = ("normal", "big") if "reflection" in options.values() or "bicubic" in \
        options.values() else ("normal", "big", "huge")
    return Case([x, values(data, (n, 2, 3), Domain(kinds=kinds))], options)


def _stn(functional):
    def run(x, theta, align_corners, **options):
        grid = functional.affine_grid(theta, tuple(x.shape), align_corners=align_corners)
        return functional.grid_sample(x, grid, align_corners=align_corners, **options)
    return run


def _resize(data):
    mode = data.draw(st.sampled_from(["bicubic", "area"]), label="mode")
    spatial = 2 if mode == "bicubic" else data.draw(st.integers(1, 3), label="spatial axes")
    s, kwargs = resize_case(data, mode, spatial, st.sampled_from(["F", "module"]),
                            ("bicubic",))
    if mode == "bicubic":
        # PyTorch 2.13's bicubic backward copies the gradient when the output has the
        # input's size, even where a scale factor moved the taps (its gradcheck fails
        # there): a 1 x 1 image scaled by 1.5 stays 1 x 1, its four weights are not 0/1
        assume("scale_factor" not in kwargs
               or any(int(n * kwargs["scale_factor"]) != n for n in s[2:]))
    return Case([values(data, s, FINITE)], kwargs)


def _old_names(functional):
    def run(x, kind, factor):
        return getattr(functional, f"upsample_{kind}")(x, scale_factor=factor)
    return run


SPATIAL_OPS = [
    Op("grid_sample", F.grid_sample, TF.grid_sample, _grid_sample, sums=1,
       nan_ok=LANDS_ON_SOURCE, finite_upstream=SUMS_FIRST, covers=("F.grid_sample",)),
    Op("affine_grid", F.affine_grid, TF.affine_grid, _affine_grid, sums=1,
       covers=("F.affine_grid",)),
    Op("affine_grid + grid_sample (spatial transformer)", _stn(F), _stn(TF), _transformer,
       sums=2, nan_ok=LANDS_ON_SOURCE, finite_upstream=SUMS_FIRST,
       covers=("F.affine_grid", "F.grid_sample")),
    Op("interpolate bicubic, area", _interpolate_run(nn, F), _interpolate_run(torch.nn, TF),
       _resize, sums=1, nan_ok=LANDS_ON_SOURCE, covers=("F.interpolate", "nn.Upsample")),
    Op("upsample_nearest, upsample_bilinear", _old_names(F), _old_names(TF),
       lambda data: Case([values(data, (1, 2, data.draw(st.integers(1, 3)),
                                        data.draw(st.integers(1, 3))), FINITE)],
                         {"kind": data.draw(st.sampled_from(["nearest", "bilinear"])),
                          "factor": data.draw(st.sampled_from([2, 3]))}),
       sums=1, nan_ok=LANDS_ON_SOURCE, covers=("F.upsample_nearest", "F.upsample_bilinear")),
]


@pytest.mark.parametrize("op", SPATIAL_OPS, ids=lambda op: op.name)
@D.SETTINGS
@given(data=st.data())
def test_spatial_op_matches_torch(op, data):
    D.check(op, data)
