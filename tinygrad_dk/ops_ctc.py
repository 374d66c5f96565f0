"""Connectionist temporal classification (CTC): the loss of a sequence labelling whose
alignment to the input is unknown (speech to letters, handwriting to characters).

The network gives, at each of T time steps, log-probabilities over C classes, one of
them the *blank* ("no new label here"). A target ``c a t`` is produced by every path of
T classes that reads ``c a t`` after merging repeats and dropping blanks
(``c c _ a _ t t``). The loss is ``-log`` of the summed probability of all those paths.

The sum is a dynamic programme over the *extended* target ``_ c _ a _ t _`` (a blank
before, between and after the labels; length 2S+1). ``alpha[t, s]`` is the log
probability of all path prefixes of length t+1 that end at position s:

    alpha[t, s] = logsumexp(alpha[t-1, s], alpha[t-1, s-1], alpha[t-1, s-2]) + lp[t, ext[s]]

where the jump from s-2 is allowed only onto a label that differs from the label two
positions back (between two equal labels, ``a a``, the blank is compulsory). The loss
reads the two last positions at the example's last time step. ``beta`` is the same
recursion run backwards; ``alpha + beta - lp`` is the log probability of the paths
through (t, s), and divided by the total it is the *posterior*, the share of the
probability that passes there. The derivative of the loss with respect to
``lp[t, c]`` is minus the posterior of class c at time t.

Everything is computed in log space (sums of probabilities that are 1e-300 small are
logsumexps of -690), vectorised over the batch and the extended target: the only
Python loop runs over time. An impossible alignment (T too short for the target,
with the blanks that repeats require) has probability 0: loss inf, gradient 0, or
loss 0 with ``zero_infinity=True``.

**Difference from PyTorch.** PyTorch's CTC backward returns ``exp(lp) - posterior``:
the gradient with respect to the *logits* of a ``log_softmax``, not the derivative
with respect to ``lp``. Here the vjp is the true derivative, ``-posterior``, so a
numeric gradient check on free log-probabilities passes; through ``log_softmax``
(``x.log_softmax(-1)``, the way CTC is used) both give the logits the same gradient,
since the posteriors at a time step sum to 1. PyTorch gives nan gradients for an
impossible alignment without ``zero_infinity``; this gives 0 (the loss is inf there
whatever lp is, so no change of lp lowers it).

The derivative is not itself differentiable here (nor in PyTorch): a second
derivative through the CTC loss raises a clear error.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_dk.primitive import Primitive, raw
from tinygrad_dk.tensor_base import TensorBase

_NEG = -np.inf


# --- arguments ---------------------------------------------------------------------------


def _lengths(name: str, lengths: Any, batch: int) -> np.ndarray:
    """Input or target lengths (a tensor, list, tuple or int) as int64, one per example."""
    data = np.asarray(raw(lengths))
    if data.dtype.kind not in "iu" and not (data.dtype.kind == "f" and data.size
                                            and np.array_equal(data, np.round(data))):
        raise TypeError(f"ctc_loss: {name} must hold integers, got dtype {data.dtype}; pass a "
                        "tuple of ints or an int64 tensor (torch.tensor([...]))")
    data = data.astype(np.int64).reshape(-1)
    if data.size != batch:
        raise RuntimeError(f"ctc_loss: {name} must have one length per example ({batch}), got "
                           f"{data.size}")
    if data.size and data.min() < 0:
        raise RuntimeError(f"ctc_loss: {name} must be >= 0, got {int(data.min())}")
    return data


def _padded_targets(targets: np.ndarray, target_lengths: np.ndarray, batch: int) -> np.ndarray:
    """Targets as a padded (N, S) matrix: either given so, or cut from one 1-D sequence of
    all targets joined (``target_lengths`` says where each ends)."""
    if targets.ndim == 2:
        if targets.shape[0] != batch:
            raise RuntimeError(f"ctc_loss: targets has {targets.shape[0]} rows for a batch of "
                               f"{batch}; give one padded row per example, shape (N, S)")
        if target_lengths.size and target_lengths.max() > targets.shape[1]:
            raise RuntimeError(f"ctc_loss: a target length {int(target_lengths.max())} is "
                               f"longer than the padded targets ({targets.shape[1]} columns); "
                               "fix target_lengths or pad the targets further")
        return targets
    if targets.ndim != 1:
        raise RuntimeError(f"ctc_loss: targets must be (N, S) padded or 1-D concatenated, got "
                           f"shape {targets.shape}")
    total = int(target_lengths.sum())
    if total > targets.shape[0]:
        raise RuntimeError(f"ctc_loss: the target lengths add up to {total} but the "
                           f"concatenated targets hold {targets.shape[0]}; fix target_lengths")
    width = int(target_lengths.max()) if target_lengths.size else 0
    starts = np.concatenate([[0], np.cumsum(target_lengths)[:-1]]).astype(np.int64)
    cols = np.arange(width)
    inside = cols < target_lengths[:, None]
    where = np.where(inside, starts[:, None] + cols, 0)
    return np.where(inside, targets[where] if targets.size else 0, 0)


def _check_labels(targets: np.ndarray, target_lengths: np.ndarray, classes: int,
                  blank: int) -> None:
    """Every label within its target's length is a class other than the blank."""
    inside = np.arange(targets.shape[1]) < target_lengths[:, None]
    used = targets[inside]
    if used.size and (used.min() < 0 or used.max() >= classes):
        bad = int(used.min() if used.min() < 0 else used.max())
        raise RuntimeError(f"ctc_loss: target label {bad} is not a class (0..{classes - 1}); "
                           "labels index the last axis of log_probs")
    if np.any(used == blank):
        raise RuntimeError(f"ctc_loss: a target contains the blank {blank}; the blank marks "
                           "'no label' and cannot be a target: renumber the labels or choose "
                           "another blank=")


def prepare(log_probs: Any, targets: Any, input_lengths: Any, target_lengths: Any,
            blank: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Check the arguments of ``ctc_loss``; return (padded targets as (N, S), input
    lengths, target lengths), log_probs being (T, N, C)."""
    shape = np.shape(raw(log_probs))
    if len(shape) != 3:
        raise ValueError(f"ctc_loss: log_probs must be (T, N, C) (or (T, C) for one sequence), "
                         f"got shape {shape}")
    if np.asarray(raw(log_probs)).dtype.kind != "f":
        raise TypeError("ctc_loss: log_probs must be floating point (the log_softmax of the "
                        "network's outputs)")
    steps, batch, classes = shape
    if not 0 <= blank < classes:
        raise ValueError(f"ctc_loss: blank must be a class in 0..{classes - 1}, got {blank}")
    tgt = np.asarray(raw(targets))
    if tgt.dtype.kind not in "iu":
        raise TypeError(f"ctc_loss: targets must hold class numbers (integers), got dtype "
                        f"{tgt.dtype}; convert them with .long()")
    il = _lengths("input_lengths", input_lengths, batch)
    tl = _lengths("target_lengths", target_lengths, batch)
    if il.size and il.max() > steps:
        raise RuntimeError(f"ctc_loss: an input length {int(il.max())} is longer than the "
                           f"{steps} time steps of log_probs; input lengths must be <= T")
    padded = _padded_targets(tgt.astype(np.int64), tl, batch)
    _check_labels(padded, tl, classes, blank)
    return padded, il, tl


# --- the recursions ----------------------------------------------------------------------


def _logsumexp3(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """log(e^a + e^b + e^c) elementwise without overflow; all three -inf gives -inf."""
    top = np.maximum(np.maximum(a, b), c)
    shift = np.where(np.isfinite(top), top, 0.0)  # -inf everywhere: exp(-inf) = 0, log 0
    with np.errstate(divide="ignore", invalid="ignore"):
        return shift + np.log(np.exp(a - shift) + np.exp(b - shift) + np.exp(c - shift))


def _shift(x: np.ndarray, by: int) -> np.ndarray:
    """x moved ``by`` positions along the last axis (right for by > 0), -inf filling."""
    out = np.full_like(x, _NEG)
    if by > 0:
        out[..., by:] = x[..., :-by]
    else:
        out[..., :by] = x[..., -by:]
    return out


class _Lattice:
    """The extended targets of a batch and the log-probabilities along them."""

    def __init__(self, lp: np.ndarray, targets: np.ndarray, il: np.ndarray, tl: np.ndarray,
                 blank: int) -> None:
        steps, batch, _ = lp.shape
        width = 2 * targets.shape[1] + 1
        self.ext = np.full((batch, width), blank, dtype=np.int64)
        self.ext[:, 1::2] = targets
        # positions beyond the example's own 2L+1 hold blanks: never read (see readout)
        self.ext[:, 1::2][np.arange(targets.shape[1]) >= tl[:, None]] = blank
        s = np.arange(width)
        # the jump s-2 -> s: onto a label, different from the label two positions back
        self.skip = (s % 2 == 1) & (s >= 2)
        self.skip = self.skip & (self.ext != np.roll(self.ext, 2, axis=1))
        self.emit = lp[:, np.arange(batch)[:, None], self.ext]  # (T, N, 2S+1)
        self.il, self.tl, self.steps = il, tl, steps
        self.last = 2 * tl  # the final blank; the final label is last - 1 (when tl > 0)

    def alpha(self) -> np.ndarray:
        emit = self.emit
        alpha = np.full_like(emit, _NEG)
        if self.steps == 0:
            return alpha
        alpha[0, :, :2] = emit[0, :, :2]  # start on the first blank or the first label
        for t in range(1, self.steps):
            prev = alpha[t - 1]
            jump = np.where(self.skip, _shift(prev, 2), _NEG)
            alpha[t] = _logsumexp3(prev, _shift(prev, 1), jump) + emit[t]
        # (positions past 2L never feed positions up to 2L: no mask needed)
        return alpha

    def beta(self) -> np.ndarray:
        emit = self.emit
        beta = np.full_like(emit, _NEG)
        s = np.arange(emit.shape[2])
        ends = (s == self.last[:, None]) | ((s == self.last[:, None] - 1) & (self.tl[:, None] > 0))
        jump_ok = _shift(self.skip.astype(float), -2) > 0  # s -> s+2 allowed
        nxt = np.full(emit.shape[1:], _NEG)
        for t in range(self.steps - 1, -1, -1):
            jump = np.where(jump_ok, _shift(nxt, -2), _NEG)
            step = _logsumexp3(nxt, _shift(nxt, -1), jump) + emit[t]
            first = np.where(ends, emit[t], _NEG)  # the example's last step starts it
            here = (t == self.il - 1)[:, None]
            before = (t < self.il - 1)[:, None]
            beta[t] = np.where(here, first, np.where(before, step, _NEG))
            nxt = beta[t]
        return beta

    def log_likelihood(self, alpha: np.ndarray) -> np.ndarray:
        """log p(target | input) per example, read at the example's last time step."""
        # no time steps: only the empty target is possible, with probability 1
        no_steps = np.where(self.tl == 0, 0.0, _NEG)
        if self.steps == 0:
            return no_steps
        batch = np.arange(alpha.shape[1])
        at = np.maximum(self.il - 1, 0)
        end = alpha[at, batch, self.last]
        label = np.where(self.tl > 0, alpha[at, batch, np.maximum(self.last - 1, 0)], _NEG)
        return np.where(self.il == 0, no_steps, np.logaddexp(end, label))


# --- the primitive -----------------------------------------------------------------------


def _forward(lp: np.ndarray, targets: np.ndarray, il: np.ndarray, tl: np.ndarray, *,
             blank: int, zero_infinity: bool) -> tuple[np.ndarray, tuple]:
    lattice = _Lattice(lp.astype(np.float64), targets, il, tl, blank)  # float64 inside
    alpha = lattice.alpha()
    loss = -lattice.log_likelihood(alpha)
    if zero_infinity:
        loss = np.where(np.isposinf(loss), 0.0, loss)
    return loss.astype(lp.dtype), (lattice, alpha)


def _gradient(g: np.ndarray, lp: np.ndarray, targets: np.ndarray, il: np.ndarray,
              tl: np.ndarray, *, blank: int, zero_infinity: bool,
              residual: tuple | None = None) -> np.ndarray:
    """d(sum_n g[n] loss[n]) / d lp: minus the posterior of each class, times g."""
    del zero_infinity  # an infinite loss has a zero gradient either way
    if residual is None:
        _, residual = _forward(lp, targets, il, tl, blank=blank, zero_infinity=False)
    lattice, alpha = residual
    ll = lattice.log_likelihood(alpha)
    beta = lattice.beta()
    with np.errstate(invalid="ignore"):
        # alpha + beta counts the emission at (t, s) twice; the share of all paths
        # that pass (t, s), at most 1 (min: rounding of sums of 1e30-sized terms)
        share = np.minimum(alpha + beta - lattice.emit - ll[None, :, None], 0.0)
    reached = np.isfinite(alpha) & np.isfinite(beta) & np.isfinite(ll)[None, :, None]
    post = np.where(reached, np.exp(np.where(reached, share, _NEG)), 0.0)  # (T, N, 2S+1)
    classes = lp.shape[2]
    onehot = (lattice.ext[:, :, None] == np.arange(classes)).astype(np.float64)  # (N, K, C)
    per_class = np.matmul(post.transpose(1, 0, 2), onehot).transpose(1, 0, 2)  # (T, N, C)
    with np.errstate(invalid="ignore"):  # an inf upstream gradient times a 0 posterior
        out = -per_class * np.asarray(g, dtype=np.float64)[None, :, None]
    return out.astype(lp.dtype)


def _no_second_derivative(*_: Any, **__: Any) -> Any:
    raise NotImplementedError(
        "ctc_loss: the derivative of the CTC gradient is not implemented (nor in PyTorch); "
        "backward(create_graph=True) gives first derivatives, but differentiating them again "
        "through ctc_loss is not possible")


#: the CTC gradient as an operation of its own, so that a recorded backward pass
#: (create_graph=True) still gets first derivatives and a second one fails clearly
ctc_loss_backward = Primitive("ctc_loss_backward", _gradient, _no_second_derivative,
                              _no_second_derivative)


def _vjp(g: Any, out: Any, lp: Any, targets: Any, il: Any, tl: Any, *, blank: int,
         zero_infinity: bool, residual: tuple | None = None) -> Any:
    if isinstance(g, TensorBase) or isinstance(lp, TensorBase):  # a recorded backward
        return ctc_loss_backward(g, lp, raw(targets), raw(il), raw(tl), blank=blank,
                                 zero_infinity=zero_infinity)
    return _gradient(g, lp, targets, il, tl, blank=blank, zero_infinity=zero_infinity,
                     residual=residual)


#: the loss of each example, (N,), from log_probs (T, N, C) and checked integer arguments
ctc_losses = Primitive("ctc_loss", _forward, _vjp, None, None, None, residual=True)


def ctc_loss(log_probs: Any, targets: Any, input_lengths: Any, target_lengths: Any,
             blank: int = 0, reduction: str = "mean", zero_infinity: bool = False) -> Any:
    """The CTC loss of ``log_probs`` (T, N, C), or (T, C) for one sequence, against
    ``targets``: padded (N, S) or all targets joined in one 1-D sequence.

    ``reduction``: 'none' gives each example's loss, 'sum' their sum, 'mean' (the
    default, as PyTorch) divides each loss by its target length (at least 1) and
    averages over the batch. See the module for the derivative.
    """
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"ctc_loss: reduction must be 'mean', 'sum' or 'none', got "
                         f"{reduction!r}")
    unbatched = np.ndim(raw(log_probs)) == 2
    if unbatched:
        log_probs = log_probs.unsqueeze(1) if isinstance(log_probs, TensorBase) else (
            np.asarray(log_probs)[:, None])
        targets = np.asarray(raw(targets)).reshape(1, -1)
    padded, il, tl = prepare(log_probs, targets, input_lengths, target_lengths, int(blank))
    losses = ctc_losses(log_probs, padded, il, tl, blank=int(blank),
                        zero_infinity=bool(zero_infinity))
    if reduction == "none":
        return losses.reshape(()) if unbatched else losses
    if reduction == "sum":
        return losses.sum()
    per_label = np.maximum(tl, 1).astype(raw(losses).dtype)
    return (losses / per_label).mean()
