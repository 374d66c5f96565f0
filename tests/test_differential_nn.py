"""Every loss, layer and optimizer of ``nn`` against PyTorch, by the differential harness.

Losses and layers are rows of the same kind of table as the Tensor ops
(``tests/differential.py``): forward, first derivatives with a random upstream
gradient, second derivatives, on random shapes and extreme values; each loss both as
``nn.functional`` function and as module, with every reduction and option. Optimizers
are compared in ``test_differential_optim.py``; ``test_differential_coverage.py`` fails
when a loss, layer or optimizer is added without a row.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

import differential as D  # noqa: E402
from differential import FINITE, POSITIVE, PROBABILITY, REAL, Case, Op, values  # noqa: E402

import nn  # noqa: E402
import nn.functional as F  # noqa: E402

D.use_torch(torch)
TF = torch.nn.functional
REDUCTIONS = st.sampled_from(["mean", "sum", "none"])
FORMS = st.sampled_from(["functional", "module"])


def nonempty_shape(data, min_dims=1, max_dims=3):
    """Losses refuse an empty batch (a clear error, tested in test_misuse_nn.py)."""
    return tuple(max(n, 1) for n in D.shape(data, min_dims, max_dims))


def _t(a, like):
    """A constant (weight, labels) as a tensor of the input's dtype."""
    return None if a is None else torch.tensor(a, dtype=like.dtype)


# --- losses ----------------------------------------------------------------------------------


def _regression(domain=REAL):
    def draw(data):
        s = nonempty_shape(data)
        return Case([values(data, s, domain), values(data, s, domain)],
                    {"reduction": data.draw(REDUCTIONS), "form": data.draw(FORMS)})
    return draw


def _ours_loss(functional, module):
    def run(*tensors, form, labels=None, **options):
        if labels is not None:  # class labels: a constant target
            tensors = (*tensors, labels)
        if form == "functional":
            return functional(*tensors, **options)
        return module(**options)(*tensors)
    return run


def _huber(data):
    case = _regression()(data)
    case.kwargs["delta"] = data.draw(st.sampled_from([1.0, 0.5, 2.0, 1e-3]))
    return case


def _bce(data):
    s = nonempty_shape(data)
    weight = values(data, s[-1:], POSITIVE) if data.draw(st.booleans()) else None
    return Case([values(data, s, PROBABILITY), values(data, s, PROBABILITY)],
                {"reduction": data.draw(REDUCTIONS), "form": data.draw(FORMS),
                 "weight": weight}, grads=(True, False))


def _bce_logits(data):
    s = nonempty_shape(data)
    weight = values(data, s[-1:], POSITIVE) if data.draw(st.booleans()) else None
    pos = values(data, s[-1:], POSITIVE) if data.draw(st.booleans()) else None
    return Case([values(data, s, REAL), values(data, s, PROBABILITY)],
                {"reduction": data.draw(REDUCTIONS), "form": data.draw(FORMS),
                 "weight": weight, "pos_weight": pos})


def _bce_logits_exact(x, y, form, weight, pos_weight, reduction):
    positive = y if pos_weight is None else _t(pos_weight, x) * y
    loss = positive * TF.softplus(-x) + (1 - y) * TF.softplus(x)
    return _reduce(loss if weight is None else loss * _t(weight, x), reduction)


def _cross_entropy(data):
    n, c = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
    single = data.draw(st.booleans(), label="one example (C,)")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    kind = data.draw(st.sampled_from(["labels", "probabilities"]))
    shape = (c,) if single else (n, c)
    arrays = [values(data, shape, REAL)]
    kwargs = {"reduction": data.draw(REDUCTIONS), "form": data.draw(FORMS),
              "weight": values(data, (c,), POSITIVE) if data.draw(st.booleans()) else None,
              "label_smoothing": data.draw(st.sampled_from([0.0, 0.0, 0.1, 1.0]))}
    if kind == "labels":
        kwargs["labels"] = rng.integers(0, c, size=() if single else n)
    else:
        arrays.append(values(data, shape, PROBABILITY))
    return Case(arrays, kwargs)


def _ours_ce(x, *probs, form, labels=None, **options):
    target = probs[0] if probs else labels
    if form == "functional":
        return F.cross_entropy(x, target, **options)
    return nn.CrossEntropyLoss(**options)(x, target)


def _torch_ce(x, *probs, form, labels=None, weight=None, **options):
    target = probs[0] if probs else torch.tensor(labels)
    return TF.cross_entropy(x, target, weight=_t(weight, x), **options)


def _nll(data):
    n, c = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
    labels = np.random.default_rng(data.draw(st.integers(0, 2**16))).integers(0, c, size=n)
    return Case([values(data, (n, c), REAL)],
                {"labels": labels, "reduction": data.draw(REDUCTIONS), "form": data.draw(FORMS),
                 "weight": values(data, (c,), POSITIVE) if data.draw(st.booleans()) else None})


def _hinge(data):
    s = nonempty_shape(data)
    signs = np.where(values(data, s, REAL) >= 0, 1.0, -1.0)
    return Case([values(data, s, REAL)], {"signs": signs, "reduction": data.draw(REDUCTIONS),
                                          "form": data.draw(FORMS)})


def _reduce(loss, reduction):
    return loss if reduction == "none" else loss.sum() if reduction == "sum" else loss.mean()


def _gaussian(data):
    s = nonempty_shape(data)
    var_shape = data.draw(st.sampled_from([s, s[:-1] + (1,), s[:-1]]), label="var shape")
    var = np.abs(values(data, var_shape, FINITE))  # zeros too: raised to eps
    return Case([values(data, s, FINITE), values(data, s, FINITE), var],
                {"reduction": data.draw(REDUCTIONS), "form": data.draw(FORMS),
                 "full": data.draw(st.booleans()),
                 "eps": data.draw(st.sampled_from([1e-6, 1e-3]))})


def _ours_gaussian(x, y, var, form, **options):
    if form == "functional":
        return F.gaussian_nll_loss(x, y, var, **options)
    return nn.GaussianNLLLoss(**options)(x, y, var)


LOSSES = [
    Op("mse_loss", _ours_loss(F.mse_loss, nn.MSELoss),
       lambda x, y, form, **o: TF.mse_loss(x, y, **o), _regression(), sums=2,
       covers=("F.mse_loss", "nn.MSELoss")),
    Op("l1_loss", _ours_loss(F.l1_loss, nn.L1Loss),
       lambda x, y, form, **o: TF.l1_loss(x, y, **o), _regression(), sums=1,
       covers=("F.l1_loss", "nn.L1Loss")),
    Op("huber_loss", _ours_loss(F.huber_loss, nn.HuberLoss),
       lambda x, y, form, **o: TF.huber_loss(x, y, **o), _huber, sums=2,
       nan_ok="x - y = inf - inf: the loss is nan in both; our |d|' there is 0, as PyTorch's "
              "own abs (and l1_loss) gives, its huber kernel nan",
       covers=("F.huber_loss", "nn.HuberLoss")),
    Op("binary_cross_entropy", _ours_loss(F.binary_cross_entropy, nn.BCELoss),
       lambda p, y, form, weight, **o: TF.binary_cross_entropy(p, y, weight=_t(weight, p), **o),
       _bce, sums=1, covers=("F.binary_cross_entropy", "nn.BCELoss")),
    Op("binary_cross_entropy_with_logits",
       _ours_loss(F.binary_cross_entropy_with_logits, nn.BCEWithLogitsLoss),
       lambda x, y, form, weight, pos_weight, **o: TF.binary_cross_entropy_with_logits(
           x, y, weight=_t(weight, x), pos_weight=_t(pos_weight, x), **o),
       _bce_logits, sums=1, rtol=1e-6, alt=_bce_logits_exact,
       alt_why="PyTorch's (1 - y) x + (1 + (w - 1) y) softplus(-x) cancels for huge |x| "
               "(issue 13, item 7); the second reference adds two non-negative terms",
       covers=("F.binary_cross_entropy_with_logits", "nn.BCEWithLogitsLoss")),
    Op("cross_entropy", _ours_ce, _torch_ce, _cross_entropy, sums=1, grad_sums=True,
       nan_ok="with an infinite logit PyTorch subtracts the infinite maximum (inf - inf = "
              "nan); we shift by 0 and give the limit",
       covers=("F.cross_entropy", "nn.CrossEntropyLoss")),
    Op("hinge_loss", lambda x, signs, form, reduction: (
        F.hinge_loss(x, signs, reduction=reduction) if form == "functional"
        else nn.HingeLoss(reduction=reduction)(x, signs)),
       lambda x, signs, form, reduction: _reduce(torch.relu(1 - _t(signs, x) * x),
                                                 reduction),
       _hinge, sums=1, covers=("F.hinge_loss", "nn.HingeLoss")),
    Op("nll_loss", _ours_loss(F.nll_loss, nn.NLLLoss),
       lambda x, form, labels, weight, reduction: TF.nll_loss(
           x, torch.tensor(labels), weight=_t(weight, x), reduction=reduction), _nll, sums=1,
       covers=("F.nll_loss", "nn.NLLLoss")),
    Op("gaussian_nll_loss", _ours_gaussian,
       lambda x, y, var, form, **o: TF.gaussian_nll_loss(x, y, var, **o), _gaussian, sums=2,
       grad_sums=True, covers=("F.gaussian_nll_loss", "nn.GaussianNLLLoss")),
]

# --- layers and activations ---------------------------------------------------------------


def _linear_layer(data):
    n_in, n_out = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
    lead = D.shape(data, max_dims=2)
    arrays = [values(data, lead + (n_in,), FINITE), values(data, (n_out, n_in), FINITE)]
    bias = data.draw(st.booleans(), label="bias")
    if bias:
        arrays.append(values(data, (n_out,), FINITE))
    return Case(arrays)


def _ours_linear(x, w, b=None):
    layer = nn.Linear(w.shape[1], w.shape[0], bias=b is not None, dtype=w.dtype)
    layer.weight = w
    if b is not None:
        layer.bias = b
    return layer(x)


def _torch_linear(x, w, b=None):
    layer = torch.nn.Linear(w.shape[1], w.shape[0], bias=b is not None, dtype=w.dtype)
    params = {"weight": w} if b is None else {"weight": w, "bias": b}
    return torch.func.functional_call(layer, params, (x,))


def _sequential(data):
    n_in, hidden = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))
    batch = data.draw(st.integers(0, 3))
    return Case([values(data, (batch, n_in), FINITE), values(data, (hidden, n_in), FINITE),
                 values(data, (hidden,), FINITE), values(data, (1, hidden), FINITE)],
                {"act": data.draw(st.sampled_from(["ReLU", "Tanh", "Sigmoid", "LeakyReLU"]))})


def _ours_sequential(x, w1, b1, w2, act):
    model = nn.Sequential(nn.Linear(w1.shape[1], w1.shape[0], dtype=w1.dtype),
                          getattr(nn, act)(), nn.Linear(w2.shape[1], 1, bias=False,
                                                        dtype=w1.dtype))
    model[0].weight, model[0].bias, model[2].weight = w1, b1, w2
    return model(x)


def _torch_sequential(x, w1, b1, w2, act):
    model = torch.nn.Sequential(torch.nn.Linear(w1.shape[1], w1.shape[0], dtype=w1.dtype),
                                getattr(torch.nn, act)(),
                                torch.nn.Linear(w2.shape[1], 1, bias=False, dtype=w1.dtype))
    return torch.func.functional_call(model, {"0.weight": w1, "0.bias": b1, "2.weight": w2},
                                      (x,))


def _activation(data):
    return Case([values(data, D.shape(data), REAL)])


def _softmax_module(data):
    s = D.shape(data, min_dims=1)
    return Case([values(data, s, REAL)], {"axis": data.draw(st.integers(-len(s), len(s) - 1))})


def _flatten_module(data):
    s = D.shape(data, min_dims=1)
    return Case([values(data, s, REAL)], {"start": data.draw(st.integers(0, len(s) - 1))})


def _dropout_eval(data):
    return Case([values(data, D.shape(data), REAL)],
                {"p": data.draw(st.sampled_from([0.0, 0.5, 0.9]))})


def _alpha(data):
    return Case([values(data, D.shape(data), REAL)],
                {"alpha": data.draw(st.sampled_from([1.0, 0.5, 2.0]))})


def _approximate(data):
    return Case([values(data, D.shape(data), REAL)],
                {"approximate": data.draw(st.sampled_from(["none", "tanh"]))})


def _beta(data):
    return Case([values(data, D.shape(data), REAL)],
                {"beta": data.draw(st.sampled_from([1.0, 0.5, 2.0]))})


def _finite_activation(data):  # (inf - inf in the sum of three activations would be noise)
    return Case([values(data, D.shape(data), FINITE)])


def _one_hot(data):
    n, c = data.draw(st.integers(0, 4)), data.draw(st.integers(1, 4))
    labels = np.random.default_rng(data.draw(st.integers(0, 2**16))).integers(0, c, size=n)
    return Case([np.zeros(1)], {"labels": labels, "classes": data.draw(st.sampled_from([c, -1]))
                                if n else c}, grads=(False,))


def _ours_module_list(x, w1, b1, w2, act):
    layers = nn.ModuleList([nn.Linear(w1.shape[1], w1.shape[0], dtype=w1.dtype),
                            getattr(nn, act)()])
    layers.append(nn.Linear(w2.shape[1], 1, bias=False, dtype=w1.dtype))
    layers[0].weight, layers[0].bias, layers[2].weight = w1, b1, w2
    for layer in layers:
        x = layer(x)
    return x


def _torch_module_list(x, w1, b1, w2, act):
    return _torch_sequential(x, w1, b1, w2, act)


def _parameter_list(data):
    s = D.shape(data)
    return Case([values(data, s, FINITE), values(data, s, FINITE), values(data, s, FINITE)])


def _ours_parameter_list(x, a, b):
    params = nn.ParameterList([a, b])
    return x * params[0] + params[1] * params[1]


def _torch_parameter_list(x, a, b):  # (torch's ParameterList would copy a and b into new
    return x * a + b * b               # leaves; ours keeps the very tensors, so: directly)


SHIFT_NAN = "an infinite logit: PyTorch gives nan (inf - inf), we give the limit"

LAYERS = [
    Op("Linear", _ours_linear, _torch_linear, _linear_layer, sums=1, covers=("nn.Linear",)),
    Op("Sequential", _ours_sequential, _torch_sequential, _sequential, sums=2,
       covers=("nn.Sequential",)),
    Op("ReLU", lambda x: nn.ReLU()(x), lambda x: torch.nn.ReLU()(x), _activation,
       covers=("nn.ReLU",)),
    Op("LeakyReLU", lambda x: nn.LeakyReLU(0.1)(x), lambda x: torch.nn.LeakyReLU(0.1)(x),
       _activation, covers=("nn.LeakyReLU",)),
    Op("Sigmoid", lambda x: nn.Sigmoid()(x), lambda x: torch.nn.Sigmoid()(x), _activation,
       covers=("nn.Sigmoid",)),
    Op("Tanh", lambda x: nn.Tanh()(x), lambda x: torch.nn.Tanh()(x), _activation,
       covers=("nn.Tanh",)),
    Op("Softmax", lambda x, axis: nn.Softmax(axis)(x), lambda x, axis: torch.nn.Softmax(axis)(x),
       _softmax_module, grad_sums=True, nan_ok=SHIFT_NAN, covers=("nn.Softmax",)),
    Op("Identity", lambda x: nn.Identity()(x) * 1.0, lambda x: torch.nn.Identity()(x) * 1.0,
       _activation, covers=("nn.Identity",)),
    Op("Flatten", lambda x, start: nn.Flatten(start)(x),
       lambda x, start: torch.nn.Flatten(start)(x), _flatten_module, covers=("nn.Flatten",)),
    Op("Dropout (eval)", lambda x, p: nn.Dropout(p).eval()(x) * 1.0,
       lambda x, p: torch.nn.Dropout(p).eval()(x) * 1.0, _dropout_eval,
       covers=("nn.Dropout",)),
    Op("ELU", lambda x, alpha: nn.ELU(alpha)(x), lambda x, alpha: torch.nn.ELU(alpha)(x),
       _alpha, covers=("nn.ELU",)),
    Op("SiLU", lambda x: nn.SiLU()(x), lambda x: torch.nn.SiLU()(x), _activation,
       covers=("nn.SiLU",)),
    Op("GELU", lambda x, approximate: nn.GELU(approximate)(x),
       lambda x, approximate: torch.nn.GELU(approximate)(x), _approximate, rtol=1e-6,
       covers=("nn.GELU",)),
    Op("Softplus", lambda x, beta: nn.Softplus(beta)(x), lambda x, beta: torch.nn.Softplus(beta)(x),
       _beta, rtol=1e-6, covers=("nn.Softplus",)),
    Op("LogSoftmax", lambda x, axis: nn.LogSoftmax(dim=axis)(x),
       lambda x, axis: torch.nn.LogSoftmax(dim=axis)(x), _softmax_module, grad_sums=True,
       nan_ok=SHIFT_NAN, covers=("nn.LogSoftmax",)),
    Op("ModuleList", _ours_module_list, _torch_module_list, _sequential, sums=2,
       covers=("nn.ModuleList",)),
    Op("ParameterList", _ours_parameter_list, _torch_parameter_list, _parameter_list,
       sums=2, covers=("nn.ParameterList",)),
    Op("F.elu, F.silu, F.gelu", lambda x: F.elu(x, 0.5) + F.silu(x) + F.gelu(x, "tanh"),
       lambda x: TF.elu(x, 0.5) + TF.silu(x) + TF.gelu(x, approximate="tanh"), _finite_activation,
       rtol=1e-6, covers=("F.elu", "F.silu", "F.gelu")),
    Op("F.one_hot", lambda x, labels, classes: F.one_hot(labels, classes),
       lambda x, labels, classes: TF.one_hot(torch.tensor(labels), classes), _one_hot,
       covers=("F.one_hot",)),
    Op("F.relu etc.", lambda x: F.relu(x) + F.leaky_relu(x, 0.2) + F.sigmoid(x) + F.tanh(x)
       + F.softplus(x),
       lambda x: TF.relu(x) + TF.leaky_relu(x, 0.2) + torch.sigmoid(x) + torch.tanh(x)
       + TF.softplus(x), _activation, rtol=1e-6,
       covers=("F.relu", "F.leaky_relu", "F.sigmoid", "F.tanh", "F.softplus")),
    Op("F.softmax, F.log_softmax", lambda x, axis: F.softmax(x, axis) + F.log_softmax(x, axis),
       lambda x, axis: TF.softmax(x, axis) + TF.log_softmax(x, axis), _softmax_module,
       grad_sums=True, nan_ok=SHIFT_NAN, covers=("F.softmax", "F.log_softmax")),
    Op("F.linear", lambda x, w, b=None: F.linear(x, w, b),
       lambda x, w, b=None: TF.linear(x, w, b), _linear_layer, sums=1, covers=("F.linear",)),
    Op("F.dropout (eval)", lambda x, p: F.dropout(x, p, training=False) * 1.0,
       lambda x, p: TF.dropout(x, p, training=False) * 1.0, _dropout_eval,
       covers=("F.dropout",)),
]


@pytest.mark.parametrize("op", LOSSES + LAYERS, ids=lambda op: op.name)
@D.SETTINGS
@given(data=st.data())
def test_loss_or_layer_matches_torch(op, data):
    D.check(op, data)
