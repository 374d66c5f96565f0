"""nn.EmbeddingBag and F.embedding_bag: each mode by hand, the two input forms,
include_last_offset, padding_idx, per_sample_weights, max_norm (against PyTorch),
from_pretrained, state dicts, errors, second derivatives, speed. The differential
table (test_differential_embctc.py) compares it with PyTorch on drawn examples."""

from __future__ import annotations

import time

import numpy as np
import pytest

import nn
import nn.functional as F
from tinygrad_dk import Tensor, gradcheck

torch = pytest.importorskip("torch")
TF = torch.nn.functional

TABLE = np.array([[1.0, -1.0], [2.0, 0.0], [0.0, 3.0], [-4.0, 1.0]])


@pytest.mark.parametrize("mode, want", [
    ("sum", [[3.0, -1.0], [-4.0, 4.0]]),
    ("mean", [[1.5, -0.5], [-2.0, 2.0]]),
    ("max", [[2.0, 0.0], [0.0, 3.0]]),
])
def test_each_mode_by_hand_in_both_forms(mode, want):
    two_d = F.embedding_bag(np.array([[0, 1], [2, 3]]), Tensor(TABLE), mode=mode)
    flat = F.embedding_bag(np.array([0, 1, 2, 3]), Tensor(TABLE), np.array([0, 2]), mode=mode)
    last = F.embedding_bag(np.array([0, 1, 2, 3]), Tensor(TABLE), np.array([0, 2, 4]),
                           mode=mode, include_last_offset=True)
    for out in (two_d, flat, last):
        np.testing.assert_array_equal(out.numpy(), want)


def test_padding_is_left_out_of_sums_and_counts_and_empty_bags_are_zero():
    idx, offsets = np.array([0, 1, 1, 1, 2]), np.array([0, 2, 2, 4])  # bags 01 | - | 11 | 2
    for mode in ("sum", "mean", "max"):
        out = F.embedding_bag(idx, Tensor(TABLE), offsets, mode=mode, padding_idx=1).numpy()
        np.testing.assert_array_equal(out[[1, 2]], 0.0)  # empty, and padding only
        np.testing.assert_array_equal(out[0], TABLE[0])  # the mean counts one row, not two
        np.testing.assert_array_equal(out[3], TABLE[2])


def test_max_gradient_goes_to_the_first_winner_as_pytorch():
    w = Tensor(np.array([[1.0, 5.0], [1.0, 2.0]]), requires_grad=True)
    F.embedding_bag(np.array([[0, 1, 0]]), w, mode="max").sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [[1.0, 1.0], [0.0, 0.0]])


def test_max_with_nan_gives_nan_from_its_own_bag():
    """A nan is the largest value (as torch.amax): the bag gives nan and its gradient goes
    to that element; it never reads a row of another bag."""
    w = Tensor(np.array([[np.nan, 1.0], [5.0, 2.0]]), requires_grad=True)
    out = F.embedding_bag(np.array([0, 1]), w, np.array([0, 1]), mode="max")
    np.testing.assert_array_equal(out.numpy(), [[np.nan, 1.0], [5.0, 2.0]])
    out.backward(np.ones((2, 2)))
    np.testing.assert_array_equal(w.grad.numpy(), [[1.0, 1.0], [1.0, 1.0]])


def test_per_sample_weights_and_their_gradient():
    rng = np.random.default_rng(0)
    idx, offsets = np.array([3, 0, 3, 2, 1]), np.array([0, 1, 3])
    psw = rng.standard_normal(5)
    w = Tensor(TABLE.copy(), requires_grad=True)
    p = Tensor(psw, requires_grad=True)
    out = F.embedding_bag(idx, w, offsets, mode="sum", per_sample_weights=p)
    g = rng.standard_normal(out.shape)
    out.backward(g)
    tw, tp = torch.tensor(TABLE, requires_grad=True), torch.tensor(psw, requires_grad=True)
    ref = TF.embedding_bag(torch.tensor(idx), tw, torch.tensor(offsets), mode="sum",
                           per_sample_weights=tp)
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-12)


def test_gradcheck_and_second_derivatives_float64():
    rng = np.random.default_rng(1)
    w = Tensor(rng.standard_normal((4, 3)), requires_grad=True)
    p = Tensor(rng.standard_normal(6), requires_grad=True)
    idx, offsets = np.array([0, 3, 3, 1, 2, 0]), np.array([0, 2, 2, 5])
    assert gradcheck(lambda a, b: (F.embedding_bag(idx, a, offsets, mode="sum",
                                                   per_sample_weights=b) ** 2).sum(), [w, p])
    for mode in ("mean", "max"):
        def f(a, mode=mode):
            return (F.embedding_bag(idx, a, offsets, mode=mode, padding_idx=3) ** 2).sum()
        assert gradcheck(f, [w])


@pytest.mark.parametrize("norm_type", [2.0, 1.0])
def test_max_norm_renormalises_the_used_rows_in_place_as_pytorch(norm_type):
    rng = np.random.default_rng(2)
    table = rng.standard_normal((6, 3)) * 3
    idx, offsets = np.array([0, 2, 2, 5]), np.array([0, 3])
    ours = nn.EmbeddingBag(6, 3, max_norm=1.5, norm_type=norm_type, mode="sum",
                           _weight=Tensor(table), dtype=np.float64)
    theirs = torch.nn.EmbeddingBag(6, 3, max_norm=1.5, norm_type=norm_type, mode="sum",
                                   _weight=torch.tensor(table))
    out = ours(idx, offsets)
    ref = theirs(torch.tensor(idx), torch.tensor(offsets))
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(ours.weight.numpy(), theirs.weight.detach().numpy(), rtol=1e-6)
    np.testing.assert_array_equal(ours.weight.numpy()[[1, 3, 4]], table[[1, 3, 4]])  # unused
    out.sum().backward()  # the scaling itself is no part of the graph
    ref.sum().backward()
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy())


def test_module_matches_pytorch_repr_state_dict_and_from_pretrained():
    ours = nn.EmbeddingBag(5, 3, padding_idx=2)
    assert repr(ours) == repr(torch.nn.EmbeddingBag(5, 3, padding_idx=2))
    assert repr(nn.EmbeddingBag(5, 3, mode="max", max_norm=1.0, include_last_offset=True)) == \
        repr(torch.nn.EmbeddingBag(5, 3, mode="max", max_norm=1.0, include_last_offset=True))
    assert list(ours.state_dict()) == ["weight"] and np.all(ours.weight.numpy()[2] == 0)
    theirs = torch.nn.EmbeddingBag(5, 3, mode="sum")
    ours = nn.EmbeddingBag(5, 3, mode="sum")
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    np.testing.assert_allclose(ours(np.array([[0, 4]])).numpy(),
                               theirs(torch.tensor([[0, 4]])).detach().numpy(), rtol=1e-6)
    frozen = nn.EmbeddingBag.from_pretrained(Tensor(TABLE), mode="sum")
    assert not frozen.weight.requires_grad and list(frozen.state_dict()) == ["weight"]
    assert [name for name, _ in frozen.named_parameters()] == ["weight"]
    trained = nn.EmbeddingBag.from_pretrained(TABLE, freeze=False)
    assert trained.weight.requires_grad and trained.weight.dtype == np.float64


@pytest.mark.parametrize("call, error, words", [
    (lambda w: F.embedding_bag(np.array([0, 1]), w, np.array([0]), mode="median"), ValueError,
     "mode has to be one of"),
    (lambda w: F.embedding_bag(np.zeros((1, 1, 1), dtype=int), w), ValueError, "1-D or 2-D"),
    (lambda w: F.embedding_bag(np.array([0, 1]), w), ValueError, "needs offsets"),
    (lambda w: F.embedding_bag(np.array([[0, 1]]), w, np.array([0])), ValueError,
     "offsets has to be None"),
    (lambda w: F.embedding_bag(np.array([0, 1]), w, np.array([1])), RuntimeError,
     r"offsets\[0\] has to be 0"),
    (lambda w: F.embedding_bag(np.array([0, 1]), w, np.array([0, 2, 1])), RuntimeError,
     "must not decrease"),
    (lambda w: F.embedding_bag(np.array([0, 1]), w, np.array([0, 3])), RuntimeError,
     "can not be greater"),
    (lambda w: F.embedding_bag(np.array([0, 1]), w, np.array([0, 1]), include_last_offset=True),
     ValueError, "the input's length 2"),
    (lambda w: F.embedding_bag(np.array([0, 9]), w, np.array([0])), IndexError, "out of range"),
    (lambda w: F.embedding_bag(np.array([0.5]), w, np.array([0])), TypeError, "whole numbers"),
    (lambda w: F.embedding_bag(np.array([0, 1]), w, np.array([0]), mode="mean",
                               per_sample_weights=np.ones(2)), NotImplementedError,
     "only supported for mode='sum'"),
    (lambda w: F.embedding_bag(np.array([0, 1]), w, np.array([0]), mode="sum",
                               per_sample_weights=np.ones(3)), ValueError, "input's shape"),
    (lambda w: F.embedding_bag(np.array([0, 1]), w, np.array([0]), padding_idx=4), ValueError,
     "padding_idx"),
    (lambda w: F.embedding_bag(np.array([0, 1]), w, np.array([0]), sparse=True),
     NotImplementedError, "dense"),
    (lambda w: nn.EmbeddingBag(4, 2, scale_grad_by_freq=True), NotImplementedError, "dense"),
    (lambda w: nn.EmbeddingBag(4, 2, mode="avg"), ValueError, "mode"),
])
def test_errors_name_the_problem(call, error, words):
    with pytest.raises(error, match=words):
        call(Tensor(TABLE))


def test_ten_thousand_bags_without_a_loop_per_bag():
    rng = np.random.default_rng(3)
    layer = nn.EmbeddingBag(5000, 32, mode="mean")
    lengths = rng.integers(0, 20, size=10_000)
    idx = rng.integers(0, 5000, size=int(lengths.sum()))
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    start = time.perf_counter()
    for mode in ("sum", "mean", "max"):
        layer.mode = mode
        layer(idx, offsets).sum().backward()
    assert time.perf_counter() - start < 5.0


def test_embedding_max_norm_shares_the_mechanism_and_matches_pytorch():
    """nn.Embedding and F.embedding renormalise the same way (embedding_renorm_)."""
    rng = np.random.default_rng(4)
    table = rng.standard_normal((5, 3)) * 2
    ours = nn.Embedding(5, 3, max_norm=1.0, dtype=np.float64)
    ours.weight.copy_(table)
    theirs = torch.nn.Embedding(5, 3, max_norm=1.0, _weight=torch.tensor(table))
    assert repr(ours) == repr(theirs)
    idx = np.array([[0, 3], [3, 4]])
    out, ref = ours(idx), theirs(torch.tensor(idx))
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(ours.weight.numpy(), theirs.weight.detach().numpy(), rtol=1e-6)
    w = Tensor(table.copy())
    F.embedding(np.array([1]), w, max_norm=0.5, norm_type=1.0)
    assert np.isclose(np.abs(w.numpy()[1]).sum(), 0.5) and np.all(w.numpy()[0] == table[0])
