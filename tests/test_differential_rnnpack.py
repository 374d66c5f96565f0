"""``nn.utils.rnn`` (packing sequences of different lengths) and the recurrent layers on a
``PackedSequence``, against PyTorch (group "rnnpack").

The rows follow ``test_differential_sequences.py``: the packing functions only move
numbers, so every kind of value is drawn (inf and 1e30 too) and the gradients must be
the upstream gradient's entries sent back to where each number came from; the recurrent
rows pack a drawn padded batch of drawn lengths (sorted or not), run the layer on it and
compare the padded output and the final states, with the gradients of the input, the
initial state and every weight, second derivatives included (float64, as the unpacked
rows; see there why).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

import differential as D  # noqa: E402
from differential import REAL, WEIGHTS, Case, Op, values  # noqa: E402
from test_differential_images import _bind, _call, _params_of  # noqa: E402
from test_differential_sequences import RECURRENT, SEQUENCE  # noqa: E402

import tinygrad_dk as tg  # noqa: E402
from nn.utils import rnn  # noqa: E402

D.use_torch(torch)
TR = torch.nn.utils.rnn


def _lengths(data, batch, steps):
    """``batch`` lengths in 1..steps, one of them ``steps`` (the longest fills the time axis)."""
    lengths = [data.draw(st.integers(1, steps), label="length") for _ in range(batch)]
    lengths[data.draw(st.integers(0, batch - 1), label="longest")] = steps
    return lengths


# --- the packing functions -----------------------------------------------------------------


def _padded(data):
    steps, batch = data.draw(st.integers(1, 4), label="time"), data.draw(st.integers(1, 4))
    features = tuple(data.draw(st.integers(1, 2)) for _ in range(data.draw(st.integers(0, 2))))
    batch_first = data.draw(st.booleans(), label="batch_first")
    lengths = _lengths(data, batch, steps)
    enforce_sorted = data.draw(st.booleans(), label="enforce_sorted")
    if enforce_sorted:
        lengths = sorted(lengths, reverse=True)
    shape = (batch, steps) if batch_first else (steps, batch)
    return Case([values(data, (*shape, *features), REAL)],
                {"lengths": lengths, "batch_first": batch_first, "enforce_sorted": enforce_sorted,
                 "padding_value": data.draw(st.sampled_from([0.0, -1.0, 7.5])),
                 "extra": data.draw(st.integers(0, 2), label="total_length - time")})


def _pack_pad(lib):
    def run(x, *, lengths, batch_first, enforce_sorted, padding_value, extra):
        packed = lib.pack_padded_sequence(x, lengths, batch_first=batch_first,
                                          enforce_sorted=enforce_sorted)
        padded, _ = lib.pad_packed_sequence(packed, batch_first=batch_first,
                                            padding_value=padding_value,
                                            total_length=max(lengths) + extra)
        cat = tg.concatenate if lib is rnn else torch.cat
        return cat([packed.data.reshape(-1), padded.reshape(-1)])
    return run


def _sequences(data):
    count = data.draw(st.integers(1, 4), label="sequences")
    features = tuple(data.draw(st.integers(1, 2)) for _ in range(data.draw(st.integers(0, 2))))
    lengths = [data.draw(st.integers(1, 4), label="length") for _ in range(count)]
    enforce_sorted = data.draw(st.booleans(), label="enforce_sorted")
    if enforce_sorted:
        lengths = sorted(lengths, reverse=True)
    return Case([values(data, (n, *features), REAL) for n in lengths],
                {"batch_first": data.draw(st.booleans(), label="batch_first"),
                 "padding_value": data.draw(st.sampled_from([0.0, -2.0])),
                 "padding_side": data.draw(st.sampled_from(["right", "left"])),
                 "enforce_sorted": enforce_sorted})


def _pad_pack_unpad(lib):
    """pad_sequence, pack_sequence, unpack_sequence and unpad_sequence, joined in one vector."""
    def run(*seqs, batch_first, padding_value, padding_side, enforce_sorted):
        cat = tg.concatenate if lib is rnn else torch.cat
        padded = lib.pad_sequence(list(seqs), batch_first=batch_first,
                                  padding_value=padding_value, padding_side=padding_side)
        packed = lib.pack_sequence(list(seqs), enforce_sorted=enforce_sorted)
        unpacked = lib.unpack_sequence(packed)
        right = lib.pad_sequence(list(seqs), batch_first=batch_first)
        # a tensor of lengths: PyTorch's unpad_sequence takes no list
        lengths = (tg.tensor if lib is rnn else torch.tensor)([len(s) for s in seqs])
        unpadded = lib.unpad_sequence(right, lengths, batch_first=batch_first)
        parts = [padded, packed.data, *unpacked, *unpadded]
        return cat([p.reshape(-1) for p in parts])
    return run


# --- recurrent layers on packed input -----------------------------------------------------


def _packed_recurrent(kind):
    """A sequence layer (1-2 layers, one or two directions, either batch_first) on a packed
    batch of drawn lengths, sorted or not, with or without an initial state."""
    def draw(data):
        cfg = {"input_size": data.draw(st.integers(1, 3), label="input_size"),
               "hidden_size": data.draw(st.integers(1, 3), label="hidden_size"),
               "num_layers": data.draw(st.integers(1, 2), label="num_layers"),
               "bias": data.draw(st.booleans(), label="bias"),
               "batch_first": data.draw(st.booleans(), label="batch_first"),
               "bidirectional": data.draw(st.booleans(), label="bidirectional")}
        steps, batch = data.draw(st.integers(1, 4), label="time"), data.draw(st.integers(1, 4))
        lengths = _lengths(data, batch, steps)
        enforce_sorted = data.draw(st.booleans(), label="enforce_sorted")
        if enforce_sorted:
            lengths = sorted(lengths, reverse=True)
        shape = (batch, steps) if cfg["batch_first"] else (steps, batch)
        arrays = [values(data, (*shape, cfg["input_size"]), SEQUENCE)]
        states = 0
        if data.draw(st.booleans(), label="initial state"):
            states = 2 if kind == "LSTM" else 1
            count = cfg["num_layers"] * (2 if cfg["bidirectional"] else 1)
            arrays += [values(data, (count, batch, cfg["hidden_size"]), WEIGHTS)
                       for _ in range(states)]
        named = _params_of(RECURRENT[kind][1](**cfg))
        arrays += [values(data, s, WEIGHTS) for _, s in named]
        return Case(arrays, {"cfg": cfg, "states": states, "names": [n for n, _ in named],
                             "lengths": lengths, "enforce_sorted": enforce_sorted})
    return draw


def _run_packed(kind, lib, layer, x, hx, cfg, lengths, enforce_sorted, call):
    packed = lib.pack_padded_sequence(x, lengths, batch_first=cfg["batch_first"],
                                      enforce_sorted=enforce_sorted)
    out, final = call(layer, packed, (tuple(hx) if kind == "LSTM" else hx[0]) if hx else None)
    padded, _ = lib.pad_packed_sequence(out, batch_first=cfg["batch_first"])
    finals = list(final) if kind == "LSTM" else [final]
    return [out.data, padded, *finals]


def _ours_packed(kind):
    def run(x, *rest, cfg, states, names, lengths, enforce_sorted):
        hx, params = rest[:states], rest[states:]
        layer = _bind(RECURRENT[kind][0](**cfg, dtype=x.dtype), names, params)
        parts = _run_packed(kind, rnn, layer, x, hx, cfg, lengths, enforce_sorted,
                            lambda m, p, h: m(p, h))
        return tg.concatenate([t.reshape(-1) for t in parts])
    return run


def _torch_packed(kind):
    def run(x, *rest, cfg, states, names, lengths, enforce_sorted):
        hx, params = rest[:states], rest[states:]
        layer = RECURRENT[kind][1](**cfg, dtype=x.dtype)
        parts = _run_packed(kind, TR, layer, x, hx, cfg, lengths, enforce_sorted,
                            lambda m, p, h: _call(m, names, params, *((p, h) if h is not None
                                                                      else (p,))))
        return torch.cat([t.reshape(-1) for t in parts])
    return run


_NAMES = [f"nn.utils.rnn.{n}" for n in rnn.__all__]
RNNPACK_OPS = [
    Op("pack_padded_sequence+pad_packed_sequence", _pack_pad(rnn), _pack_pad(TR), _padded,
       covers=("nn.utils.rnn.PackedSequence", "nn.utils.rnn.pack_padded_sequence",
               "nn.utils.rnn.pad_packed_sequence")),
    Op("pad_sequence+pack_sequence+unpack+unpad", _pad_pack_unpad(rnn), _pad_pack_unpad(TR),
       _sequences, covers=("nn.utils.rnn.pad_sequence", "nn.utils.rnn.pack_sequence",
                           "nn.utils.rnn.unpack_sequence", "nn.utils.rnn.unpad_sequence")),
    # float64 only and grad_sums: as the unpacked rows in test_differential_sequences.py
    *(Op(f"packed {kind}", _ours_packed(kind), _torch_packed(kind), _packed_recurrent(kind),
         float32=False, grad_sums=True, covers=(f"nn.{kind}",)) for kind in RECURRENT),
]


@pytest.mark.parametrize("op", RNNPACK_OPS, ids=lambda op: op.name)
@D.SETTINGS
@given(data=st.data())
def test_rnnpack_matches_torch(op, data):
    D.check(op, data)


def test_every_name_of_nn_utils_rnn_has_a_row():
    covered = {name for op in RNNPACK_OPS for name in op.covers}
    assert not sorted(set(_NAMES) - covered), sorted(set(_NAMES) - covered)
