"""The scalar engine (``Value``) against PyTorch: every operation, every loss, the MLP.

Values record first derivatives only, so each row compares the result and the
gradient of every input for a random upstream gradient (inf, +-1e30 and 0 among
them), on the same kinds of numbers as the Tensor harness (``tests/differential.py``):
ties, zeros, +-1e3, +-1e30, float32's limits and inf, in float64 (a Value is a
Python float). ``test_differential_coverage.py`` fails when an operation is added
without a row.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

import differential as D  # noqa: E402
from differential import FINITE, POSITIVE, PROBABILITY, REAL, Op  # noqa: E402

import nn  # noqa: E402
import nn.functional as F  # noqa: E402
import tinygrad_dk as tg  # noqa: E402
from tinygrad_dk import Value  # noqa: E402

D.use_torch(torch)
TF = torch.nn.functional
F64 = torch.float64  # Values are Python floats: float64


def number(data, domain=REAL):
    return float(D.values(data, (), domain))


def _check(op: Op, data, inputs: list[float], **kwargs) -> None:
    """Run ``op`` on Values and on 0-d float64 tensors; compare the result and gradients."""
    ours_in = [Value(v) for v in inputs]
    theirs_in = [torch.tensor(v, dtype=F64, requires_grad=True) for v in inputs]
    D.hypothesis_note(f"{op.name} {kwargs} on {inputs!r}")
    try:
        theirs = op.theirs(*theirs_in, **kwargs)
    except (RuntimeError, ValueError) as err:
        with pytest.raises((ValueError, TypeError, RuntimeError)):
            op.ours(*ours_in, **kwargs)
        return err
    ours = op.ours(*ours_in, **kwargs)
    out = np.asarray([v.data for v in ours] if isinstance(ours, list) else ours.data)
    scale = D._magnitude(np.asarray(inputs)) ** 2 if op.sums else 0.0  # (a sum of products)
    D.assert_same("forward", out, [theirs.detach()], np.float64, op, scale)
    g = D.upstream(data, tuple(theirs.shape), np.float64)
    total = None  # sum_i out_i * g_i, differentiated: the upstream gradient g
    for v, gi in zip(ours if isinstance(ours, list) else [ours], g.reshape(-1)):
        term = v * float(gi)
        total = term if total is None else total + term
    if isinstance(ours, list):
        total.backward()
    else:
        ours.backward(float(g))
    refs = torch.autograd.grad(theirs, theirs_in, torch.tensor(g), allow_unused=True)
    for i, (v, ref) in enumerate(zip(ours_in, refs)):
        expected = torch.zeros((), dtype=F64) if ref is None else ref
        D.assert_same(f"gradient of input {i}", np.asarray(v.grad), [expected], np.float64,
                      op, D._magnitude(g) if op.grad_sums else 0.0)
    return None


def _n(k, domain=REAL):
    return lambda data: [number(data, domain) for _ in range(k)]


VALUE_OPS = [
    (Op("+", lambda a, b: a + b, lambda a, b: a + b, None, covers=("__add__", "__radd__")),
     _n(2)),
    (Op("-", lambda a, b: a - b, lambda a, b: a - b, None, covers=("__sub__", "__rsub__")),
     _n(2)),
    (Op("*", lambda a, b: a * b, lambda a, b: a * b, None, covers=("__mul__", "__rmul__")),
     _n(2)),
    (Op("/", lambda a, b: a / b, lambda a, b: a / b, None,
        covers=("__truediv__", "__rtruediv__")), _n(2)),
    (Op("number / Value", lambda a: 3.0 / a, lambda a: 3.0 / a, None), _n(1)),
    (Op("number - Value", lambda a: 3.0 - a, lambda a: 3.0 - a, None), _n(1)),
    (Op("neg", lambda a: -a, lambda a: -a, None, covers=("__neg__",)), _n(1)),
    (Op("** Value", lambda a, b: a ** b, lambda a, b: a ** b, None, covers=("__pow__",),
        nan_ok="at a base of 0 the exponent's slope x^e ln x is taken as 0 for e >= 0 "
               "(PyTorch too), so an inf upstream gradient meets 0 there"),
     lambda data: [number(data), float(data.draw(st.sampled_from([0.0, 1.0, 2.0, -1.0, 0.5,
                                                                  3.0, -2.5])))]),
    (Op("** number", lambda a, e: a ** e, lambda a, e: a ** e, None), None),
    (Op("number ** Value", lambda a, base: base ** a, lambda a, base: base ** a, None,
        covers=("__rpow__",)), None),
    (Op("exp", Value.exp, torch.exp, None, covers=("exp",)), _n(1)),
    (Op("log", Value.log, torch.log, None, covers=("log",)), _n(1)),
    (Op("log1p", Value.log1p, torch.log1p, None, covers=("log1p",)), _n(1)),
    (Op("sqrt", Value.sqrt, torch.sqrt, None, covers=("sqrt",)), _n(1)),
    (Op("abs", lambda a: abs(a), torch.abs, None, covers=("abs", "__abs__")), _n(1)),
    (Op("tanh", Value.tanh, torch.tanh, None, covers=("tanh",)), _n(1)),
    (Op("sigmoid", Value.sigmoid, torch.sigmoid, None, covers=("sigmoid",)), _n(1)),
    (Op("softplus", Value.softplus, TF.softplus, None, covers=("softplus",), rtol=1e-6), _n(1)),
    (Op("relu", Value.relu, torch.relu, None, covers=("relu",)), _n(1)),
    (Op("leaky_relu", lambda a, slope: a.leaky_relu(slope),
        lambda a, slope: TF.leaky_relu(a, slope), None, covers=("leaky_relu",)), None),
    (Op("binary_cross_entropy", lambda p, y: Value.binary_cross_entropy(p, y),
        lambda p, y: TF.binary_cross_entropy(p, torch.tensor(y, dtype=torch.float64)), None,
        covers=("binary_cross_entropy",), rtol=1e-6), None),
    (Op("weighted_sum", lambda w1, w2, x1, x2, b: Value.weighted_sum([w1, w2], [x1, x2], b),
        lambda w1, w2, x1, x2, b: w1 * x1 + w2 * x2 + b, None, covers=("weighted_sum",),
        sums=1, grad_sums=True), _n(5, FINITE)),
]


def _draw_inputs(name, draw, data):
    if name == "** number":
        return [number(data)], {"e": data.draw(st.sampled_from([0.0, 1.0, 2.0, 3.0, 0.5, -1.0,
                                                                -2.0, 2.5]))}
    if name == "number ** Value":
        return [number(data)], {"base": data.draw(st.sampled_from([2.0, 0.5, 0.0, 1.0]))}
    if name == "binary_cross_entropy":  # PyTorch has no derivative for the target
        return [number(data, PROBABILITY)], {"y": number(data, PROBABILITY)}
    if name == "leaky_relu":
        return [number(data)], {"slope": data.draw(st.sampled_from([0.01, 0.2, 0.0]))}
    return draw(data), {}


@pytest.mark.parametrize("row", VALUE_OPS, ids=lambda row: row[0].name)
@D.SETTINGS
@given(data=st.data())
def test_value_op_matches_torch(row, data):
    op, draw = row
    inputs, kwargs = _draw_inputs(op.name, draw, data)
    _check(op, data, inputs, **kwargs)


# --- losses on lists of Values ------------------------------------------------------------


def _loss_case(data, kind):
    n = data.draw(st.integers(1, 4), label="n")
    if kind == "prob":
        return [number(data, PROBABILITY) for _ in range(n)], [number(data, PROBABILITY)
                                                               for _ in range(n)]
    if kind == "signs":
        return [number(data) for _ in range(n)], [data.draw(st.sampled_from([-1.0, 1.0]))
                                                  for _ in range(n)]
    return [number(data) for _ in range(n)], [number(data, FINITE) for _ in range(n)]


SCALAR_LOSSES = {
    "mse_loss": (F.mse_loss, TF.mse_loss, "real"),
    "l1_loss": (F.l1_loss, TF.l1_loss, "real"),
    "huber_loss": (lambda x, y, reduction: F.huber_loss(x, y, reduction, delta=0.5),
                   lambda x, y, reduction: TF.huber_loss(x, y, reduction=reduction, delta=0.5),
                   "real"),
    "binary_cross_entropy": (F.binary_cross_entropy, TF.binary_cross_entropy, "prob"),
    "binary_cross_entropy_with_logits": (
        lambda x, y, reduction: F.binary_cross_entropy_with_logits(x, y, reduction=reduction,
                                                                   pos_weight=2.0),
        lambda x, y, reduction: (2.0 * y * TF.softplus(-x) + (1 - y) * TF.softplus(x)).mean()
        if reduction == "mean" else (2.0 * y * TF.softplus(-x) + (1 - y) * TF.softplus(x)).sum()
        if reduction == "sum" else 2.0 * y * TF.softplus(-x) + (1 - y) * TF.softplus(x),
        "logits"),
    "hinge_loss": (F.hinge_loss, lambda x, y, reduction: (
        torch.relu(1 - y * x).mean() if reduction == "mean" else torch.relu(1 - y * x).sum()
        if reduction == "sum" else torch.relu(1 - y * x)), "signs"),
    "gaussian_nll_loss": (
        lambda x, y, reduction: F.gaussian_nll_loss(x, y, [0.5] * len(x), reduction=reduction),
        lambda x, y, reduction: TF.gaussian_nll_loss(x, y, torch.full_like(x, 0.5),
                                                     reduction=reduction), "real"),
}


@pytest.mark.parametrize("name", list(SCALAR_LOSSES))
@D.SETTINGS
@given(data=st.data())
def test_scalar_loss_matches_torch(name, data):
    ours_fn, torch_fn, kind = SCALAR_LOSSES[name]
    xs, ys = _loss_case(data, "prob" if kind == "prob" else "signs" if kind == "signs"
                        else "real")
    if kind == "logits":
        ys = [number(data, PROBABILITY) for _ in xs]
    if name in ("mse_loss", "huber_loss", "gaussian_nll_loss"):
        xs = [number(data, FINITE) for _ in xs]  # squares of 1e300 overflow in both; fine
    reduction = data.draw(st.sampled_from(["mean", "sum", "none"]))
    ours_in = [Value(v) for v in xs]
    theirs_in = torch.tensor(xs, dtype=F64, requires_grad=True)
    ours = ours_fn(ours_in, ys, reduction=reduction)
    theirs = torch_fn(theirs_in, torch.tensor(ys, dtype=F64), reduction=reduction)
    op = Op(name, None, None, None, rtol=1e-6, sums=1)
    D.hypothesis_note(f"{name} {reduction} on {xs!r}, {ys!r}")
    out = np.asarray([v.data for v in ours] if isinstance(ours, list) else ours.data)
    D.assert_same("forward", out, [theirs.detach()], np.float64, op,
                  D._magnitude(np.asarray(xs)) ** 2)
    g = D.upstream(data, tuple(theirs.shape), np.float64, finite=True)
    parts = ours if isinstance(ours, list) else [ours]
    total = parts[0] * float(g.reshape(-1)[0])
    for v, gi in zip(parts[1:], g.reshape(-1)[1:]):
        total = total + v * float(gi)
    total.backward()
    (expected,) = torch.autograd.grad(theirs, theirs_in, torch.tensor(g))
    D.assert_same("gradient", np.array([v.grad for v in ours_in]), [expected], np.float64, op,
                  D._magnitude(g) * max(D._magnitude(np.asarray(xs)), 1.0))


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
@D.SETTINGS
@given(data=st.data())
def test_scalar_class_losses_match_torch(name, data):
    n, c = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 4))
    logits = [[number(data) for _ in range(c)] for _ in range(n)]
    labels = [data.draw(st.integers(0, c - 1)) for _ in range(n)]
    weight = [number(data, POSITIVE) for _ in range(c)] if data.draw(st.booleans()) else None
    eps = data.draw(st.sampled_from([0.0, 0.1])) if name == "cross_entropy" else 0.0
    reduction = data.draw(st.sampled_from(["mean", "sum", "none"]))
    rows = [[Value(v) for v in row] for row in logits]
    options = {"label_smoothing": eps} if name == "cross_entropy" else {}
    ours = getattr(F, name)(rows, labels, weight=weight, reduction=reduction, **options)
    t = torch.tensor(logits, dtype=F64, requires_grad=True)
    theirs = getattr(TF, name)(t, torch.tensor(labels), reduction=reduction, **options,
                               weight=None if weight is None else torch.tensor(weight, dtype=F64))
    op = Op(f"{name} (Values)", None, None, None, rtol=1e-6, sums=1, grad_sums=True,
            nan_ok="an infinite logit: PyTorch gives nan (inf - inf), we give the limit")
    D.hypothesis_note(f"{logits} {labels} w={weight} eps={eps} {reduction}")
    out = np.asarray([v.data for v in ours] if isinstance(ours, list) else ours.data)
    scale = D._magnitude(np.asarray(logits)) * max(D._magnitude(np.asarray(weight or [1.0])), 1)
    D.assert_same("forward", out, [theirs.detach()], np.float64, op, scale)
    parts = ours if isinstance(ours, list) else [ours]
    g = D.upstream(data, tuple(theirs.shape), np.float64)
    total = parts[0] * float(g.reshape(-1)[0])
    for v, gi in zip(parts[1:], g.reshape(-1)[1:]):
        total = total + v * float(gi)
    total.backward()
    (expected,) = torch.autograd.grad(theirs, t, torch.tensor(g))
    D.assert_same("gradient", np.array([[v.grad for v in row] for row in rows]), [expected],
                  np.float64, op, D._magnitude(g) * max(D._magnitude(np.asarray(weight or [1])),
                                                        1.0))


# --- the scalar MLP against the same network in PyTorch ------------------------------------


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "leaky_relu", "linear"])
def test_scalar_mlp_matches_torch(activation):
    tg.manual_seed(3)
    model = nn.MLP(3, [4, 2], activation=activation)
    acts = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid,
            "leaky_relu": lambda z: TF.leaky_relu(z, 0.01), "linear": lambda z: z}
    weights = [torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=F64,
                            requires_grad=True)
               for layer in model.layers]
    biases = [torch.tensor([n.b.data for n in layer.neurons], dtype=F64, requires_grad=True)
              for layer in model.layers]
    x = [0.5, -1.5, 2.0]
    h = torch.tensor(x, dtype=torch.float64)
    for i, (w, b) in enumerate(zip(weights, biases)):
        h = w @ h + b
        h = acts[activation](h) if i < len(weights) - 1 else h
    g = torch.tensor([0.7, -1.3], dtype=torch.float64)
    (h * g).sum().backward()
    out = model(x)
    (out[0] * 0.7 + out[1] * -1.3).backward()
    np.testing.assert_allclose([v.data for v in out], h.detach().numpy(), rtol=1e-12)
    for layer, w, b in zip(model.layers, weights, biases):
        np.testing.assert_allclose([[v.grad for v in n.w] for n in layer.neurons],
                                   w.grad.numpy(), rtol=1e-12, atol=1e-300)
        np.testing.assert_allclose([n.b.grad for n in layer.neurons], b.grad.numpy(),
                                   rtol=1e-12, atol=1e-300)
