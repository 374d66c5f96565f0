"""Every Tensor operation against PyTorch (float64 and float32), by the differential harness.

One row per operation (``tests/differential.py`` explains the machinery): our function,
PyTorch's, and how to draw inputs. Forward values, first derivatives for a random
upstream gradient, and second derivatives are compared on random shapes (broadcasting,
axes of length 0 and 1) and values (ties, zeros, +-1e3, +-1e30, float32's limits, inf).
Shapes, indexing and joining are in ``test_differential_shapes.py``, the operations with
PyTorch's names in ``test_differential_torch_names.py``; ``test_differential_coverage.py``
fails when an operation is added without a row.
"""

from __future__ import annotations

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
    REAL,
    Case,
    Op,
    axis_for,
    dims,
    elementwise,
    reduction,
    shape,
    unary,
    values,
)

import tinygrad_dk as tg  # noqa: E402
from tinygrad_dk import ops  # noqa: E402

D.use_torch(torch)
TF = torch.nn.functional


# --- inputs of the ops that need more than shapes -------------------------------------------


def _matmul(data):
    """Shapes for @: 1-d and n-d on either side, batch axes that broadcast."""
    k = data.draw(D.SIZES, label="k")
    left = data.draw(st.sampled_from(["1d", "2d", "batch"]))
    right = data.draw(st.sampled_from(["1d", "2d", "batch"]))
    n, m = data.draw(D.SIZES), data.draw(D.SIZES)
    batch = D.broadcast_shapes(data, 2)
    a = (k,) if left == "1d" else (batch[0] if left == "batch" else ()) + (n, k)
    b = (k,) if right == "1d" else (batch[1] if right == "batch" else ()) + (k, m)
    return Case([values(data, a, FINITE), values(data, b, FINITE)])


def _linear(data):
    n_in, n_out = data.draw(D.SIZES), data.draw(D.SIZES)
    lead = shape(data, max_dims=2)
    bias = data.draw(st.booleans(), label="bias")
    arrays = [values(data, lead + (n_in,), FINITE), values(data, (n_out, n_in), FINITE)]
    if bias:
        arrays.append(values(data, (n_out,), FINITE))
    return Case(arrays)


def _clip(data):
    """x, and lo/hi each None, a number or an array (a Tensor that gets a gradient)."""
    full = shape(data)  # PyTorch differentiates clamp only for bounds no bigger than x
    arrays, kwargs = [values(data, full, REAL)], {}
    for name, s in (("lo", D.smaller(data, full)), ("hi", D.smaller(data, full))):
        form = data.draw(st.sampled_from(["none", "number", "tensor"]), label=name)
        if form == "number":
            kwargs[name] = data.draw(st.sampled_from([-1.0, 0.0, 0.5, 1e30, -1e3]), label=name)
        elif form == "tensor":
            arrays.append(values(data, s, MODERATE))
            kwargs[name] = len(arrays) - 1  # an int: the bound's position among the arrays
    if "lo" not in kwargs and "hi" not in kwargs:
        kwargs["lo"] = 0.0
    return Case(arrays, {"bounds": (kwargs.get("lo"), kwargs.get("hi"))})


def _ours_clip(x, *bounds_t, bounds):
    lo, hi = (bounds_t[b - 1] if isinstance(b, int) else b for b in bounds)
    return x.clip(lo, hi)


def _torch_clip(x, *bounds_t, bounds):
    lo, hi = (bounds_t[b - 1] if isinstance(b, int) else b for b in bounds)
    if isinstance(lo, float) and isinstance(hi, torch.Tensor):
        lo = torch.full_like(hi, lo)
    if isinstance(hi, float) and isinstance(lo, torch.Tensor):
        hi = torch.full_like(lo, hi)
    return torch.clamp(x, lo, hi)


def _where(data):
    shapes = D.broadcast_shapes(data, 3)
    cond = values(data, shapes[0], MODERATE) > 0
    return Case([values(data, shapes[1], REAL), values(data, shapes[2], REAL)],
                {"cond": cond})


def _power(data):
    shapes = D.broadcast_shapes(data, 2)
    return Case([values(data, shapes[0], REAL),
                 values(data, shapes[1], D.Domain(kinds=("ints", "normal")))])


def _power_number(data):
    e = data.draw(st.sampled_from([0.0, 1.0, 2.0, 3.0, 0.5, -1.0, -2.0, 2.5, -0.5]), label="e")
    return Case([values(data, shape(data), REAL)], {"e": e})


def _rpower(data):
    base = data.draw(st.sampled_from([2.0, 0.5, 0.0, 1.0, 10.0]), label="base")
    return Case([values(data, shape(data), REAL)], {"base": base})


def _scalar_other(data):
    c = data.draw(st.sampled_from([0.0, 1.5, -2.0, 1e30, -1e-30, 3.0]), label="c")
    return Case([values(data, shape(data), REAL)], {"c": c})


def _axis_op(data, min_dims=1):
    s = shape(data, min_dims=min_dims)
    return s, data.draw(st.integers(-len(s), len(s) - 1), label="axis")


def _softmax_like(data):
    s, axis = _axis_op(data)
    return Case([values(data, s, REAL)], {"axis": axis})


def _softplus_like(data):
    return Case([values(data, shape(data), REAL)])


def _bce(data):
    s = shape(data)
    weight = values(data, D.smaller(data, s), POSITIVE) if data.draw(st.booleans()) else None
    return Case([values(data, s, D.PROBABILITY), values(data, s, D.PROBABILITY)],
                {"weight": weight}, grads=(True, False))


def _const(a, like):
    return None if a is None else torch.tensor(a, dtype=like.dtype)


def _bce_logits(data):
    s = shape(data)
    arrays = [values(data, s, REAL), values(data, s, D.PROBABILITY)]
    if data.draw(st.booleans(), label="pos_weight"):  # PyTorch does not differentiate it
        arrays.append(values(data, D.smaller(data, s), POSITIVE))
    weight = values(data, D.smaller(data, s), POSITIVE) if data.draw(st.booleans()) else None
    return Case(arrays, {"weight": weight}, grads=(True, True, False)[:len(arrays)])


def _bce_target(data):  # PyTorch has no derivative for the target: its formula has
    s = shape(data)
    return Case([values(data, s, D.PROBABILITY), values(data, s, D.PROBABILITY)],
                grads=(False, True))


def _softmax_ce(data):
    n, c = data.draw(D.SIZES), data.draw(st.integers(1, 4))
    labels = np.random.default_rng(data.draw(st.integers(0, 99))).integers(0, c, size=n)
    return Case([values(data, (n, c), REAL)], {"labels": labels})


def _leaky(data):
    slope = data.draw(st.sampled_from([0.01, 0.2, 0.0, 1.0, -0.5]), label="slope")
    return Case([values(data, shape(data), REAL)], {"slope": slope})


def _lse_via_softmax(x, axis, keepdims):
    """log sum e^x whose derivative is exactly softmax(x) (the max shift is a constant)."""
    d = dims(axis, x.ndim)
    if x.numel() == 0:
        return torch.logsumexp(x, dim=d, keepdim=keepdims)
    m = torch.amax(x, dim=d, keepdim=True).detach()
    m = torch.where(torch.isfinite(m), m, torch.zeros_like(m))
    out = torch.log(torch.exp(x - m).sum(dim=d, keepdim=True)) + m
    return out if keepdims else out.squeeze(d) if d != () else out


def _var(data):
    s = shape(data)
    axis = axis_for(data, len(s))
    # ddof=1 over a single number divides 0 by 0 in every derivative: degenerate, left out
    n = int(np.prod([s[a] for a in D.dims(axis, len(s))] if isinstance(axis, tuple) or
                    axis is None else [s[axis]], dtype=np.int64))
    ddof = data.draw(st.sampled_from([0, 1])) if n >= 2 else 0
    return Case([values(data, s, FINITE)], {"axis": axis,
                                            "keepdims": data.draw(st.booleans()),
                                            "ddof": ddof})


def _comparison(data):
    shapes = D.broadcast_shapes(data, 2)
    return Case([values(data, shapes[0], MODERATE), values(data, shapes[1], MODERATE)],
                grads=(False, False))


def _maximum(data):
    shapes = D.broadcast_shapes(data, 2)
    return Case([values(data, s, REAL) for s in shapes])


POW_NAN = ("at a base of 0 PyTorch's second derivatives multiply an unselected branch: "
           "0 * log(0) or 0 * e x^(e-2) = 0 * inf = nan; where x^e does not change (0^e for "
           "e > 0, x^0) its derivatives are 0, which we give")
NEG_ZERO = ("PyTorch computes x ** -0.5 as 1 / sqrt(x), so (-0.0) ** -0.5 is -inf; IEEE's pow "
            "(C, numpy, ours) gives +inf: the base -0.0 is taken as +0.0 in the second reference")
SHIFT_NAN = ("with an infinite logit PyTorch subtracts the infinite maximum (inf - inf = "
             "nan); we shift by 0 instead and give the limit (-inf, 0, or an infinite loss)")
AMAX_NAN = ("where the upstream gradient is inf, torch.amax/amin multiply it by a 0/1 mask "
            "(0 * inf = nan) for the elements that were not the extreme; we give them 0, "
            "as torch.max(x) does for the whole tensor")


# --- the table -------------------------------------------------------------------------------

OPS = [
    # arithmetic, with broadcasting
    Op("add", lambda a, b: a + b, lambda a, b: a + b, elementwise(2),
       covers=("Tensor.__add__", "Tensor.__radd__", "ops.add")),
    Op("sub", lambda a, b: a - b, lambda a, b: a - b, elementwise(2),
       covers=("Tensor.__sub__", "Tensor.__rsub__", "ops.sub")),
    Op("mul", lambda a, b: a * b, lambda a, b: a * b, elementwise(2),
       covers=("Tensor.__mul__", "Tensor.__rmul__", "ops.mul")),
    Op("div", lambda a, b: a / b, lambda a, b: a / b, elementwise(2),
       covers=("Tensor.__truediv__", "Tensor.__rtruediv__", "ops.div")),
    Op("number - tensor", lambda x, c: c - x, lambda x, c: c - x, _scalar_other),
    Op("number / tensor", lambda x, c: c / x, lambda x, c: c / x, _scalar_other,
       nan_ok="PyTorch computes c / x as c * (1 / x), whose derivative -c / x^2 overflows "
              "for a tiny x (0 * inf = nan at c = 0); ours is -(c / x) / x, as for Tensors"),
    Op("tensor / number", lambda x, c: x / c, lambda x, c: x / c, _scalar_other),
    Op("number * tensor", lambda x, c: c * x, lambda x, c: c * x, _scalar_other),
    Op("numpy scalars", lambda x, c: (x * np.float64(c) - np.float64(c)) ** np.int64(2)
       + np.float32(2) / x, lambda x, c: (x * c - c) ** 2 + 2.0 / x, _scalar_other,
       nan_ok="PyTorch computes 2 / x as 2 * (1 / x), whose derivative -2 / x^2 "
              "overflows for a tiny x; ours is -(2 / x) / x"),
    Op("neg", lambda x: -x, lambda x: -x, unary(), covers=("Tensor.__neg__", "ops.neg")),
    Op("power", lambda a, b: a ** b, lambda a, b: a ** b, _power,
       covers=("Tensor.__pow__", "ops.power"), nan_ok=POW_NAN,
       alt=lambda a, b: (a + 0.0) ** b, alt_why=NEG_ZERO),
    Op("power number", lambda x, e: x ** e, lambda x, e: x ** e, _power_number,
       alt=lambda x, e: (x + 0.0) ** e, alt_why=NEG_ZERO),
    Op("rpow", lambda x, base: base ** x, lambda x, base: base ** x, _rpower,
       covers=("Tensor.__rpow__",), nan_ok=POW_NAN),
    Op("matmul", lambda a, b: a @ b, torch.matmul, _matmul, sums=1,
       covers=("Tensor.__matmul__", "Tensor.__rmatmul__", "ops.matmul", "tg.matmul")),
    # elementwise functions
    Op("exp", tg.exp, torch.exp, unary(), covers=("Tensor.exp", "tg.exp", "ops.exp")),
    Op("log", tg.log, torch.log, unary(), covers=("Tensor.log", "tg.log", "ops.log")),
    Op("log1p", ops.log1p, torch.log1p, unary(), covers=("ops.log1p",)),
    Op("sqrt", tg.sqrt, torch.sqrt, unary(), covers=("Tensor.sqrt", "tg.sqrt", "ops.sqrt")),
    Op("abs", tg.abs, torch.abs, unary(),
       covers=("Tensor.abs", "Tensor.__abs__", "tg.abs", "ops.abs")),
    Op("abs()", lambda x: abs(x), lambda x: abs(x), unary()),
    Op("tanh", tg.tanh, torch.tanh, unary(), covers=("Tensor.tanh", "tg.tanh", "ops.tanh")),
    Op("sigmoid", tg.sigmoid, torch.sigmoid, unary(),
       covers=("Tensor.sigmoid", "tg.sigmoid", "ops.sigmoid")),
    Op("relu", tg.relu, torch.relu, unary(), covers=("Tensor.relu", "tg.relu", "ops.relu")),
    Op("leaky_relu", lambda x, slope: x.leaky_relu(slope),
       lambda x, slope: TF.leaky_relu(x, slope), _leaky,
       covers=("Tensor.leaky_relu", "tg.leaky_relu", "ops.leaky_relu")),
    Op("softplus", tg.softplus, TF.softplus, _softplus_like,
       covers=("Tensor.softplus", "tg.softplus", "ops_nn.softplus"), rtol=1e-6),
    Op("clip", _ours_clip, _torch_clip, _clip, covers=("Tensor.clip", "tg.clip", "ops.clip")),
    Op("where", lambda a, b, cond: tg.where(cond, a, b),
       lambda a, b, cond: torch.where(torch.tensor(cond), a, b), _where,
       covers=("tg.where", "ops.where")),
    Op("maximum", tg.maximum, torch.maximum, _maximum, covers=("tg.maximum", "ops.maximum")),
    Op("minimum", tg.minimum, torch.minimum, _maximum, covers=("tg.minimum", "ops.minimum")),
    # reductions
    Op("sum", lambda x, axis, keepdims: x.sum(axis=axis, keepdims=keepdims),
       lambda x, axis, keepdims: torch.sum(x, dim=dims(axis, x.ndim), keepdim=keepdims),
       reduction(), sums=1, covers=("Tensor.sum", "ops.sum")),
    Op("mean", lambda x, axis, keepdims: x.mean(axis=axis, keepdims=keepdims),
       lambda x, axis, keepdims: torch.mean(x, dim=dims(axis, x.ndim), keepdim=keepdims),
       reduction(), sums=1, covers=("Tensor.mean", "ops.mean")),
    Op("max", lambda x, axis, keepdims: x.max(axis=axis, keepdims=keepdims),
       lambda x, axis, keepdims: torch.amax(x, dim=dims(axis, x.ndim), keepdim=keepdims),
       reduction(), nan_ok=AMAX_NAN, covers=("Tensor.max", "ops.max")),
    Op("min", lambda x, axis, keepdims: x.min(axis=axis, keepdims=keepdims),
       lambda x, axis, keepdims: torch.amin(x, dim=dims(axis, x.ndim), keepdim=keepdims),
       reduction(), nan_ok=AMAX_NAN, covers=("Tensor.min", "ops.min")),
    Op("max of everything", lambda x: x.max(), lambda x: torch.max(x), unary()),
    Op("min of everything", lambda x: x.min(), lambda x: torch.min(x), unary()),
    Op("var", lambda x, axis, keepdims, ddof: x.var(axis=axis, keepdims=keepdims, ddof=ddof),
       lambda x, axis, keepdims, ddof: torch.var(x, dim=dims(axis, x.ndim), keepdim=keepdims,
                                                 correction=ddof),
       _var, sums=2, grad_sums=True, covers=("Tensor.var", "ops.var"),
       refuse_ok="n - ddof <= 0: PyTorch divides by 0 or less (nan or inf, with a warning); "
                 "we raise a ValueError that says so"),
    Op("logsumexp", lambda x, axis, keepdims: x.logsumexp(axis=axis, keepdims=keepdims),
       lambda x, axis, keepdims: torch.logsumexp(x, dim=dims(axis, x.ndim), keepdim=keepdims),
       reduction(), grad_sums=True, nan_ok=SHIFT_NAN, alt=_lse_via_softmax,
       alt_why="torch's logsumexp derivative exp(x - lse) rounds lse back to max(x) for "
               "huge x (giving 1 for every tied maximum); its true value is softmax(x)",
       covers=("Tensor.logsumexp", "tg.logsumexp", "ops_softmax.logsumexp")),
    Op("softmax", lambda x, axis: x.softmax(axis=axis),
       lambda x, axis: torch.softmax(x, dim=axis), _softmax_like, grad_sums=True,
       nan_ok=SHIFT_NAN, covers=("Tensor.softmax", "tg.softmax", "ops_softmax.softmax")),
    Op("log_softmax", lambda x, axis: tg.log_softmax(x, axis=axis),
       lambda x, axis: torch.log_softmax(x, dim=axis), _softmax_like, grad_sums=True,
       nan_ok=SHIFT_NAN,
       covers=("Tensor.log_softmax", "tg.log_softmax", "ops_softmax.log_softmax")),
    # fused neural-network ops
    Op("linear", tg.linear, TF.linear, _linear, sums=1,
       covers=("tg.linear", "ops_nn.linear")),
    Op("binary_cross_entropy", tg.binary_cross_entropy,
       lambda p, y, weight: TF.binary_cross_entropy(p, y, _const(weight, p), reduction="none"),
       _bce, rtol=1e-6,
       covers=("tg.binary_cross_entropy", "ops_nn.binary_cross_entropy")),
    Op("binary_cross_entropy (target)", tg.binary_cross_entropy,
       lambda p, y: -(y * torch.log(p).clamp(min=-100) + (1 - y) * torch.log1p(-p).clamp(
           min=-100)), _bce_target, rtol=1e-6,
       nan_ok="the reference is the formula, whose two log terms meet an infinite upstream "
              "gradient separately (inf - inf = nan); we multiply it by their difference"),
    Op("binary_cross_entropy_with_logits",
       lambda x, y, pos_weight=None, weight=None: tg.binary_cross_entropy_with_logits(
           x, y, pos_weight, weight),
       lambda x, y, pos_weight=None, weight=None: TF.binary_cross_entropy_with_logits(
           x, y, _const(weight, x), pos_weight=pos_weight, reduction="none"),
       _bce_logits, rtol=1e-6,
       alt=lambda x, y, pos_weight=None, weight=None: (
           (y if pos_weight is None else pos_weight * y) * TF.softplus(-x)
           + (1 - y) * TF.softplus(x)) * (1.0 if weight is None else _const(weight, x)),
       alt_why="PyTorch's (1 - y) x + (1 + (w - 1) y) softplus(-x) cancels for huge |x| "
               "(issue 13, item 7); the second reference adds two non-negative terms",
       covers=("tg.binary_cross_entropy_with_logits",
               "ops_nn.binary_cross_entropy_with_logits")),
    Op("softmax_cross_entropy", lambda x, labels: tg.softmax_cross_entropy(x, labels),
       lambda x, labels: TF.cross_entropy(x, torch.tensor(labels), reduction="none"),
       _softmax_ce, grad_sums=True, nan_ok=SHIFT_NAN,
       covers=("tg.softmax_cross_entropy", "ops_nn.softmax_cross_entropy")),
    # comparisons: bool results without gradient
    Op("comparisons", lambda a, b: tg.stack([(a < b), (a <= b), (a > b), (a >= b), (a == b),
                                             (a != b)]),
       lambda a, b: torch.stack([a < b, a <= b, a > b, a >= b, a == b, a != b]), _comparison,
       covers=("Tensor.__lt__", "Tensor.__le__", "Tensor.__gt__", "Tensor.__ge__",
               "Tensor.__eq__", "Tensor.__ne__")),
]

@pytest.mark.parametrize("op", OPS, ids=lambda op: op.name)
@D.SETTINGS
@given(data=st.data())
def test_op_matches_torch(op, data):
    D.check(op, data)
