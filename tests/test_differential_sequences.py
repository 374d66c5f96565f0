"""Embedding and the recurrent layers (RNN, LSTM, GRU and their cells) against PyTorch.

The same machinery as ``test_differential_images.py`` (whose helpers this file uses):
rows of ``tests/differential.py``'s kind, each layer built in both libraries with
PyTorch's state-dict names, our layer holding the very tensors the harness made, so
the gradients of the input, the initial state and every weight are compared, and
second derivatives in float64. A layer's several results (output, h_n, c_n) are
joined into one vector. Float32 is compared with an absolute tolerance in
``test_float32_recurrent_layers_match_torch`` (see the rows for why).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

import differential as D  # noqa: E402
from differential import REAL, WEIGHTS, Case, Op, values  # noqa: E402
from test_differential_images import _bind, _call, _params_of  # noqa: E402

import nn  # noqa: E402
import nn.functional as F  # noqa: E402
import tinygrad_dk as tg  # noqa: E402
from tinygrad_dk import Tensor  # noqa: E402

D.use_torch(torch)
TF = torch.nn.functional

# --- embedding ---------------------------------------------------------------------------


def _embedding(data):
    rows, width = data.draw(st.integers(1, 4), label="rows"), data.draw(st.integers(1, 3))
    # no empty index array: PyTorch's backward of it fails (reshape of 0 elements to
    # (0, -1)); ours is tested in test_embedding_of_no_indices_has_zero_gradient
    idx_shape = tuple(max(n, 1) for n in D.shape(data, max_dims=2))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16), label="index seed"))
    padding_idx = data.draw(st.one_of(st.none(), st.integers(-rows, rows - 1)),
                            label="padding_idx")
    return Case([values(data, (rows, width), REAL)],
                {"indices": rng.integers(0, rows, size=idx_shape),  # repeats: summed gradients
                 "padding_idx": padding_idx, "form": data.draw(st.sampled_from(["F", "module"]))})


def _ours_embedding(w, *, indices, padding_idx, form):
    if form == "F":
        return F.embedding(indices, w, padding_idx=padding_idx)
    layer = nn.Embedding(*w.shape, padding_idx=padding_idx, dtype=w.dtype)
    return _bind(layer, ["weight"], [w])(indices)


def _torch_embedding(w, *, indices, padding_idx, form):
    if form == "F":
        return TF.embedding(torch.tensor(indices), w, padding_idx=padding_idx)
    layer = torch.nn.Embedding(*w.shape, padding_idx=padding_idx, dtype=w.dtype)
    return _call(layer, ["weight"], [w], torch.tensor(indices))


# --- recurrent layers --------------------------------------------------------------------

RECURRENT = {"RNN": (nn.RNN, torch.nn.RNN), "LSTM": (nn.LSTM, torch.nn.LSTM),
             "GRU": (nn.GRU, torch.nn.GRU)}
CELLS = {"RNNCell": (nn.RNNCell, torch.nn.RNNCell), "LSTMCell": (nn.LSTMCell, torch.nn.LSTMCell),
         "GRUCell": (nn.GRUCell, torch.nn.GRUCell)}
# The inputs of the recurrent layers: ordinary numbers and small integers (ties, zeros,
# and gates saturated up to sigmoid(40) = 1 exactly). Not +-1e3: a second derivative then
# carries x^2 = 1e6 times the rounding of 1 - sigmoid(z) near 1 (GRU: ours -1.7851e-07,
# PyTorch -1.8376e-07), beyond what the upstream gradient's size allows for.
SEQUENCE = WEIGHTS


def _recurrent(kind):
    """A sequence layer: both layouts (batch_first), 1-2 layers, one or two directions,
    with or without bias and a given initial state, one sequence without a batch axis now
    and then; the weights under PyTorch's names, drawn from ordinary values and ties."""
    def draw(data):
        cfg = {"input_size": data.draw(st.integers(1, 3), label="input_size"),
               "hidden_size": data.draw(st.integers(1, 3), label="hidden_size"),
               "num_layers": data.draw(st.integers(1, 2), label="num_layers"),
               "bias": data.draw(st.booleans(), label="bias"),
               "batch_first": data.draw(st.booleans(), label="batch_first"),
               "bidirectional": data.draw(st.booleans(), label="bidirectional")}
        if kind == "RNN":
            cfg["nonlinearity"] = data.draw(st.sampled_from(["tanh", "relu"]))
        steps, batch = data.draw(st.integers(1, 3), label="time"), data.draw(st.integers(1, 3))
        batched = data.draw(st.integers(0, 5), label="unbatched") != 0
        x_shape = ((batch, steps) if cfg["batch_first"] else (steps, batch)) if batched else (
            steps,)
        arrays = [values(data, (*x_shape, cfg["input_size"]), SEQUENCE)]
        states = 0
        if data.draw(st.booleans(), label="initial state"):
            states = 2 if kind == "LSTM" else 1
            count = cfg["num_layers"] * (2 if cfg["bidirectional"] else 1)
            shape = (count, batch, cfg["hidden_size"]) if batched else (count,
                                                                         cfg["hidden_size"])
            arrays += [values(data, shape, WEIGHTS) for _ in range(states)]
        named = _params_of(RECURRENT[kind][1](**cfg))
        arrays += [values(data, s, WEIGHTS) for _, s in named]
        return Case(arrays, {"cfg": cfg, "states": states, "names": [n for n, _ in named]})
    return draw


def _ours_recurrent(kind):
    def run(x, *rest, cfg, states, names):
        hx, params = rest[:states], rest[states:]
        layer = _bind(RECURRENT[kind][0](**cfg, dtype=x.dtype), names, params)
        out, final = layer(x, (tuple(hx) if kind == "LSTM" else hx[0]) if hx else None)
        finals = list(final) if kind == "LSTM" else [final]
        return tg.concatenate([t.reshape(-1) for t in [out, *finals]])
    return run


def _torch_recurrent(kind):
    def run(x, *rest, cfg, states, names):
        hx, params = rest[:states], rest[states:]
        layer = RECURRENT[kind][1](**cfg, dtype=x.dtype)
        args = (x, (tuple(hx) if kind == "LSTM" else hx[0])) if hx else (x,)
        out, final = _call(layer, names, params, *args)
        finals = list(final) if kind == "LSTM" else [final]
        return torch.cat([t.reshape(-1) for t in [out, *finals]])
    return run


def _cell(kind):
    def draw(data):
        cfg = {"input_size": data.draw(st.integers(1, 3), label="input_size"),
               "hidden_size": data.draw(st.integers(1, 3), label="hidden_size"),
               "bias": data.draw(st.booleans(), label="bias")}
        if kind == "RNNCell":
            cfg["nonlinearity"] = data.draw(st.sampled_from(["tanh", "relu"]))
        batch = data.draw(st.integers(0, 3), label="batch")  # 0: one step without a batch axis
        lead = (batch,) if batch else ()
        arrays = [values(data, (*lead, cfg["input_size"]), SEQUENCE)]
        states = 0
        if data.draw(st.booleans(), label="state"):
            states = 2 if kind == "LSTMCell" else 1
            arrays += [values(data, (*lead, cfg["hidden_size"]), WEIGHTS) for _ in range(states)]
        named = _params_of(CELLS[kind][1](**cfg))
        arrays += [values(data, s, WEIGHTS) for _, s in named]
        return Case(arrays, {"cfg": cfg, "states": states, "names": [n for n, _ in named]})
    return draw


def _ours_cell(kind):
    def run(x, *rest, cfg, states, names):
        hx, params = rest[:states], rest[states:]
        cell = _bind(CELLS[kind][0](**cfg, dtype=x.dtype), names, params)
        out = cell(x, (tuple(hx) if kind == "LSTMCell" else hx[0]) if hx else None)
        outs = list(out) if kind == "LSTMCell" else [out]
        return tg.concatenate([t.reshape(-1) for t in outs])
    return run


def _torch_cell(kind):
    def run(x, *rest, cfg, states, names):
        hx, params = rest[:states], rest[states:]
        cell = CELLS[kind][1](**cfg, dtype=x.dtype)
        args = (x, (tuple(hx) if kind == "LSTMCell" else hx[0])) if hx else (x,)
        out = _call(cell, names, params, *args)
        outs = list(out) if kind == "LSTMCell" else [out]
        return torch.cat([t.reshape(-1) for t in outs])
    return run


SEQUENCE_LAYERS = [
    Op("embedding", _ours_embedding, _torch_embedding, _embedding,
       covers=("F.embedding", "nn.Embedding")),
    # float64 only: an LSTM's c = f * c + i * g cancels (f = i, g near -1), and in float32
    # that difference is a few units of the operands' last digit, which PyTorch's fused
    # cell rounds otherwise (ours 2^-28, PyTorch 4.29e-9, exact 4.05e-9): float32 is
    # compared with an absolute tolerance in test_float32_recurrent_layers_match_torch.
    # grad_sums: a gradient through saturated gates sums terms of the upstream gradient's
    # size that cancel to ~1e-14 (GRU: ours 1.7064e-14, PyTorch 1.7566e-14), the last
    # digit of the terms; 1e-9 of the upstream gradient is allowed on top. sums: so do the
    # layers' outputs (an RNN's relu of W x + b that cancels: ours -5.55e-17, PyTorch 0).
    *(Op(kind, _ours_recurrent(kind), _torch_recurrent(kind), _recurrent(kind),
         float32=False, sums=1, grad_sums=True, covers=(f"nn.{kind}",))
      for kind in RECURRENT),
    *(Op(kind, _ours_cell(kind), _torch_cell(kind), _cell(kind), float32=False,
         grad_sums=True, covers=(f"nn.{kind}",)) for kind in CELLS),
]


@pytest.mark.parametrize("op", SEQUENCE_LAYERS, ids=lambda op: op.name)
@D.SETTINGS
@given(data=st.data())
def test_sequence_layer_matches_torch(op, data):
    D.check(op, data)


def test_embedding_of_no_indices_has_zero_gradient():
    """An empty index array (not drawn above, PyTorch's backward fails on it): an empty
    result and a zero gradient for the table."""
    w = Tensor(np.ones((3, 2)), requires_grad=True)
    out = F.embedding(np.zeros((0, 4), dtype=np.int64), w)
    assert out.shape == (0, 4, 2)
    out.sum().backward()
    assert np.array_equal(w.grad.numpy(), np.zeros((3, 2)))


@pytest.mark.parametrize("kind", [*RECURRENT, *CELLS])
def test_float32_recurrent_layers_match_torch(kind):
    """The float32 layers (the default dtype): float32 results, gradients of the input
    and of every weight within 1e-5 of PyTorch's (absolute: the values are of size 1),
    for two layers in both directions over five steps."""
    rng = np.random.default_rng(7)
    sequence = kind in RECURRENT
    cfg = {"input_size": 3, "hidden_size": 4}
    if sequence:
        cfg.update(num_layers=2, bidirectional=True, batch_first=True)
    ours_cls, torch_cls = (RECURRENT if sequence else CELLS)[kind]
    theirs = torch_cls(**cfg)
    ours = ours_cls(**cfg)
    ours.load_state_dict({n: p.detach().numpy() for n, p in theirs.named_parameters()})
    x = rng.standard_normal((2, 5, 3) if sequence else (2, 3)).astype(np.float32)
    x_ours, x_theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out_ours, out_theirs = ours(x_ours), theirs(x_theirs)
    if kind not in ("RNNCell", "GRUCell"):  # a layer's output, or an LSTMCell's h
        out_ours, out_theirs = out_ours[0], out_theirs[0]
    assert out_ours.dtype == np.float32
    g = rng.standard_normal(tuple(out_theirs.shape)).astype(np.float32)
    out_ours.backward(g)
    out_theirs.backward(torch.tensor(g))
    np.testing.assert_allclose(out_ours.numpy(), out_theirs.detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(x_ours.grad.numpy(), x_theirs.grad.numpy(), atol=1e-5)
    for name, p in theirs.named_parameters():
        np.testing.assert_allclose(getattr(ours, name).grad.numpy(), p.grad.numpy(), atol=1e-5,
                                   err_msg=name)
