"""The remaining common PyTorch names against PyTorch, by the differential harness
(``tests/differential.py``): elementwise and special functions (``tinygrad_dk.ops_misc``)
and distances, scatters, products and index helpers (``tinygrad_dk.ops_misc_arrays``).

Each row draws whether it calls the method (``x.sinc()``) or the function
(``tg.sinc(x)``) where PyTorch has both.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

import differential as D  # noqa: E402
from differential import (  # noqa: E402
    FINITE,
    MODERATE,
    PROBABILITY,
    REAL,
    Case,
    Domain,
    Op,
    elementwise,
    shape,
    values,
)

import nn.functional as F  # noqa: E402
import tinygrad_dk as tg  # noqa: E402

D.use_torch(torch)


def _call(name, *, pick=None):
    """Ours: the method or the tg function (drawn), with the same arguments; ``pick``
    chooses one part of a tuple result."""
    def ours(x, *args, method=False, **kwargs):
        out = getattr(x, name)(*args, **kwargs) if method else getattr(tg, name)(
            x, *args, **kwargs)
        return out if pick is None else out[pick]
    return ours


def _theirs(name, *, pick=None):
    def theirs(x, *args, method=False, **kwargs):
        out = getattr(torch, name)(x, *args, **kwargs)
        return out if pick is None else out[pick]
    return theirs


def _covers(*names, method=True, module="ops_misc"):
    kinds = ("Tensor", "tg") if method else ("tg",)
    return tuple(f"{kind}.{n}" for n in names for kind in kinds) + tuple(
        f"{module}.{n}" for n in names)


def _method_draw(draw):
    """``draw`` plus the coin that chooses method or function."""
    def with_method(data):
        case = draw(data)
        case.kwargs["method"] = data.draw(st.booleans())
        return case
    return with_method


def _unary(domain=REAL, **options):
    def draw(data):
        kwargs = {k: data.draw(v) for k, v in options.items()}
        return Case([values(data, shape(data), domain)], kwargs)
    return _method_draw(draw)


def _binary(*domains, grads=None):
    def draw(data):
        case = elementwise(2, *domains)(data)
        return Case(case.arrays, grads=grads)
    return _method_draw(draw)


def _ints(data, shp, lo=-12, hi=13):
    seed = data.draw(st.integers(0, 2**32 - 1))
    return np.random.default_rng(seed).integers(lo, hi, size=shp).astype(np.int64)


def _int_pair(data):
    shapes = D.broadcast_shapes(data, 2)
    return Case([_ints(data, shapes[0]), _ints(data, shapes[1])],
                {"method": data.draw(st.booleans())}, grads=(False, False))


# PyTorch's gamma functions at the poles -1, -2, ... are large finite numbers (tan(pi x) is not
# exactly 0 there), ours the pole's inf (tests/test_misc_names.py): moved off the poles
OFF_POLES = Domain(kinds=("normal", "ints", "big", "tiny"),
                   map=lambda a: np.where((a < 0) & (a == np.round(a)), a - 0.25, a))
UNIT = Domain(kinds=("normal", "ints", "tiny", "mixed"),
              map=lambda a: np.clip(np.tanh(a), -1.0, 1.0))  # erfinv's domain, with +-1

def _sinc_taylor(x, method=False):
    """sinc in PyTorch, by its Taylor series near 0 (exact derivatives there)."""
    small = x.abs() < 1e-3
    px = np.pi * torch.where(small, torch.ones_like(x), x)
    p2 = (np.pi * x) ** 2
    return torch.where(small, 1 - p2 / 6 + p2 * p2 / 120 - p2 ** 3 / 5040, torch.sin(px) / px)


# PyTorch's I1 (i0's derivative) overflows once e^|x| does, at 709.8, though I1 itself is
# finite up to 713.9, and ours is (tests/test_misc_names.py): draws skip that band
BESSEL = Domain(kinds=MODERATE.kinds,
                map=lambda a: np.where((np.abs(a) > 709) & (np.abs(a) < 714), a / 2, a))
SMALL_INTS = Domain(kinds=("ints",))  # ldexp's exponents

# --- elementwise ----------------------------------------------------------------------------

ELEMENTWISE = [
    Op("logit", _call("logit"), _theirs("logit"),
       _unary(PROBABILITY, eps=st.sampled_from([None, 1e-6, 0.1])), covers=_covers("logit"),
       nan_ok="at the poles x = 0 and 1, PyTorch's second derivative is nan (inf - inf in "
              "its formula), ours the infinite limit of log x - log(1 - x)"),
    # (not beyond 1e30: there pi x has no digits after the point, sin(pi x) is rounding)
    Op("sinc", _call("sinc"), _theirs("sinc"), _unary(Domain(kinds=("normal", "ints", "big",
                                                                     "tiny"))),
       covers=_covers("sinc"), nan_ok="where pi x^2 underflows (|x| < 1e-154) PyTorch's "
       "masked derivative has a nan second derivative; ours is 0 there",
       alt=_sinc_taylor, alt_why="near 0 PyTorch's derivative (pi x cos(pi x) - sin(pi x)) / "
       "(pi x^2) cancels its digits; ours (and this reference) use the Taylor series there"),
    Op("copysign", _call("copysign"), _theirs("copysign"), _binary(REAL, REAL), grad_sums=True,
       nan_ok="at x = 0 PyTorch's second derivative is nan (0/0 in out / x), ours 0",
       covers=_covers("copysign")),
    Op("fmax", _call("fmax"), _theirs("fmax"), _binary(REAL, REAL), covers=_covers("fmax")),
    Op("fmin", _call("fmin"), _theirs("fmin"), _binary(REAL, REAL), covers=_covers("fmin")),
    Op("logaddexp2", _call("logaddexp2"), _theirs("logaddexp2"), _binary(FINITE, FINITE),
       grad_sums=True, sums=1, covers=_covers("logaddexp2")),
    Op("ldexp", _call("ldexp"), _theirs("ldexp"), _binary(MODERATE, SMALL_INTS),
       covers=_covers("ldexp")),
    # (MODERATE: PyTorch divides by 2^exponent in float32, which overflows from 2^128 on)
    Op("frexp", _call("frexp", pick=0), _theirs("frexp", pick=0), _unary(MODERATE),
       covers=_covers("frexp")),
    Op("frexp.exponent", _call("frexp", pick=1), _theirs("frexp", pick=1),
       lambda data: Case([values(data, shape(data), FINITE)], {"method": True}, grads=(False,)),
       second=False),
    Op("nextafter", _call("nextafter"), _theirs("nextafter"), _binary(REAL, REAL,
                                                                      grads=(False, False)),
       second=False, covers=_covers("nextafter")),
    Op("positive", _call("positive"), _theirs("positive"), _unary(REAL),
       covers=_covers("positive")),
    Op("rsub", lambda x, y, alpha: tg.rsub(x, y, alpha=alpha),
       lambda x, y, alpha: torch.rsub(x, y, alpha=alpha),
       lambda data: Case(elementwise(2, MODERATE)(data).arrays,
                         {"alpha": data.draw(st.sampled_from([1, 2.5, -1]))}),
       covers=("tg.rsub", "ops_misc.rsub")),
    Op("isposinf", _call("isposinf"), _theirs("isposinf"),
       lambda data: Case([values(data, shape(data), REAL)], {"method": data.draw(
           st.booleans())}, grads=(False,)), second=False, covers=_covers("isposinf")),
    Op("isneginf", _call("isneginf"), _theirs("isneginf"),
       lambda data: Case([values(data, shape(data), REAL)], {"method": data.draw(
           st.booleans())}, grads=(False,)), second=False, covers=_covers("isneginf")),
    Op("isreal", _call("isreal"), _theirs("isreal"),
       lambda data: Case([values(data, shape(data), REAL)], {"method": data.draw(
           st.booleans())}, grads=(False,)), second=False, covers=_covers("isreal")),
    Op("gcd", _call("gcd"), _theirs("gcd"), _int_pair, second=False, covers=_covers("gcd")),
    Op("lcm", _call("lcm"), _theirs("lcm"), _int_pair, second=False, covers=_covers("lcm")),
    Op("lgamma", _call("lgamma"), _theirs("lgamma"), _unary(OFF_POLES),
       covers=_covers("lgamma")),
    Op("digamma", _call("digamma"), _theirs("digamma"), _unary(OFF_POLES),
       covers=_covers("digamma")),
    Op("polygamma",
       lambda x, n, method: x.polygamma(n) if method else tg.polygamma(n, x),
       lambda x, n, method: torch.polygamma(n, x),
       _unary(OFF_POLES, n=st.sampled_from([1, 2, 3])),
       covers=_covers("polygamma")),
    Op("erfinv", _call("erfinv"), _theirs("erfinv"), _unary(UNIT), covers=_covers("erfinv")),
    Op("i0", _call("i0"), _theirs("i0"), _unary(BESSEL), covers=_covers("i0") + (
        "ops_misc.i1",)),
]


# --- distances --------------------------------------------------------------------------------


def _pair_draw(data):
    full = shape(data, min_dims=1)
    return Case([values(data, full, MODERATE), values(data, D.smaller(data, full), MODERATE)])


def _cosine_draw(data):
    """Vectors of length 0, 2 or 3 along dim: one number is always parallel to another, its
    cosine the constant +-1, whose derivatives both libraries get as differences that
    cancel (as in test_differential_nn_extra.py's row for F.cosine_similarity)."""
    full = list(shape(data, min_dims=1))
    dim = data.draw(st.integers(-len(full), len(full) - 1))
    full[dim] = data.draw(st.sampled_from([0, 2, 3]))
    full = tuple(full)
    other = D.smaller(data, full, min_dims=len(full))
    other = tuple(full[i] if i == dim % len(full) else k for i, k in enumerate(other))
    return Case([values(data, full, FINITE), values(data, other, FINITE)], {"dim": dim})


def _pdist_draw(data):
    """At least one row: PyTorch's pdist backward crashes the process on (0, m) input
    (tests/test_misc_names.py checks ours there)."""
    n, m = data.draw(st.sampled_from([1, 2, 4])), data.draw(st.sampled_from([0, 1, 3]))
    return Case([values(data, (n, m), MODERATE)],
                {"p": data.draw(st.sampled_from([1.0, 2.0, 3.0, 0.0, np.inf]))})


PDIST_NAN = ("p = inf and an infinite upstream gradient: PyTorch multiplies it by 0 for the "
             "differences that are not the largest (nan); ours passes exactly 0 to them")


def _norm_p_draw(data):
    full = shape(data)
    return Case([values(data, full, MODERATE)],
                {"p": data.draw(st.sampled_from([0, -1, -2, -0.5]))})


DISTANCES = [
    Op("cosine_similarity", lambda a, b, dim: tg.cosine_similarity(a, b, dim=dim),
       lambda a, b, dim: torch.cosine_similarity(a, b, dim=dim), _cosine_draw, sums=2,
       grad_sums=True, divides_by_result=True,
       nan_ok="a zero vector: PyTorch's second derivative through its norm is 0/0 there",
       covers=("tg.cosine_similarity", "ops_misc_arrays.cosine_similarity")),
    Op("pairwise_distance", lambda a, b: tg.pairwise_distance(a, b),
       lambda a, b: torch.pairwise_distance(a, b), _pair_draw, sums=2, divides_by_result=True,
       covers=("tg.pairwise_distance", "ops_misc_arrays.pairwise_distance")),
    Op("pdist", lambda x, p: tg.pdist(x, p), lambda x, p: torch.pdist(x, p), _pdist_draw,
       sums=2, divides_by_result=True, second=False, nan_ok=PDIST_NAN,
       covers=("tg.pdist", "ops_misc_arrays.pdist")),
    Op("F.pdist", lambda x, p: F.pdist(x, p), lambda x, p: torch.nn.functional.pdist(x, p),
       _pdist_draw, sums=2, divides_by_result=True, second=False, nan_ok=PDIST_NAN,
       covers=("F.pdist",)),
    Op("norm(p<=0)", lambda x, p: x.norm(p=p), lambda x, p: x.norm(p=p), _norm_p_draw, sums=1,
       divides_by_result=True, covers=("ops_math.count_nonzero",),
       nan_ok="a negative p and an element 0 (the norm is 0): PyTorch's second derivative "
              "is 0 * inf there, ours 0 as its first"),
]


# --- writing one tensor into another ------------------------------------------------------


def _index_copy_draw(data):
    full = shape(data, min_dims=1)
    dim = data.draw(st.integers(-len(full), len(full) - 1))
    n = full[dim]
    idx = np.asarray(data.draw(st.permutations(range(n))), dtype=np.int64)[
        :data.draw(st.integers(0, n))]
    src = list(full)
    src[dim] = len(idx)
    return Case([values(data, full, REAL), values(data, tuple(src), REAL)],
                {"dim": dim, "index": idx, "method": data.draw(st.booleans())})


def _index_copy(lib, inplace=False):
    def fn(x, source, dim, index, method):
        index = lib.tensor(index)
        if inplace:
            return (x * 1).index_copy_(dim, index, source)
        return x.index_copy(dim, index, source) if method else lib.index_copy(
            x, dim, index, source)
    return fn


def _select_scatter_draw(data):
    full = shape(data, min_dims=1)
    full = tuple(max(n, 1) for n in full)
    dim = data.draw(st.integers(-len(full), len(full) - 1))
    index = data.draw(st.integers(-full[dim], full[dim] - 1))
    src = full[:dim % len(full)] + full[dim % len(full) + 1:]
    return Case([values(data, full, REAL), values(data, src, REAL)],
                {"dim": dim, "index": index, "method": data.draw(st.booleans())})


def _slice_scatter_draw(data):
    full = shape(data, min_dims=1)
    dim = data.draw(st.integers(-len(full), len(full) - 1))
    start = data.draw(st.sampled_from([None, 0, 1, -2]))
    end = data.draw(st.sampled_from([None, 2, -1, 10]))
    step = data.draw(st.sampled_from([1, 2]))
    src = list(full)
    src[dim] = len(range(full[dim])[slice(start, end, step)])
    return Case([values(data, full, REAL), values(data, tuple(src), REAL)],
                {"dim": dim, "start": start, "end": end, "step": step,
                 "method": data.draw(st.booleans())})


def _masked_scatter_draw(data):
    full = shape(data)
    mask = values(data, D.smaller(data, full), REAL) > 0
    extra = data.draw(st.integers(0, 2))
    return Case([values(data, full, REAL), values(data, (int(np.prod(full)) + extra,), REAL)],
                {"mask": mask, "method": data.draw(st.booleans())})


def _two_args(name):
    def ours(x, src, method, **kwargs):
        return getattr(x, name)(src, **kwargs) if method else getattr(tg, name)(
            x, src, **kwargs)

    def theirs(x, src, method, **kwargs):
        return getattr(torch, name)(x, src, **kwargs)
    return ours, theirs


def _masked_scatter(lib):
    def fn(x, source, mask, method):
        m = lib.tensor(mask)
        return x.masked_scatter(m, source) if method else lib.masked_scatter(x, m, source)
    return fn


SCATTERS = [
    Op("index_copy", _index_copy(tg), _index_copy(torch), _index_copy_draw,
       covers=_covers("index_copy", module="ops_misc_arrays")),
    Op("index_copy_", _index_copy(tg, True), _index_copy(torch, True), _index_copy_draw,
       covers=("Tensor.index_copy_",)),
    Op("select_scatter", *_two_args("select_scatter"), _select_scatter_draw,
       covers=_covers("select_scatter", module="ops_misc_arrays")),
    Op("slice_scatter", *_two_args("slice_scatter"), _slice_scatter_draw,
       covers=_covers("slice_scatter", module="ops_misc_arrays")),
    Op("masked_scatter", _masked_scatter(tg), _masked_scatter(torch), _masked_scatter_draw,
       covers=_covers("masked_scatter", module="ops_misc_arrays")),
]


# --- products, renorm, vander, diagflat, combinations --------------------------------------


def _addr_draw(data):
    n, m = data.draw(st.sampled_from([0, 1, 3])), data.draw(st.sampled_from([1, 2]))
    return Case([values(data, D.smaller(data, (n, m)), MODERATE), values(data, (n,), MODERATE),
                 values(data, (m,), MODERATE)],
                {"beta": data.draw(st.sampled_from([1, 0.5, 0])),
                 "alpha": data.draw(st.sampled_from([1, -2.0])),
                 "method": data.draw(st.booleans())})


def _addbmm_draw(data):
    b, n, k, m = (data.draw(st.sampled_from([0, 1, 2, 3])) for _ in range(4))
    return Case([values(data, D.smaller(data, (n, m)), MODERATE),
                 values(data, (b, n, k), MODERATE), values(data, (b, k, m), MODERATE)],
                {"beta": data.draw(st.sampled_from([1, 0.5])),
                 "alpha": data.draw(st.sampled_from([1, -2.0])),
                 "method": data.draw(st.booleans())})


def _three(name):
    def ours(x, a, b, method, **kwargs):
        return getattr(x, name)(a, b, **kwargs) if method else getattr(tg, name)(
            x, a, b, **kwargs)

    def theirs(x, a, b, method, **kwargs):
        return getattr(torch, name)(x, a, b, **kwargs)
    return ours, theirs


def _chain_draw(data):
    sizes = [data.draw(st.sampled_from([1, 2, 3])) for _ in range(data.draw(st.integers(2, 5)))]
    return Case([values(data, (sizes[i], sizes[i + 1]), MODERATE)
                 for i in range(len(sizes) - 1)])


def _renorm_draw(data):
    full = shape(data, min_dims=2)
    return Case([values(data, full, MODERATE)],
                {"p": data.draw(st.sampled_from([1.0, 2.0, 3.0])),
                 "dim": data.draw(st.integers(-len(full), len(full) - 1)),
                 "maxnorm": data.draw(st.sampled_from([0.5, 1.0, 5.0])),
                 "method": data.draw(st.booleans())})


def _vander_draw(data):
    """Forward only: PyTorch's own vander backward fails (it writes in place into a tensor
    it saved); ours is checked by gradcheck in tests/test_misc_names.py."""
    return Case([values(data, (data.draw(st.sampled_from([0, 1, 3])),), MODERATE)],
                {"N": data.draw(st.sampled_from([None, 0, 1, 4])),
                 "increasing": data.draw(st.booleans())}, grads=(False,))


def _diagflat_draw(data):
    return Case([values(data, shape(data), REAL)],
                {"offset": data.draw(st.sampled_from([0, 1, -2])),
                 "method": data.draw(st.booleans())})


def _combinations_draw(data):
    return Case([values(data, (data.draw(st.sampled_from([0, 1, 3, 4])),), REAL)],
                {"r": data.draw(st.sampled_from([0, 1, 2, 3])),
                 "with_replacement": data.draw(st.booleans())})


def _trapz(lib):
    def fn(y, dx, dim):
        return lib.trapz(y, dx=dx, dim=dim)
    return fn


def _trapz_draw(data):
    full = shape(data, min_dims=1)
    return Case([values(data, full, FINITE)],
                {"dx": data.draw(st.sampled_from([0.5, 1.0])),
                 "dim": data.draw(st.integers(-len(full), len(full) - 1))})


PRODUCTS = [
    Op("addr", *_three("addr"), _addr_draw, sums=2,
       covers=_covers("addr", module="ops_misc_arrays")),
    Op("addbmm", *_three("addbmm"), _addbmm_draw, sums=2,
       covers=_covers("addbmm", module="ops_misc_arrays")),
    Op("chain_matmul", lambda *ms: tg.chain_matmul(*ms), lambda *ms: torch.chain_matmul(*ms),
       _chain_draw, sums=4, covers=("tg.chain_matmul", "ops_misc_arrays.chain_matmul"),
       alt=lambda *ms: functools.reduce(torch.matmul, ms),
       alt_why="an infinite upstream gradient: PyTorch multiplies the chain in its cheapest "
               "order (multi_dot), ours left to right, so inf - inf (nan) falls elsewhere",
       nan_ok="as alt_why, the other way round"),
    Op("renorm", _call("renorm"), _theirs("renorm"), _renorm_draw, sums=1,
       nan_ok="a slice of zeros: PyTorch's second derivative of its norm at 0 is nan, ours 0",
       divides_by_result=True, covers=_covers("renorm", module="ops_misc_arrays")),
    Op("vander", lambda x, **k: tg.vander(x, **k), lambda x, **k: torch.vander(x, **k),
       _vander_draw, second=False, covers=("tg.vander", "ops_misc_arrays.vander")),
    Op("diagflat", _call("diagflat"), _theirs("diagflat"), _diagflat_draw,
       covers=_covers("diagflat", module="ops_misc_arrays")),
    Op("combinations", lambda x, **k: tg.combinations(x, **k),
       lambda x, **k: torch.combinations(x, **k), _combinations_draw,
       covers=("tg.combinations", "ops_misc_arrays.combinations")),
    Op("trapz", _trapz(tg), _trapz(torch), _trapz_draw, sums=1, covers=("tg.trapz",),
       nan_ok="with one sample PyTorch's spacing-dx formula gives inf - inf = nan for an "
              "infinite upstream gradient (see trapezoid in test_differential_extra.py)"),
]


# --- positions and counts (no gradient) --------------------------------------------------------


def _no_grad_draw(domain=MODERATE, **options):
    def draw(data):
        x = np.round(values(data, shape(data), domain) / 400)  # ties and zeros
        kwargs = {k: data.draw(v) for k, v in options.items()}
        kwargs["method"] = data.draw(st.booleans())
        return Case([x], kwargs, grads=(False,))
    return draw


def _unique_consecutive_draw(data):
    case = _no_grad_draw(return_inverse=st.booleans(), return_counts=st.booleans())(data)
    nd = case.arrays[0].ndim
    case.kwargs["dim"] = data.draw(st.sampled_from([None, *range(-nd, nd)]))
    return case


def _flatten_all(out):
    """A tuple of results as one vector (the harness compares one tensor)."""
    if not isinstance(out, tuple):
        return out
    lib = torch if isinstance(out[0], torch.Tensor) else tg
    return lib.cat([o.reshape(-1).double() for o in out])


def _unique_consecutive(lib):
    def fn(x, method, **kwargs):
        out = x.unique_consecutive(**kwargs) if method else lib.unique_consecutive(x, **kwargs)
        return _flatten_all(out)
    return fn


def _unravel_draw(data):
    shp = tuple(data.draw(st.sampled_from([1, 2, 3])) for _ in range(data.draw(
        st.integers(1, 3))))
    size = int(np.prod(shp))
    return Case([_ints(data, (data.draw(st.sampled_from([0, 1, 4])),), -size, size)],
                {"shape": shp}, grads=(False,))


def _histogram(lib):
    def fn(x, bins, density, method):
        out = x.histogram(bins, density=density) if method else lib.histogram(
            x, bins, density=density)
        return _flatten_all(tuple(out))
    return fn


def _histogram_draw(data):
    x = values(data, (data.draw(st.sampled_from([1, 3, 6])),), MODERATE)
    return Case([x], {"bins": data.draw(st.sampled_from([1, 3, 5])),
                      "density": data.draw(st.booleans()),
                      "method": data.draw(st.booleans())}, grads=(False,))


POSITIONS = [
    Op("argwhere", _call("argwhere"), _theirs("argwhere"), _no_grad_draw(), second=False,
       covers=_covers("argwhere", module="ops_misc_arrays")),
    Op("unique_consecutive", _unique_consecutive(tg), _unique_consecutive(torch),
       _unique_consecutive_draw, second=False,
       covers=_covers("unique_consecutive", module="ops_misc_arrays")),
    Op("unravel_index", lambda i, shape: _flatten_all(tg.unravel_index(i, shape)),
       lambda i, shape: _flatten_all(torch.unravel_index(i, shape)), _unravel_draw,
       second=False, covers=("tg.unravel_index", "ops_misc_arrays.unravel_index")),
    Op("histogram", _histogram(tg), _histogram(torch), _histogram_draw, second=False, sums=1,
       covers=_covers("histogram", module="ops_misc_arrays")),
]

MISC2_NN_OPS = [op for op in DISTANCES if op.name == "F.pdist"]
MISC2_OPS = ELEMENTWISE + DISTANCES + SCATTERS + PRODUCTS + POSITIONS


@pytest.mark.parametrize("op", MISC2_OPS, ids=lambda op: op.name)
@D.SETTINGS
@given(data=st.data())
def test_misc2_op_matches_torch(op, data):
    D.check(op, data)
