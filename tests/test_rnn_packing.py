"""``nn.utils.rnn`` and the recurrent layers on packed sequences: round trips, known
values, the final state after each sequence's own last step, PyTorch parity for the
layers (float64, weights copied), gradchecks and the errors for bad input.

The random comparisons with second derivatives are rows in
``test_differential_rnnpack.py``.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
import tinygrad_dk as tg
from nn.utils.rnn import (
    PackedSequence,
    pack_padded_sequence,
    pack_sequence,
    pad_packed_sequence,
    pad_sequence,
    unpack_sequence,
    unpad_sequence,
)
from tinygrad_dk import Tensor, gradcheck

LENGTHS = st.lists(st.integers(1, 5), min_size=1, max_size=5)


# --- packing: known values and round trips -----------------------------------------------------


def test_pack_padded_sequence_known_values():
    # time-major: column b is sequence b; lengths 3, 2, 1
    x = Tensor(np.array([[1, 4, 6], [2, 5, 0], [3, 0, 0]], dtype=np.float64))
    packed = pack_padded_sequence(x, [3, 2, 1])
    assert packed.data.tolist() == [1, 4, 6, 2, 5, 3]
    assert packed.batch_sizes.tolist() == [3, 2, 1]
    assert packed.batch_sizes.dtype == np.int64
    assert packed.sorted_indices is None and packed.unsorted_indices is None
    assert isinstance(packed, tuple) and packed._fields == (
        "data", "batch_sizes", "sorted_indices", "unsorted_indices")


def test_unsorted_lengths_are_sorted_stably_and_put_back():
    x = Tensor(np.arange(8.0).reshape(4, 2))  # batch_first: 4 sequences of 2 steps
    packed = pack_padded_sequence(x, tg.tensor([1, 2, 1, 2]), batch_first=True,
                                  enforce_sorted=False)
    assert packed.sorted_indices.tolist() == [1, 3, 0, 2]  # ties keep their order
    assert packed.unsorted_indices.tolist() == [2, 0, 3, 1]
    assert packed.data.tolist() == [2, 6, 0, 4, 3, 7]
    padded, lengths = pad_packed_sequence(packed, batch_first=True, padding_value=-1.0)
    assert lengths.tolist() == [1, 2, 1, 2] and lengths.dtype == np.int64
    assert padded.tolist() == [[0, -1], [2, 3], [4, -1], [6, 7]]


@settings(max_examples=30, deadline=None)
@given(lengths=LENGTHS, batch_first=st.booleans(), extra=st.integers(0, 2),
       seed=st.integers(0, 2**16))
def test_pack_then_pad_gives_the_padded_batch_back(lengths, batch_first, extra, seed):
    steps = max(lengths) + extra
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((len(lengths), steps, 2))
    x_in = x if batch_first else x.transpose(1, 0, 2)
    packed = pack_padded_sequence(Tensor(x_in), lengths, batch_first, enforce_sorted=False)
    assert packed.data.shape == (sum(lengths), 2)
    padded, got = pad_packed_sequence(packed, batch_first, padding_value=9.0,
                                      total_length=steps)
    padded = padded.numpy() if batch_first else padded.numpy().transpose(1, 0, 2)
    assert got.tolist() == lengths
    for b, n in enumerate(lengths):
        np.testing.assert_array_equal(padded[b, :n], x[b, :n])
        assert (padded[b, n:] == 9.0).all()


@settings(max_examples=30, deadline=None)
@given(lengths=LENGTHS, batch_first=st.booleans(), side=st.sampled_from(["left", "right"]))
def test_pad_unpad_pack_unpack_round_trips(lengths, batch_first, side):
    seqs = [Tensor(np.full((n, 3), float(b))) for b, n in enumerate(lengths)]
    padded = pad_sequence(seqs, batch_first, padding_value=-1.0, padding_side=side)
    assert padded.shape == ((len(seqs), max(lengths), 3) if batch_first
                            else (max(lengths), len(seqs), 3))
    batch_major = padded.numpy() if batch_first else padded.numpy().transpose(1, 0, 2)
    for b, n in enumerate(lengths):
        real = batch_major[b, -n:] if side == "left" else batch_major[b, :n]
        assert (real == b).all() and (batch_major[b] == -1).sum() == 3 * (max(lengths) - n)
    right = pad_sequence(seqs, batch_first)
    for s, back in zip(seqs, unpad_sequence(right, lengths, batch_first)):
        np.testing.assert_array_equal(back.numpy(), s.numpy())
    for s, back in zip(seqs, unpack_sequence(pack_sequence(seqs, enforce_sorted=False))):
        np.testing.assert_array_equal(back.numpy(), s.numpy())


def test_pad_sequence_of_a_tensor_takes_its_rows():
    out = pad_sequence(Tensor(np.ones((2, 3, 4))))
    assert out.shape == (3, 2, 4)


def test_gradients_reach_every_sequence_and_never_the_padding():
    seqs = [Tensor(np.ones((n, 2)), requires_grad=True) for n in (3, 1, 2)]
    packed = pack_sequence(seqs, enforce_sorted=False)
    padded, _ = pad_packed_sequence(packed, padding_value=5.0)
    (padded * padded).sum().backward()  # padding is a constant 5: no gradient anywhere
    for s in seqs:
        np.testing.assert_array_equal(s.grad.numpy(), 2 * np.ones(s.shape))


def test_packing_passes_gradcheck():
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((4, 3, 2)), requires_grad=True)

    def f(x):
        packed = pack_padded_sequence(x, [2, 4, 1], enforce_sorted=False)
        padded, _ = pad_packed_sequence(packed, batch_first=True, total_length=5)
        return (padded.tanh() * padded).sum() + packed.data.sum()
    assert gradcheck(f, [x])


# --- PackedSequence -----------------------------------------------------------------------


def test_packed_sequence_conversions():
    packed = pack_sequence([Tensor([[1.0], [1.0]]), Tensor([[1.0]])])  # float32
    assert packed.data.dtype == np.float32
    assert packed.double().data.dtype == np.float64
    assert packed.to(tg.float64).float().data.dtype == np.float32
    assert packed.to("cpu") is packed and packed.cpu() is packed
    assert packed.is_cuda is False and not packed.is_pinned()
    made = PackedSequence(Tensor(np.zeros((3, 1))), [2, 1], [1, 0])
    assert made.unsorted_indices.tolist() == [1, 0] and made.batch_sizes.dtype == np.int64
    with pytest.raises(TypeError, match="batch_sizes is required"):
        PackedSequence(Tensor(np.zeros((3, 1))))


# --- the recurrent layers --------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_final_state_is_the_state_after_each_sequence_s_own_last_step(kind, bidirectional):
    """Without PyTorch: each sequence run alone, unpadded, gives the packed layer's output
    and final states for that sequence."""
    tg.manual_seed(0)
    layer = getattr(nn, kind)(2, 3, num_layers=2, bidirectional=bidirectional,
                              batch_first=True, dtype=np.float64)
    rng = np.random.default_rng(1)
    lengths = [2, 5, 3, 5]
    seqs = [Tensor(rng.standard_normal((n, 2))) for n in lengths]
    out, final = layer(pack_sequence(seqs, enforce_sorted=False))
    assert isinstance(out, PackedSequence)
    padded, got = pad_packed_sequence(out, batch_first=True)
    assert got.tolist() == lengths and padded.shape == (4, 5, 6 if bidirectional else 3)
    h_n = final[0] if kind == "LSTM" else final
    for b, s in enumerate(seqs):
        alone_out, alone_final = layer(s.reshape(1, -1, 2))
        alone_h = alone_final[0] if kind == "LSTM" else alone_final
        np.testing.assert_allclose(padded.numpy()[b, :lengths[b]], alone_out.numpy()[0])
        assert (padded.numpy()[b, lengths[b]:] == 0).all()
        np.testing.assert_allclose(h_n.numpy()[:, b], alone_h.numpy()[:, 0])
        if kind == "LSTM":
            np.testing.assert_allclose(final[1].numpy()[:, b], alone_final[1].numpy()[:, 0])


def test_recurrent_layer_on_packed_input_passes_gradcheck():
    tg.manual_seed(0)
    lstm = nn.LSTM(2, 2, bidirectional=True, dtype=np.float64)
    rng = np.random.default_rng(2)
    x = Tensor(rng.standard_normal((3, 2, 2)), requires_grad=True)
    h0 = Tensor(rng.standard_normal((2, 2, 2)), requires_grad=True)

    def f(x, h0, w):
        lstm.weight_hh_l0_reverse = w
        out, (h, c) = lstm(pack_padded_sequence(x, [1, 3], enforce_sorted=False),
                           (h0, h0 * 0.5))
        return (out.data ** 2).sum() + (h * c).sum()
    assert gradcheck(f, [x, h0, lstm.weight_hh_l0_reverse])


def test_packed_input_in_float32_is_run_in_the_weights_dtype():
    gru = nn.GRU(1, 2, dtype=np.float64)
    out, h = gru(pack_sequence([Tensor(np.ones((2, 1), dtype=np.float32))]))
    assert out.data.dtype == np.float64 and h.shape == (1, 1, 2)


# --- PyTorch parity ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_packed_layers_match_torch(kind, batch_first, bidirectional):
    torch = pytest.importorskip("torch")
    R = torch.nn.utils.rnn
    cfg = dict(input_size=3, hidden_size=4, num_layers=2, bidirectional=bidirectional,
               batch_first=batch_first)
    torch.manual_seed(0)
    theirs = getattr(torch.nn, kind)(**cfg, dtype=torch.float64)
    ours = getattr(nn, kind)(**cfg, dtype=np.float64)
    ours.load_state_dict({n: p.detach().numpy() for n, p in theirs.named_parameters()})
    rng = np.random.default_rng(3)
    lengths = [3, 5, 1, 5, 2]
    x = rng.standard_normal((5, 5, 3))
    count = 2 * (2 if bidirectional else 1)
    h0, c0 = rng.standard_normal((2, count, 5, 4))
    x_o, x_t = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    h_o, h_t = Tensor(h0, requires_grad=True), torch.tensor(h0, requires_grad=True)
    hx_o = (h_o, Tensor(c0)) if kind == "LSTM" else h_o
    hx_t = (h_t, torch.tensor(c0)) if kind == "LSTM" else h_t
    out_o, fin_o = ours(pack_padded_sequence(x_o, lengths, batch_first, False), hx_o)
    out_t, fin_t = theirs(R.pack_padded_sequence(x_t, lengths, batch_first, False), hx_t)
    np.testing.assert_allclose(out_o.data.numpy(), out_t.data.detach().numpy(), atol=1e-12)
    assert out_o.sorted_indices.tolist() == out_t.sorted_indices.tolist()
    fin_o = list(fin_o) if kind == "LSTM" else [fin_o]
    fin_t = list(fin_t) if kind == "LSTM" else [fin_t]
    for a, b in zip(fin_o, fin_t):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), atol=1e-12)
    pad_o, _ = pad_packed_sequence(out_o, batch_first)
    pad_t, _ = R.pad_packed_sequence(out_t, batch_first)
    g = rng.standard_normal(tuple(pad_t.shape))
    ((pad_o * Tensor(g)).sum() + sum(f.sum() for f in fin_o)).backward()
    ((pad_t * torch.tensor(g)).sum() + sum(f.sum() for f in fin_t)).backward()
    np.testing.assert_allclose(x_o.grad.numpy(), x_t.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(h_o.grad.numpy(), h_t.grad.numpy(), atol=1e-12)
    for name, p in theirs.named_parameters():
        np.testing.assert_allclose(getattr(ours, name).grad.numpy(), p.grad.numpy(),
                                   atol=1e-12, err_msg=name)


# --- errors -------------------------------------------------------------------------------


def test_pack_padded_sequence_errors():
    x = Tensor(np.zeros((4, 3, 1)))
    with pytest.raises(RuntimeError, match="must be sorted in decreasing order.*enforce_sorted"):
        pack_padded_sequence(x, [2, 3, 1])
    with pytest.raises(RuntimeError, match="greater than 0.*drop the empty"):
        pack_padded_sequence(x, [4, 0, 2], enforce_sorted=False)
    with pytest.raises(RuntimeError, match=r"len\(lengths\)` to be equal to batch_size, but "
                                           r"got 2 \(batch_size=3\)"):
        pack_padded_sequence(x, [4, 3])
    with pytest.raises(ValueError, match="length 5 does not fit in the input's 4 time steps"):
        pack_padded_sequence(x, [5, 3, 1])
    with pytest.raises(RuntimeError, match="1D"):
        pack_padded_sequence(x, tg.tensor([[3, 2, 1]]))
    with pytest.raises(ValueError, match="whole numbers"):
        pack_padded_sequence(x, [3.5, 2, 1])
    with pytest.raises(ValueError, match=r"\(time, batch, \*\)"):
        pack_padded_sequence(Tensor(np.zeros(3)), [3])
    with pytest.raises(RuntimeError, match="Cannot pack empty tensors"):  # as PyTorch
        pack_padded_sequence(Tensor(np.zeros((3, 0))), [])


def test_pad_errors():
    packed = pack_padded_sequence(Tensor(np.zeros((4, 2))), [4, 2])
    with pytest.raises(ValueError, match="total_length=3 and max sequence length being 4"):
        pad_packed_sequence(packed, total_length=3)
    with pytest.raises(TypeError, match="takes a PackedSequence"):
        pad_packed_sequence(Tensor(np.zeros((4, 2))))
    with pytest.raises(RuntimeError, match="empty list of sequences"):
        pad_sequence([])
    with pytest.raises(ValueError, match="same features"):
        pad_sequence([Tensor(np.zeros((2, 3))), Tensor(np.zeros((3, 2)))])
    with pytest.raises(RuntimeError, match="padding_side to be one of left or right"):
        pad_sequence([Tensor(np.zeros(2))], padding_side="middle")
    with pytest.raises(RuntimeError, match="greater than 0"):
        pack_sequence([Tensor(np.zeros((0, 2))), Tensor(np.zeros((3, 2)))],
                      enforce_sorted=False)
    with pytest.raises(ValueError, match="do not fit the padded batch"):
        unpad_sequence(Tensor(np.zeros((3, 2))), [4, 1])
    with pytest.raises(ValueError, match=r"batch of shape \(2, 2\)"):  # a list, not a Tensor
        unpad_sequence([[1.0, 2.0], [3.0, 4.0]], [3, 1], batch_first=True)


def test_recurrent_layer_errors_on_packed_input():
    rnn = nn.RNN(2, 3)
    wrong = PackedSequence(Tensor(np.zeros((3, 2, 2))), [2, 1])
    with pytest.raises(ValueError, match=r"data must have shape \(total steps, input_size=2\)"):
        rnn(wrong)
    packed = pack_sequence([Tensor(np.zeros((2, 2))), Tensor(np.zeros((1, 2)))])
    with pytest.raises(ValueError, match=r"\(1, 2, 3\), got \(1, 3, 3\)"):
        rnn(packed, Tensor(np.zeros((1, 3, 3))))
