"""EmbeddingBag and the CTC loss against PyTorch (the group "embctc"), rows of
``tests/differential.py``'s kind.

* ``embedding_bag``: a table and (mode 'sum') per-sample weights; 2-D bags or a 1-D
  input with offsets (empty bags included, ``include_last_offset``), ``padding_idx``,
  the function and the module. PyTorch has no second derivative of embedding_bag, so a
  second row compares ours with PyTorch's ``embedding`` followed by the bag's reduction
  (the same function), second derivatives included.
* ``ctc_loss``: logits through ``log_softmax`` (how CTC is used: there PyTorch's
  gradient and our true derivative with respect to log_probs give the logits the same
  gradient; see tinygrad_dk/ops_ctc.py), padded, concatenated and unbatched targets,
  lengths as tensors or tuples, any blank, the three reductions, zero_infinity, and
  impossible alignments. No second derivatives (PyTorch has none).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

import differential as D  # noqa: E402
from differential import MODERATE, REAL, Case, Op, values  # noqa: E402
from test_differential_images import _bind, _call  # noqa: E402

import nn  # noqa: E402
import nn.functional as F  # noqa: E402

D.use_torch(torch)
TF = torch.nn.functional

# --- embedding_bag -------------------------------------------------------------------------


def _bags(data, two_d_only=False):
    """A table (rows x width), the bags of indices and the options (see the module)."""
    rows, width = data.draw(st.integers(1, 5), label="rows"), data.draw(st.integers(1, 3))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16), label="index seed"))
    mode = data.draw(st.sampled_from(["sum", "mean", "max"]), label="mode")
    offsets, last = None, False
    if two_d_only or data.draw(st.booleans(), label="2-D"):
        # (B, L) with L >= 1: PyTorch refuses bags of length 0 in this form (and B >= 1
        # for the composed row: PyTorch's embedding has no backward of 0 indices)
        indices = rng.integers(0, rows, size=(data.draw(st.integers(int(two_d_only), 3)),
                                              data.draw(st.integers(1, 3))))
    else:
        n = data.draw(st.integers(0, 6), label="indices")
        indices = rng.integers(0, rows, size=n)
        offsets = np.sort(rng.integers(0, n + 1, size=data.draw(st.integers(1, 4))))
        offsets[0] = 0
        # include_last_offset: the last offset is the input's length (with one offset
        # only, no bag at all: PyTorch's max kernel crashes on that)
        last = len(offsets) > 1 and data.draw(st.booleans(), label="include_last_offset")
        if last:
            offsets[-1] = n
    arrays = [values(data, (rows, width), REAL)]
    if mode == "sum" and data.draw(st.booleans(), label="per_sample_weights"):
        arrays.append(values(data, indices.shape, REAL))
    # (not in the composed row: there PyTorch's where(keep, rows * w, 0) sends 0 * inf =
    # nan to a padded position's weight, where embedding_bag sends nothing)
    padding_idx = None if two_d_only else data.draw(
        st.one_of(st.none(), st.integers(-rows, rows - 1)), label="padding_idx")
    return Case(arrays, {"indices": indices, "offsets": offsets, "mode": mode,
                         "last": last, "padding_idx": padding_idx,
                         "form": data.draw(st.sampled_from(["F", "module"]))})


def _ours_bag(w, psw=None, *, indices, offsets, mode, last, padding_idx, form):
    if form == "F":
        return F.embedding_bag(indices, w, offsets, mode=mode, per_sample_weights=psw,
                               include_last_offset=last, padding_idx=padding_idx)
    layer = nn.EmbeddingBag(*w.shape, mode=mode, include_last_offset=last,
                            padding_idx=padding_idx, dtype=w.dtype)
    return _bind(layer, ["weight"], [w])(indices, offsets, psw)


def _torch_bag(w, psw=None, *, indices, offsets, mode, last, padding_idx, form):
    idx = torch.tensor(indices)
    offs = None if offsets is None else torch.tensor(offsets)
    if form == "F":
        return TF.embedding_bag(idx, w, offs, mode=mode, per_sample_weights=psw,
                                include_last_offset=last, padding_idx=padding_idx)
    layer = torch.nn.EmbeddingBag(*w.shape, mode=mode, include_last_offset=last,
                                  padding_idx=padding_idx, dtype=w.dtype)
    return _call(layer, ["weight"], [w], idx, offs, psw)


def _torch_bag_composed(w, psw=None, *, indices, offsets, mode, last, padding_idx, form):
    """The same bags (2-D) from PyTorch's embedding and a reduction over the bag axis."""
    idx = torch.tensor(indices)
    rows = TF.embedding(idx, w)
    keep = torch.ones(idx.shape, dtype=torch.bool) if padding_idx is None else (
        idx != padding_idx % w.shape[0])
    if mode == "max":
        # ties: the first of the largest, as embedding_bag (a one-hot of the argmax)
        score = torch.where(keep[..., None], rows, -torch.inf)
        hit = (score == score.amax(1, keepdim=True)) & keep[..., None]
        first = hit.to(torch.int8).argmax(1, keepdim=True)  # the first winner
        out = rows.gather(1, first).squeeze(1)
        return torch.where(keep.any(1, keepdim=True), out, torch.zeros_like(out))
    if psw is not None:
        rows = rows * psw[..., None]
    total = torch.where(keep[..., None], rows, torch.zeros_like(rows)).sum(1)
    if mode == "mean":
        total = total / keep.sum(1, keepdim=True).clamp(min=1).to(w.dtype)
    return total


# --- ctc_loss ------------------------------------------------------------------------------


def _ctc(data):
    """Logits (T, N, C) (ordinary, ties, +-1e3: at +-1e30 PyTorch's exp(lp) - posterior
    rounds to +-inf, ours stays in [-1, 1]: test_ctc_loss.py), targets of labels other
    than the blank (repeats included), any lengths up to T and S (so impossible
    alignments too), and the forms of the call."""
    steps, batch = data.draw(st.integers(1, 5), label="T"), data.draw(st.integers(1, 3), label="N")
    classes, width = data.draw(st.integers(2, 4), label="C"), data.draw(st.integers(0, 3),
                                                                        label="S")
    blank = data.draw(st.integers(0, classes - 1), label="blank")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16), label="seed"))
    labels = np.array([c for c in range(classes) if c != blank])
    targets = labels[rng.integers(0, len(labels), size=(batch, width))]
    input_lengths = rng.integers(0, steps + 1, size=batch)
    input_lengths[0] = steps  # one full-length example at least
    target_lengths = rng.integers(0, width + 1, size=batch)
    layout = data.draw(st.sampled_from(["padded", "joined", "unbatched"]), label="layout")
    if layout == "unbatched":
        batch, targets = 1, targets[:1, :target_lengths[0]].reshape(-1)
        input_lengths, target_lengths = input_lengths[:1], target_lengths[:1]
    elif layout == "joined":
        targets = np.concatenate([t[:n] for t, n in zip(targets, target_lengths)])
    shape = (steps, classes) if layout == "unbatched" else (steps, batch, classes)
    return Case([values(data, shape, MODERATE)], {
        "targets": targets.astype(np.int64), "input_lengths": input_lengths,
        "target_lengths": target_lengths, "blank": blank,
        "reduction": data.draw(st.sampled_from(["mean", "sum", "none"]), label="reduction"),
        "zero_infinity": data.draw(st.booleans(), label="zero_infinity"),
        "tuples": data.draw(st.booleans(), label="lengths as tuples"),
        "form": data.draw(st.sampled_from(["F", "module"]))})


def _lengths(lengths, tuples, as_tensor):
    return tuple(int(n) for n in lengths) if tuples else as_tensor(lengths)


def _ours_ctc(x, *, targets, input_lengths, target_lengths, blank, reduction, zero_infinity,
              tuples, form):
    il = _lengths(input_lengths, tuples, np.asarray)
    tl = _lengths(target_lengths, tuples, np.asarray)
    lp = F.log_softmax(x, -1)
    if form == "F":
        return F.ctc_loss(lp, targets, il, tl, blank, reduction, zero_infinity)
    return nn.CTCLoss(blank, reduction, zero_infinity)(lp, targets, il, tl)


def _torch_ctc(x, *, targets, input_lengths, target_lengths, blank, reduction, zero_infinity,
               tuples, form):
    il = _lengths(input_lengths, tuples, torch.tensor)
    tl = _lengths(target_lengths, tuples, torch.tensor)
    lp = TF.log_softmax(x, -1)
    if form == "F":
        return TF.ctc_loss(lp, torch.tensor(targets), il, tl, blank, reduction, zero_infinity)
    return torch.nn.CTCLoss(blank, reduction, zero_infinity)(lp, torch.tensor(targets), il, tl)


EMBCTC_OPS = [
    # no second derivatives: PyTorch has none for embedding_bag (the next row has ours)
    Op("embedding_bag", _ours_bag, _torch_bag, _bags, second=False,
       covers=("F.embedding_bag", "nn.EmbeddingBag"), sums=1),
    Op("embedding_bag as embedding + reduction", _ours_bag, _torch_bag_composed,
       lambda data: _bags(data, two_d_only=True), sums=1, covers=("F.embedding_bag",)),
    Op("ctc_loss", _ours_ctc, _torch_ctc, _ctc, second=False, sums=1, grad_sums=True,
       covers=("F.ctc_loss", "nn.CTCLoss", "ops_ctc.ctc_loss", "ops_ctc.ctc_losses"),
       nan_ok="an impossible alignment without zero_infinity: loss inf whatever the "
              "log-probabilities, PyTorch's gradient is nan there, ours 0",
       finite_upstream="the gradient multiplies the upstream gradient by posteriors, 0 "
                       "where a path cannot pass: inf * 0 is nan in either library, at "
                       "different elements (PyTorch's gradient is exp(lp) - posterior)"),
]

#: losses for Tensors only (no scalar-engine row; Values are refused: test_ctc_loss.py)
TENSOR_ONLY_LOSSES = {"ctc_loss"}

#: ops_ctc names that are not operations of their own (read by the coverage test)
EMBCTC_NOT_OPS = {
    "ops_ctc.prepare": "the argument checks of ctc_loss (tests/test_ctc_loss.py: errors)",
    "ops_ctc.ctc_loss_backward": "ctc_loss's derivative, recorded so that a second "
                                 "derivative fails clearly (tests/test_ctc_loss.py)",
}


@pytest.mark.parametrize("op", EMBCTC_OPS, ids=lambda op: op.name)
@D.SETTINGS
@given(data=st.data())
def test_embctc_matches_torch(op, data):
    D.check(op, data)
