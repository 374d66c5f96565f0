"""The lazyns names against PyTorch, by the differential harness (``tests/differential.py``):
``tg.special`` (``torch.special``), the lazy layers (``nn.LazyLinear``, ...: materialised by a
dry run or by loading a state dict, then compared as the ordinary layer), ``F.rrelu`` /
``nn.RReLU`` (evaluation: the mean slope), ``F.feature_alpha_dropout`` (evaluation) and
``F.gumbel_softmax`` (the same noise in both: the shared generator's Exponential draws).

Training-mode randomness (rrelu's slopes, the dropout masks) is checked in
``tests/test_lazy_and_namespaces.py``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

import differential as D  # noqa: E402
from differential import (  # noqa: E402
    FINITE,
    MODERATE,
    POSITIVE,
    PROBABILITY,
    REAL,
    Case,
    Domain,
    Op,
    elementwise,
    shape,
    values,
)
from test_differential_misc2 import OFF_POLES, UNIT  # noqa: E402

import nn  # noqa: E402
import nn.functional as F  # noqa: E402
import tinygrad_dk as tg  # noqa: E402

D.use_torch(torch)
TF = torch.nn.functional


def _unary(domain=REAL, **options):
    def draw(data):
        kwargs = {k: data.draw(v) for k, v in options.items()}
        return Case([values(data, shape(data), domain)], kwargs)
    return draw


def _special(name, draw, **extra):
    return Op(f"special.{name}", lambda *a, **k: getattr(tg.special, name)(*a, **k),
              lambda *a, **k: getattr(torch.special, name)(*a, **k), draw,
              covers=(f"special.{name}",), **extra)


def _ndtr_erfc(x):
    """ndtr in PyTorch as erfc(-x / sqrt 2) / 2: PyTorch's own ndtr is 0 below about -26,
    where the exact value (7e-161 at -27) is still a float64 number; ours keeps it."""
    return 0.5 * torch.special.erfc(-x / math.sqrt(2))


ORDINARY = Domain(kinds=("normal", "ints"))
ABOVE_ONE = Domain(kinds=("normal", "ints", "big"), map=lambda a: 1.25 + np.abs(a))
_P_HALF = {1: 0.0, 2: 0.5, 3: 1.0}  # multigammaln's (p - 1)/2

SPECIAL = [
    # (not at +-1e3: there both second derivatives, 2 erfcx + 2x erfcx', cancel to noise;
    # tests/test_lazy_and_namespaces.py checks large x against the asymptotic series)
    _special("erfcx", _unary(ORDINARY)),
    # (not at -1e3: there PyTorch's derivatives lose digits, its second one 1e-4 at -1925;
    # ours are checked against mpmath in tests/test_lazy_and_namespaces.py)
    _special("log_ndtr", _unary(ORDINARY)),
    _special("ndtr", _unary(MODERATE), alt=_ndtr_erfc,
             alt_why="PyTorch's ndtr is 0 below -26, where the exact value is a float64 number"),
    _special("ndtri", _unary(PROBABILITY)),
    # (not at +-1e30: there the derivatives i1e - i0e and i0e - i1e - i1e/x cancel to noise)
    _special("i0e", _unary(MODERATE)),
    _special("i1e", _unary(MODERATE)),
    _special("entr", _unary(REAL)),
    Op("special.xlog1py", tg.special.xlog1py, torch.special.xlog1py, elementwise(2, REAL),
       covers=("special.xlog1py",), grad_sums=True),
    Op("special.zeta", tg.special.zeta, torch.special.zeta,
       lambda data: Case(elementwise(2, ABOVE_ONE, POSITIVE)(data).arrays, grads=(False, True)),
       covers=("special.zeta",)),
    Op("special.multigammaln",
       lambda x, p: tg.special.multigammaln(x, p), lambda x, p: torch.special.multigammaln(x, p),
       lambda data: (lambda p: Case([values(data, shape(data), Domain(
           kinds=("normal", "ints", "big"), map=lambda a: np.abs(a) + _P_HALF[p] + 0.25))],
           {"p": p}))(data.draw(st.sampled_from([1, 2, 3]))),
       covers=("special.multigammaln",), sums=1,
       finite_upstream="our derivative adds p products g digamma(x - i/2) (PyTorch's: g times "
                       "their sum); an infinite g gives inf - inf where the digammas differ "
                       "in sign"),
]

# torch.special's names for the engine's own operations (the same objects or thin wrappers;
# each has its own row elsewhere too): one row, drawing the name and a domain that suits it
ALIASES = {
    "expit": REAL, "logit": PROBABILITY, "erf": REAL, "erfc": REAL, "erfinv": UNIT,
    "gammaln": OFF_POLES, "digamma": OFF_POLES, "psi": OFF_POLES, "i0": MODERATE,
    "i1": MODERATE, "sinc": Domain(kinds=("normal", "ints")), "log1p": REAL, "expm1": REAL,
    "exp2": REAL, "round": REAL,
}
SOFTMAXES = ("softmax", "log_softmax", "logsumexp")


def _alias_draw(data):
    name = data.draw(st.sampled_from([*ALIASES, *SOFTMAXES, "xlogy", "polygamma"]))
    if name == "xlogy":
        return Case(elementwise(2, REAL)(data).arrays, {"name": name})
    s = shape(data, min_dims=1) if name in SOFTMAXES else shape(data)
    x = values(data, s, FINITE if name in SOFTMAXES else ALIASES.get(name, OFF_POLES))
    kwargs = {"name": name}
    if name in SOFTMAXES:
        kwargs["dim"] = data.draw(st.integers(-len(s), len(s) - 1))
    if name == "polygamma":
        kwargs["n"] = data.draw(st.sampled_from([1, 2]))
    return Case([x], kwargs)


def _alias(module):
    def run(*arrays, name, **kwargs):
        if name == "polygamma":
            return module.polygamma(kwargs["n"], *arrays)
        return getattr(module, name)(*arrays, **kwargs)
    return run


SPECIAL.append(Op("special aliases", _alias(tg.special), _alias(torch.special), _alias_draw,
                  grad_sums=True, sums=1,
                  nan_ok="logit's second derivative at 0 and 1 (see logit's row in "
                         "test_differential_misc2.py)",
                  covers=tuple(f"special.{n}" for n in (*ALIASES, *SOFTMAXES, "xlogy",
                                                        "polygamma"))))


# --- lazy layers -------------------------------------------------------------------------------

# name: (constructor arguments after the size, spatial axes, weight shape from the size C,
# bias shape); all with 2 outputs and, for convolutions, kernel 2
LAZY = {
    "LazyLinear": ((2,), None, lambda c: (2, c), (2,)),
    "LazyConv1d": ((2, 2), 1, lambda c: (2, c, 2), (2,)),
    "LazyConv2d": ((2, 2), 2, lambda c: (2, c, 2, 2), (2,)),
    "LazyConvTranspose1d": ((2, 2), 1, lambda c: (c, 2, 2), (2,)),
    "LazyConvTranspose2d": ((2, 2), 2, lambda c: (c, 2, 2, 2), (2,)),
    "LazyBatchNorm1d": ((), 0, lambda c: (c,), "w"),
    "LazyBatchNorm2d": ((), 2, lambda c: (c,), "w"),
    "LazyInstanceNorm1d": ((), 1, lambda c: (c,), "w"),
    "LazyInstanceNorm2d": ((), 2, lambda c: (c,), "w"),
}


def _lazy_draw(data):
    name = data.draw(st.sampled_from(sorted(LAZY)))
    args, spatial, weight, bias = LAZY[name]
    c = data.draw(st.integers(1, 3), label="input size")
    n = data.draw(st.integers(2, 3), label="batch")
    lengths = tuple(data.draw(st.integers(2, 4)) for _ in range(spatial or 0))
    x_shape = (n, c, *lengths)
    w_shape = weight(c)
    b_shape = w_shape if bias == "w" else bias
    return Case([values(data, x_shape, MODERATE), values(data, w_shape, MODERATE),
                 values(data, b_shape, MODERATE)],
                {"name": name, "how": data.draw(st.sampled_from(["dry run", "load"]))})


def _lazy_kwargs(name):
    return {"affine": True} if "InstanceNorm" in name else {}


def _ours_lazy(x, w, b, *, name, how):
    layer = getattr(nn, name)(*LAZY[name][0], dtype=x.dtype, **_lazy_kwargs(name))
    if "BatchNorm" in name:
        layer.eval()  # (the running statistics, 0 and 1: an affine map of the drawn weights)
    if how == "dry run":
        with tg.no_grad():
            layer(x)
    layer.load_state_dict({"weight": w.numpy(), "bias": b.numpy()}, strict=False)
    assert not isinstance(layer, nn.LazyModuleMixin)
    layer.weight, layer.bias = w, b  # the very tensors: their gradients are compared
    return layer(x)


def _torch_lazy(x, w, b, *, name, how):
    layer = getattr(torch.nn, name)(*LAZY[name][0], dtype=x.dtype, **_lazy_kwargs(name))
    if "BatchNorm" in name:
        layer.eval()
    with torch.no_grad():
        layer(x)  # (PyTorch's load hook needs the forward afterwards anyway)
    return torch.func.functional_call(layer, {"weight": w, "bias": b}, (x,))


LAYERS = [
    Op("lazy layers", _ours_lazy, _torch_lazy, _lazy_draw, sums=2, grad_sums=True,
       covers=tuple(f"nn.{n}" for n in LAZY)),
    Op("rrelu (eval)",
       lambda x, lower, upper, form: F.rrelu(x, lower, upper) if form == "F"
       else nn.RReLU(lower, upper).eval()(x),
       lambda x, lower, upper, form: TF.rrelu(x, lower, upper) if form == "F"
       else torch.nn.RReLU(lower, upper).eval()(x),
       _unary(REAL, lower=st.sampled_from([0.0, 0.125, 0.3]), upper=st.sampled_from([0.3, 0.5]),
              form=st.sampled_from(["F", "module"])),
       covers=("F.rrelu", "nn.RReLU")),
    Op("feature_alpha_dropout (eval)",
       lambda x, p, form: F.feature_alpha_dropout(x, p) * 1.0 if form == "F"
       else nn.FeatureAlphaDropout(p).eval()(x) * 1.0,
       lambda x, p, form: TF.feature_alpha_dropout(x, p) * 1.0 if form == "F"
       else torch.nn.FeatureAlphaDropout(p).eval()(x) * 1.0,
       lambda data: Case([values(data, shape(data, min_dims=2), REAL)],
                         {"p": data.draw(st.sampled_from([0.0, 0.5])),
                          "form": data.draw(st.sampled_from(["F", "module"]))}),
       covers=("F.feature_alpha_dropout", "nn.FeatureAlphaDropout")),
]


def _gumbel_torch(x, tau, hard, dim, seed):
    """PyTorch's gumbel_softmax, on the very noise ours draws (numpy's generator, seeded)."""
    e = np.random.default_rng(seed).exponential(1.0, tuple(x.shape))
    gumbels = torch.tensor(-np.log(e), dtype=x.dtype)
    y_soft = torch.softmax((x + gumbels) / tau, dim)
    if not hard:
        return y_soft
    y_hard = torch.zeros_like(y_soft).scatter(dim, y_soft.argmax(dim, keepdim=True), 1.0)
    return y_hard - y_soft.detach() + y_soft


def _gumbel_ours(x, tau, hard, dim, seed):
    tg.manual_seed(seed)
    return F.gumbel_softmax(x, tau=tau, hard=hard, dim=dim)


def _gumbel_draw(data):
    s = tuple(data.draw(st.integers(1, 4)) for _ in range(data.draw(st.integers(1, 3))))
    return Case([values(data, s, Domain(kinds=("normal", "ints")))],
                {"tau": data.draw(st.sampled_from([0.5, 1.0, 2.0])),
                 "hard": data.draw(st.booleans()), "dim": data.draw(st.integers(-len(s),
                                                                                len(s) - 1)),
                 "seed": data.draw(st.integers(0, 2**31))})


LAYERS.append(Op("gumbel_softmax", _gumbel_ours, _gumbel_torch, _gumbel_draw, grad_sums=True,
                 sums=1, covers=("F.gumbel_softmax",)))

LAZYNS_OPS = SPECIAL
LAZYNS_NN_OPS = LAYERS


@pytest.mark.parametrize("op", SPECIAL + LAYERS, ids=lambda op: op.name)
@D.SETTINGS
@given(data=st.data())
def test_lazyns_op_matches_torch(op, data):
    D.check(op, data)
