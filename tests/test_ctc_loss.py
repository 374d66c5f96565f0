"""The CTC loss (tinygrad_dk/ops_ctc.py, nn.CTCLoss, F.ctc_loss): values worked out by
hand, the true derivative (gradcheck on free log-probabilities) and its relation to
PyTorch's gradient, impossible alignments, extremes, errors, second derivatives
refused, and speed. The differential table (test_differential_embctc.py) compares it
with PyTorch on drawn examples."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
import nn.functional as F
from tinygrad_dk import Tensor, Value, gradcheck

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _log_probs(rng, shape, dtype=np.float64):
    x = rng.standard_normal(shape)
    return (x - np.log(np.exp(x).sum(-1, keepdims=True))).astype(dtype)


# --- known values ----------------------------------------------------------------------------


def test_one_step_one_label_is_minus_its_log_probability():
    lp = np.log(np.array([[[0.2, 0.7, 0.1]]]))  # T=1, N=1, C=3; the only path is "1"
    loss = F.ctc_loss(Tensor(lp), [[1]], [1], [1], reduction="sum")
    assert math.isclose(loss.item(), -math.log(0.7), rel_tol=1e-12)
    empty = F.ctc_loss(Tensor(lp), np.zeros((1, 0), dtype=np.int64), [1], [0], reduction="sum")
    assert math.isclose(empty.item(), -math.log(0.2), rel_tol=1e-12)  # the path "_"


def test_two_steps_sum_three_paths_and_repeats_need_a_blank():
    p = np.array([[0.5, 0.3, 0.2], [0.1, 0.6, 0.3]])  # (T=2, C=3); blank 0
    lp = Tensor(np.log(p)[:, None, :])
    # "1": the paths 11, _1, 1_
    want = p[0, 1] * p[1, 1] + p[0, 0] * p[1, 1] + p[0, 1] * p[1, 0]
    got = F.ctc_loss(lp, [[1]], [2], [1], reduction="none")
    assert math.isclose(got.item(), -math.log(want), rel_tol=1e-12)
    # "1 2": only the path 12; "1 1" needs 1 _ 1, three steps: impossible in two
    assert math.isclose(F.ctc_loss(lp, [[1, 2]], [2], [2], reduction="sum").item(),
                        -math.log(p[0, 1] * p[1, 2]), rel_tol=1e-12)
    assert F.ctc_loss(lp, [[1, 1]], [2], [2], reduction="sum").item() == math.inf


def test_mean_divides_by_target_length_then_averages():
    rng = np.random.default_rng(0)
    lp = Tensor(_log_probs(rng, (6, 3, 4)))
    targets, il, tl = [[1, 2, 3], [2, 2, 0], [1, 0, 0]], [6, 5, 4], [3, 2, 0]
    each = F.ctc_loss(lp, targets, il, tl, reduction="none").numpy()
    mean = F.ctc_loss(lp, targets, il, tl).item()
    assert math.isclose(mean, np.mean(each / np.maximum(tl, 1)), rel_tol=1e-12)
    assert math.isclose(F.ctc_loss(lp, targets, il, tl, reduction="sum").item(), each.sum(),
                        rel_tol=1e-12)


def test_target_forms_agree_padded_joined_unbatched_and_length_types():
    rng = np.random.default_rng(1)
    lp = _log_probs(rng, (5, 2, 4))
    padded = F.ctc_loss(Tensor(lp), [[1, 2], [3, 0]], [5, 4], [2, 1], reduction="none")
    joined = F.ctc_loss(Tensor(lp), np.array([1, 2, 3]), (5, 4), (2, 1), reduction="none")
    tensors = F.ctc_loss(Tensor(lp), Tensor(np.array([[1, 2], [3, 3]])), Tensor(np.array([5, 4])),
                         Tensor(np.array([2, 1])), reduction="none")
    np.testing.assert_allclose(padded.numpy(), joined.numpy(), rtol=1e-12)
    np.testing.assert_allclose(padded.numpy(), tensors.numpy(), rtol=1e-12)
    one = F.ctc_loss(Tensor(lp[:, 0]), [1, 2], 5, 2, reduction="none")
    assert one.shape == () and math.isclose(one.item(), padded.numpy()[0], rel_tol=1e-12)


def test_no_time_steps_only_the_empty_target_is_possible():
    lp = Tensor(np.zeros((0, 2, 3)), requires_grad=True)  # T = 0 (PyTorch refuses it)
    loss = F.ctc_loss(lp, [[1], [1]], [0, 0], [0, 1], reduction="none")
    np.testing.assert_array_equal(loss.numpy(), [0.0, math.inf])
    F.ctc_loss(lp, [[1], [1]], [0, 0], [0, 1], reduction="sum", zero_infinity=True).backward()
    assert lp.grad.shape == (0, 2, 3)


# --- the derivative --------------------------------------------------------------------------


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**16), blank=st.integers(0, 3),
       reduction=st.sampled_from(["mean", "sum", "none"]))
def test_gradcheck_on_free_log_probs(seed, blank, reduction):
    """The vjp is the true derivative w.r.t. log_probs, even unnormalised ones (where
    PyTorch's exp(lp) - posterior is not)."""
    rng = np.random.default_rng(seed)
    lp = Tensor(rng.standard_normal((4, 2, 4)) - 1.0, requires_grad=True)
    labels = [c for c in range(4) if c != blank]
    targets = np.array(labels)[rng.integers(0, 3, size=(2, 2))]
    targets[0, 1] = targets[0, 0]  # a repeat: a compulsory blank between
    tl = [2, int(rng.integers(0, 3))]
    il = [4, int(rng.integers(1, 5))]

    def f(x):
        # (zero_infinity: a drawn impossible alignment is a constant 0, not inf - inf)
        out = F.ctc_loss(x, targets, il, tl, blank=blank, reduction=reduction,
                         zero_infinity=True)
        return out.sum() if reduction == "none" else out

    assert gradcheck(f, [lp])


def test_through_log_softmax_same_logits_gradient_as_pytorch_and_the_relation():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((6, 3, 5))
    targets, il, tl = np.array([[1, 1, 2], [3, 4, 0], [2, 0, 0]]), [6, 5, 3], [3, 2, 1]
    g = np.array([0.5, -2.0, 1.5])
    ours_x = Tensor(x, requires_grad=True)
    ours_lp = F.log_softmax(ours_x, -1)
    ours_lp.retain_grad()
    F.ctc_loss(ours_lp, targets, il, tl, reduction="none").backward(g)
    theirs_x = torch.tensor(x, requires_grad=True)
    theirs_lp = TF.log_softmax(theirs_x, -1)
    theirs_lp.retain_grad()
    TF.ctc_loss(theirs_lp, torch.tensor(targets), torch.tensor(il), torch.tensor(tl),
                reduction="none").backward(torch.tensor(g))
    np.testing.assert_allclose(ours_x.grad.numpy(), theirs_x.grad.numpy(), atol=1e-12)
    # PyTorch's "gradient" w.r.t. lp is ours plus g * exp(lp) (inside each input length)
    inside = (np.arange(6)[:, None] < np.array(il))[:, :, None]
    shifted = ours_lp.grad.numpy() + inside * g[None, :, None] * np.exp(ours_lp.numpy())
    np.testing.assert_allclose(shifted, theirs_lp.grad.numpy(), atol=1e-12)


def test_impossible_alignment_inf_or_zero_and_zero_gradient():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 2, 4))
    targets, il, tl = [[1, 1, 1], [1, 2, 0]], [3, 3], [3, 2]  # 1 _ 1 _ 1 needs 5 steps
    for zero_infinity, first in ((False, math.inf), (True, 0.0)):
        t = Tensor(x, requires_grad=True)
        loss = F.ctc_loss(F.log_softmax(t, -1), targets, il, tl, reduction="none",
                          zero_infinity=zero_infinity)
        assert loss.numpy()[0] == first and np.isfinite(loss.numpy()[1])
        loss.sum().backward()
        grad = t.grad.numpy()
        assert np.all(grad[:, 0] == 0) and np.all(np.isfinite(grad))  # no nan (PyTorch: nan)
        ref = torch.tensor(x, requires_grad=True)
        TF.ctc_loss(TF.log_softmax(ref, -1), torch.tensor(targets), torch.tensor(il),
                    torch.tensor(tl), reduction="none", zero_infinity=True).sum().backward()
        np.testing.assert_allclose(grad, ref.grad.numpy(), atol=1e-12)


@pytest.mark.parametrize("scale", [1e3, 1e30, 3e38])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_logits_give_finite_bounded_gradients(scale, dtype):
    rng = np.random.default_rng(4)
    x = (np.sign(rng.standard_normal((5, 2, 3))) * scale * rng.uniform(0.5, 1, (5, 2, 3)))
    t = Tensor(x.astype(dtype), requires_grad=True)
    loss = F.ctc_loss(F.log_softmax(t, -1), [[1, 2], [2, 0]], [5, 4], [2, 1])
    assert not np.isnan(loss.item())
    loss.backward()
    grad = t.grad.numpy()
    assert np.all(np.isfinite(grad)) and np.all(np.abs(grad) <= 1.0 + 1e-6)
    if scale == 1e3:  # a loss PyTorch computes well too
        ref = TF.ctc_loss(TF.log_softmax(torch.tensor(x), -1), torch.tensor([[1, 2], [2, 0]]),
                          torch.tensor([5, 4]), torch.tensor([2, 1]))
        assert math.isclose(loss.item(), ref.item(), rel_tol=1e-5)


def test_float32_matches_pytorch():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((8, 4, 6)).astype(np.float32)
    targets = rng.integers(1, 6, size=(4, 3))
    il, tl = [8, 7, 6, 8], [3, 2, 3, 1]
    t = Tensor(x, requires_grad=True)
    loss = nn.CTCLoss()(F.log_softmax(t, 2), targets, il, tl)
    loss.backward()
    assert loss.dtype == np.float32 and t.grad.dtype == np.float32
    r = torch.tensor(x, requires_grad=True)
    ref = torch.nn.CTCLoss()(TF.log_softmax(r, 2), torch.tensor(targets), torch.tensor(il),
                             torch.tensor(tl))
    ref.backward()
    assert math.isclose(loss.item(), ref.item(), rel_tol=1e-5)
    np.testing.assert_allclose(t.grad.numpy(), r.grad.numpy(), atol=1e-6)


def test_create_graph_gives_first_derivatives_and_refuses_second():
    rng = np.random.default_rng(6)
    lp = Tensor(_log_probs(rng, (4, 1, 3)), requires_grad=True)
    loss = F.ctc_loss(lp, [[1, 2]], [4], [2])
    loss.backward(create_graph=True)
    plain = Tensor(lp.numpy(), requires_grad=True)
    F.ctc_loss(plain, [[1, 2]], [4], [2]).backward()
    np.testing.assert_allclose(lp.grad.numpy(), plain.grad.numpy(), rtol=1e-12)
    with pytest.raises(NotImplementedError, match="ctc_loss.*not implemented"):
        (lp.grad * lp.grad).sum().backward()


# --- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize("args, kwargs, error, words", [
    (([[1]], [4], [1]), {}, RuntimeError, "input length 4 is longer than the 3 time steps"),
    (([[1]], [3], [2]), {}, RuntimeError, "longer than the padded targets"),
    (([[0]], [3], [1]), {}, RuntimeError, "contains the blank 0"),
    (([[2]], [3], [1]), {"blank": 2}, RuntimeError, "contains the blank 2"),
    (([[7]], [3], [1]), {}, RuntimeError, "label 7 is not a class"),
    (([[1]], [3], [1]), {"blank": 3}, ValueError, "blank must be a class"),
    ((np.array([[1.0]]), [3], [1]), {}, TypeError, "integers"),
    (([[1]], [3, 3], [1]), {}, RuntimeError, "one length per example"),
    (([[1]], [-1], [1]), {}, RuntimeError, ">= 0"),
    ((np.array([1]), [3], [2]), {}, RuntimeError, "add up to 2"),
    (([[1]], [3], [1]), {"reduction": "avg"}, ValueError, "reduction"),
])
def test_errors_name_the_problem(args, kwargs, error, words):
    lp = Tensor(np.log(np.full((3, 1, 3), 1 / 3)))
    with pytest.raises(error, match=words):
        F.ctc_loss(lp, *args, **kwargs)


def test_wrong_dims_and_values_refused():
    with pytest.raises(ValueError, match=r"\(T, N, C\)"):
        F.ctc_loss(Tensor(np.zeros((2, 1, 3, 1))), [[1]], [2], [1])
    with pytest.raises(TypeError, match="Tensor"):
        F.ctc_loss([[Value(0.5)]], [[1]], [1], [1])
    with pytest.raises(ValueError, match="reduction"):
        nn.CTCLoss(reduction="batchmean")


def test_module_settings_repr_and_state():
    assert repr(nn.CTCLoss()) == "CTCLoss()"
    ctc = nn.CTCLoss(blank=2, reduction="sum", zero_infinity=True)
    assert "blank=2" in repr(ctc) and ctc.state_dict() == {}
    lp = Tensor(np.log(np.full((2, 1, 3), 1 / 3)))
    assert ctc(lp, [[1, 1]], [2], [2]).item() == 0.0  # impossible, zeroed


def test_speed_loops_over_time_only():
    rng = np.random.default_rng(7)
    x = Tensor(rng.standard_normal((100, 64, 30)), requires_grad=True)
    targets = rng.integers(1, 30, size=(64, 20))
    start = time.perf_counter()
    F.ctc_loss(F.log_softmax(x, 2), targets, [100] * 64, [20] * 64).backward()
    assert time.perf_counter() - start < 3.0
