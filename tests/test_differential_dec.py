"""The dec group against PyTorch: the transformer decoder (``TransformerDecoderLayer``,
``TransformerDecoder``, ``Transformer``) by the differential harness, and ``LBFGS`` by
its trajectory.

The decoder rows follow ``test_differential_attn.py``'s encoder row: PyTorch's module
is built, its parameters' names and shapes drawn, and the drawn weights loaded into ours
by those names (strictly), so that the outputs and every gradient (inputs and weights)
are compared. Dropout is 0 (random masks differ by design).

LBFGS evaluates its closure many times per step and decides by comparisons (is the loss
lower? is the slope flat enough?), so the two libraries are fed the very same losses and
gradients: the closures compute them in numpy from the parameters' current values.
Then only the optimizer's own arithmetic differs (the order of a dot product's sum, a
fused multiply-add), by a unit in the last place; the number of closure evaluations,
which shows that both took the same branches, must agree exactly.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

import differential as D  # noqa: E402
from differential import MODERATE, WEIGHTS, Case, Op, values  # noqa: E402
from test_differential_attn import (  # noqa: E402
    MATH,
    NO_KEY,
    _bind,
    _call,
    _ours_value,
    _pair,
    _torch_value,
)

import nn  # noqa: E402
from nn import optim  # noqa: E402
from tinygrad_dk import Tensor  # noqa: E402

D.use_torch(torch)

# --- the decoder ---------------------------------------------------------------------------


def _decoder_module(lib, dtype, e, *, heads, batch_first, stack, norm_first, activation,
                    final_norm, whole):
    options = {"dim_feedforward": 3, "dropout": 0.0, "activation": activation,
               "batch_first": batch_first, "norm_first": norm_first, "dtype": dtype}
    if whole:  # nn.Transformer: `stack` encoder and decoder layers
        return lib.Transformer(e, heads, stack, stack, **options)
    layer = lib.TransformerDecoderLayer(e, heads, **options)
    if not stack:
        return layer
    return lib.TransformerDecoder(layer, stack,
                                  norm=lib.LayerNorm(e, dtype=dtype) if final_norm else None)


def _decoder(data):
    heads = data.draw(st.integers(1, 2), label="heads")
    e = heads * data.draw(st.integers(3 - heads, 2), label="head_dim")  # (see _encoder)
    batch_first = data.draw(st.booleans(), label="batch_first")
    n = data.draw(st.integers(1, 2), label="N")
    t, s = data.draw(st.integers(1, 3), label="T"), data.draw(st.integers(1, 3), label="S")
    whole = data.draw(st.booleans(), label="nn.Transformer")
    stack = data.draw(st.sampled_from([1, 2] if whole else [0, 1, 2]), label="layers")
    options = {"heads": heads, "batch_first": batch_first, "stack": stack, "whole": whole,
               "norm_first": data.draw(st.booleans(), label="norm_first"),
               "activation": data.draw(st.sampled_from(["relu", "gelu"])),
               "final_norm": data.draw(st.booleans(), label="final norm") and stack > 0}
    module = _decoder_module(torch.nn, torch.float64, e, **options)
    params = [(name, tuple(p.shape)) for name, p in module.named_parameters()]
    arrays = [values(data, (n, t, e) if batch_first else (t, n, e), MODERATE),
              values(data, (n, s, e) if batch_first else (s, n, e), MODERATE)]
    arrays += [values(data, shape, WEIGHTS) for _, shape in params]
    options["names"] = [name for name, _ in params]
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="mask seed"))
    masks = {}
    if data.draw(st.booleans(), label="causal tgt_mask"):
        masks["tgt_mask"] = np.triu(np.full((t, t), -np.inf), 1)  # the float form
        masks["tgt_is_causal"] = data.draw(st.booleans(), label="tgt_is_causal")
    if data.draw(st.booleans(), label="memory_mask"):
        masks["memory_mask"] = rng.random((t, s)) < 0.3
    for name, length in (("tgt_key_padding_mask", t), ("memory_key_padding_mask", s)):
        if data.draw(st.booleans(), label=name):
            masks[name] = rng.random((n, length)) < 0.3
    if whole and data.draw(st.booleans(), label="src_key_padding_mask"):
        masks["src_key_padding_mask"] = rng.random((n, s)) < 0.3
    options["masks"] = masks
    return Case(arrays, options)


def _decoder_run(lib, tgt, memory, *weights, names, masks, **options):
    ours = lib == "ours"
    module = _decoder_module(nn if ours else torch.nn, tgt.dtype, tgt.shape[-1], **options)
    masks = {k: _ours_value(v) if ours else _torch_value(v, tgt) for k, v in masks.items()}
    if isinstance(masks.get("tgt_mask"), Tensor):
        masks["tgt_mask"] = masks["tgt_mask"].astype(tgt.dtype)
    if ours:
        return _bind(module, names, weights)(memory if options["whole"] else tgt,
                                             *([tgt] if options["whole"] else [memory]),
                                             **masks)
    with torch.nn.attention.sdpa_kernel(MATH):
        args = (memory, tgt) if options["whole"] else (tgt, memory)
        return _call(module, names, weights, *args, **masks)


DEC_OPS = [
    Op("TransformerDecoder", *_pair(_decoder_run), _decoder, sums=3, grad_sums=True,
       nan_ok="every key of a sequence padded or masked: " + NO_KEY,
       covers=("nn.TransformerDecoderLayer", "nn.TransformerDecoder", "nn.Transformer")),
]


@pytest.mark.parametrize("op", DEC_OPS, ids=lambda op: op.name)
@D.SETTINGS
@given(data=st.data())
def test_dec_op_matches_torch(op, data):
    D.check(op, data)


# --- LBFGS -----------------------------------------------------------------------------------

#: optimizers whose step needs a closure: their trajectory test is below (the coverage
#: test reads this list)
CLOSURE_OPTIMIZERS = ["LBFGS"]


def rosenbrock(x):
    """Rosenbrock's banana valley (minimum 0 at (1, 1)): its loss and gradient."""
    f = (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
    g = np.array([-2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2), 200 * (x[1] - x[0] ** 2)])
    return f, g


def regression(seed):
    """A least-squares problem y ~ X w + b (20 points, 3 features): (loss, gradients)."""
    rng = np.random.default_rng(seed)
    X, y = rng.standard_normal((20, 3)), rng.standard_normal(20)

    def loss(w, b):
        r = X @ w + b - y
        return r @ r / len(y), [2 * X.T @ r / len(y), np.array([2 * r.mean()])]
    return loss, [np.zeros(3), np.zeros(1)]


def _trajectories(problem, starts, steps, **settings):
    """Run our LBFGS and PyTorch's on ``problem`` (a function of the parameters' arrays
    giving the loss and the gradients); the losses step() returned and the closure counts."""
    ours = [Tensor(a.copy(), requires_grad=True) for a in starts]
    theirs = [torch.tensor(a.copy(), requires_grad=True) for a in starts]
    opt, topt = optim.LBFGS(ours, **settings), torch.optim.LBFGS(theirs, **settings)

    def closure():
        f, gs = problem(*[p.numpy() for p in ours])
        for p, g in zip(ours, gs):
            p.grad = Tensor(g)
        return Tensor(np.float64(f))

    def tclosure():
        f, gs = problem(*[p.detach().numpy() for p in theirs])
        for p, g in zip(theirs, gs):
            p.grad = torch.tensor(g)
        return torch.tensor(f)
    losses, tlosses, evals, tevals = [], [], [], []
    for _ in range(steps):
        losses.append(float(opt.step(closure)))
        tlosses.append(float(topt.step(tclosure)))
        evals.append(opt.state[id(ours[0])]["func_evals"])
        tevals.append(topt.state[theirs[0]]["func_evals"])
    return (losses, [p.numpy() for p in ours]), (tlosses, [p.detach().numpy() for p in theirs]), \
        evals, tevals


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
@pytest.mark.parametrize("problem", ["rosenbrock", "regression"])
@D.SETTINGS
@given(data=st.data())
def test_lbfgs_trajectory_matches_torch(problem, line_search_fn, data):
    settings = {"line_search_fn": line_search_fn,
                "history_size": data.draw(st.sampled_from([2, 5, 100]), label="history"),
                "max_iter": data.draw(st.sampled_from([1, 4, 20]), label="max_iter")}
    if line_search_fn is None:  # a fixed step: small enough not to leave the valley
        settings["lr"] = data.draw(st.sampled_from([0.1, 0.01] if problem == "rosenbrock"
                                                   else [1.0, 0.5]), label="lr")
    if problem == "rosenbrock":
        func = lambda x: (lambda f, g: (f, [g]))(*rosenbrock(x))  # noqa: E731
        starts = [np.array([data.draw(st.sampled_from([-1.5, -1.2, 0.0, 2.0])),
                            data.draw(st.sampled_from([2.0, 1.0, -1.0]))])]
    else:
        func, starts = regression(data.draw(st.integers(0, 100), label="seed"))
    # a few steps: Rosenbrock's valley is chaotic under a fixed step, so a last-place
    # difference would grow with many more
    (ours, ours_params), (theirs, their_params), evals, tevals = _trajectories(
        func, starts, 3, **settings)
    assert evals == tevals, "a different number of closure evaluations: another branch taken"
    np.testing.assert_allclose(ours, theirs, rtol=1e-7, atol=1e-12)
    for p, tp in zip(ours_params, their_params):
        np.testing.assert_allclose(p, tp, rtol=1e-6, atol=1e-8)
