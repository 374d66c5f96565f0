"""More of PyTorch's losses, as ``nn.functional`` functions (the modules, ``nn.SmoothL1Loss``
and the others, are in ``nn.loss_modules_extra``).

    criterion = nn.SmoothL1Loss(beta=0.5)          # or F.smooth_l1_loss(x, y, beta=0.5)
    loss = criterion(model(x), y)

Regression: ``smooth_l1_loss`` (Huber divided by beta), ``poisson_nll_loss`` (counts).
Distributions: ``kl_div`` (log-probabilities against probabilities).
Margins and rankings, labels -1/+1: ``margin_ranking_loss``, ``hinge_embedding_loss``,
``soft_margin_loss``, ``cosine_embedding_loss``, ``triplet_margin_loss``.
Classification: ``multilabel_soft_margin_loss`` (0/1 per class), ``multi_margin_loss``
(the multi-class SVM loss).

Every formula is a composition of engine operations, so gradients (and second
derivatives) come from the engine. Each function takes PyTorch's arguments and
defaults, and ``reduction='mean' | 'sum' | 'none'`` (``kl_div`` also ``'batchmean'``).
These losses work on Tensors (the scalar Value engine has the classic ones in
``nn.functional``).

(``nn.functional`` re-exports these at its end: they use its ``check_reduction``.)
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

import tinygrad_dk as tg
from nn import scalar_losses
from nn import tensor_losses as T
from nn.functional import check_reduction
from tinygrad_dk import Tensor

__all__ = [
    "smooth_l1_loss", "kl_div", "poisson_nll_loss", "margin_ranking_loss",
    "hinge_embedding_loss", "soft_margin_loss", "multilabel_soft_margin_loss",
    "multi_margin_loss", "triplet_margin_loss", "cosine_embedding_loss",
]


# --- shared checks ---------------------------------------------------------------------


def check_legacy(name: str, size_average: Any, reduce: Any) -> None:
    """PyTorch's old ``size_average``/``reduce`` arguments are accepted only as None (their
    default): a program that sets them gets told the modern spelling, not ignored."""
    if size_average is not None or reduce is not None:
        raise ValueError(f"{name}: size_average and reduce are PyTorch's deprecated spellings "
                         "of reduction; use reduction='mean', 'sum' or 'none'")


def _tensor_only(fn: Any) -> Any:
    """Refuse the scalar Value engine clearly (these losses are written for Tensors)."""
    @functools.wraps(fn)
    def loss(input: Any, *args: Any, **kwargs: Any) -> Tensor:
        check_legacy(fn.__name__, kwargs.get("size_average"), kwargs.get("reduce"))
        if scalar_losses.is_scalar(input):
            raise TypeError(f"{fn.__name__}: works on Tensors only, got Values; use "
                            "Tensor(...) inputs (the Value engine has mse_loss, l1_loss, "
                            "huber_loss, the cross-entropies and hinge_loss)")
        return fn(input, *args, **kwargs)
    return loss


def _signs(name: str, target: Any, like: Tensor) -> np.ndarray:
    """Labels that must be -1 or +1, as a constant array of ``like``'s dtype."""
    labels = np.asarray(getattr(target, "data", target))
    if labels.dtype.kind not in "biuf":
        raise TypeError(f"{name}: the target must be numbers -1 or +1, got dtype {labels.dtype}")
    bad = labels[(labels != 1) & (labels != -1)]
    if bad.size:
        raise ValueError(f"{name}: targets must be -1 or +1, found {bad.reshape(-1)[0]:g}; turn "
                         "0/1 labels into -1/+1 with 2 * y - 1")
    return labels.astype(like.dtype)


def _same_shape(name: str, **arrays: Any) -> None:
    """Refuse inputs whose shapes differ (no silent broadcasting, as the other losses)."""
    shapes = {k: tuple(np.shape(getattr(a, "data", a))) for k, a in arrays.items()}
    if len(set(shapes.values())) > 1:
        listed = ", ".join(f"{k} {s}" for k, s in shapes.items())
        raise ValueError(f"{name}: the shapes must be equal, got {listed}")


def _labels(name: str, target: Any, n: int | None, c: int) -> np.ndarray:
    """Integer class labels (N,) (or () for one example) in 0 .. c - 1."""
    labels = np.asarray(getattr(target, "data", target))
    if labels.dtype.kind not in "iu":
        raise TypeError(f"{name}: targets must be integer class labels, got dtype "
                        f"{labels.dtype}; convert with .long()")
    want = () if n is None else (n,)
    if labels.shape != want and not (n is None and labels.shape == (1,)):
        raise ValueError(f"{name}: class labels must have shape {want} for input of "
                         f"{'one example' if n is None else f'{n} examples'}, got {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= c):
        raise ValueError(f"{name}: class labels must lie in 0 .. {c - 1} (C = {c}), got "
                         f"{labels.min()} .. {labels.max()}")
    return labels.astype(np.intp).reshape(want)


def _hinge_at(z: Tensor) -> Tensor:
    """max(z, 0) whose gradient at z = 0 exactly is 1, as PyTorch's clamp_min in these
    losses (relu's is 0 there); it matters at ties such as x1 = x2 with margin 0."""
    return z.clamp(min=0)


def _check_batch_input(name: str, x: Tensor) -> None:
    if x.ndim not in (1, 2):
        raise ValueError(f"{name}: the input must be (N, C) scores or (C,) for one example, "
                         f"got shape {x.shape}")


# --- regression ------------------------------------------------------------------------


@_tensor_only
def smooth_l1_loss(input: Any, target: Any, size_average: Any = None, reduce: Any = None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (d = input - target).

    The Huber loss divided by beta: the quadratic part always has slope 1 at |d| = beta,
    so the linear part has slope 1 (L1) whatever beta; beta = 0 is the L1 loss.
    """
    check_reduction("smooth_l1_loss", reduction)
    if not beta >= 0:
        raise ValueError(f"smooth_l1_loss: beta must be >= 0, got {beta!r}")
    x, y = T.prepare(input, target, "smooth_l1_loss")
    loss = T.l1(x, y) if beta == 0 else T.huber(x, y, beta) / beta
    return T.reduce(loss, reduction)


@_tensor_only
def poisson_nll_loss(input: Any, target: Any, log_input: bool = True, full: bool = False,
                     size_average: Any = None, eps: float = 1e-8, reduce: Any = None,
                     reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of counts ``target`` under a Poisson with rate lambda.

    ``log_input=True`` (the default): the input is log lambda and the loss is
    exp(input) - target * input; otherwise the input is lambda itself and the loss
    lambda - target * log(lambda + eps). ``full`` adds Stirling's approximation of
    log(target!), target log target - target + 0.5 log(2 pi target), for targets > 1.
    """
    check_reduction("poisson_nll_loss", reduction)
    x, y = T.prepare(input, target, "poisson_nll_loss", "rates (or log-rates)")
    counts = T.numbers(y)
    if np.any(counts < 0):
        raise ValueError("poisson_nll_loss: targets are counts and must be >= 0, got "
                         f"{counts.min():g}")
    if log_input:
        loss = tg.exp(x) - y * x
    else:
        if np.any(x.data < 0):
            raise ValueError("poisson_nll_loss: with log_input=False the input is the rate "
                             f"lambda and must be >= 0, got {x.data.min():g}; pass log-rates "
                             "with log_input=True (the default)")
        loss = x - y * tg.log(x + eps)
    if full:
        big = counts > 1  # Stirling's term, a constant; 0 where the target is 0 or 1
        safe = np.where(big, counts, 1.0).astype(x.dtype)
        stirling = np.where(big, safe * np.log(safe) - safe + 0.5 * np.log(2 * math.pi * safe),
                            0.0).astype(x.dtype)
        loss = loss + stirling
    return T.reduce(loss, reduction)


# --- distributions ---------------------------------------------------------------------


@_tensor_only
def kl_div(input: Any, target: Any, size_average: Any = None, reduce: Any = None,
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    """Kullback-Leibler divergence of ``target`` from the model: sum q (log q - input).

    ``input`` holds log-probabilities (``log_softmax`` output), ``target`` probabilities q
    (or log-probabilities with ``log_target=True``). A zero probability contributes 0
    (q log q -> 0). ``reduction='batchmean'`` divides the sum by the batch size, the
    true KL divergence per example; 'mean' divides by the number of elements (PyTorch's
    default, which is not the KL divergence: prefer 'batchmean').
    """
    if reduction not in ("mean", "sum", "none", "batchmean"):
        raise ValueError("kl_div: reduction must be 'batchmean', 'mean', 'sum' or 'none', got "
                         f"{reduction!r}")
    x, q = T.prepare(input, target, "kl_div", "log-probabilities")
    if log_target:
        loss = tg.exp(q) * (q - x)
    else:
        probs = T.numbers(q)
        if np.any(probs < 0):
            raise ValueError(f"kl_div: target probabilities must be >= 0, got {probs.min():g}; "
                             "if the targets are log-probabilities, pass log_target=True")
        positive = probs > 0
        # q log q with the limit 0 at q = 0: log is taken of 1 there (no -inf, no nan)
        q_log_q = tg.where(positive, q * tg.log(tg.where(positive, q, 1.0)), 0.0)
        loss = q_log_q - q * x
    if reduction == "batchmean":
        return loss.sum() / (x.shape[0] if x.ndim else 1)
    return T.reduce(loss, reduction)


# --- margins and rankings (labels -1 / +1) ----------------------------------------------


@_tensor_only
def margin_ranking_loss(input1: Any, input2: Any, target: Any, margin: float = 0.0,
                        size_average: Any = None, reduce: Any = None,
                        reduction: str = "mean") -> Tensor:
    """max(0, -y (x1 - x2) + margin): y = +1 says x1 should rank above x2, -1 below."""
    check_reduction("margin_ranking_loss", reduction)
    _same_shape("margin_ranking_loss", input1=input1, input2=input2, target=target)
    x1 = T.as_input(input1, "margin_ranking_loss", "scores")
    x2 = T.like_input(x1, input2, "margin_ranking_loss")
    y = _signs("margin_ranking_loss", target, x1)
    return T.reduce(_hinge_at(-y * (x1 - x2) + margin), reduction)


@_tensor_only
def hinge_embedding_loss(input: Any, target: Any, margin: float = 1.0,
                         size_average: Any = None, reduce: Any = None,
                         reduction: str = "mean") -> Tensor:
    """x where y = +1, max(0, margin - x) where y = -1: ``input`` is usually a distance,
    small for similar pairs (+1), at least ``margin`` for dissimilar ones (-1)."""
    check_reduction("hinge_embedding_loss", reduction)
    x = T.as_input(input, "hinge_embedding_loss", "distances")
    _same_shape("hinge_embedding_loss", input=x, target=target)
    y = _signs("hinge_embedding_loss", target, x)
    # each branch sees x only where it is chosen, so the other one's gradient is 0, not nan
    loss = tg.where(y == 1, tg.where(y == 1, x, 0.0), _hinge_at(margin - tg.where(y == 1, 0.0, x)))
    return T.reduce(loss, reduction)


@_tensor_only
def soft_margin_loss(input: Any, target: Any, size_average: Any = None, reduce: Any = None,
                     reduction: str = "mean") -> Tensor:
    """log(1 + exp(-y x)) for labels y = -1/+1: logistic regression on signs (a smooth
    hinge), computed as softplus(-y x), stable for large |x|."""
    check_reduction("soft_margin_loss", reduction)
    x = T.as_input(input, "soft_margin_loss", "scores")
    _same_shape("soft_margin_loss", input=x, target=target)
    y = _signs("soft_margin_loss", target, x)
    return T.reduce(tg.softplus(-y * x), reduction)


@_tensor_only
def cosine_embedding_loss(input1: Any, input2: Any, target: Any, margin: float = 0.0,
                          size_average: Any = None, reduce: Any = None,
                          reduction: str = "mean") -> Tensor:
    """1 - cos(x1, x2) where y = +1 (pull together), max(0, cos(x1, x2) - margin) where
    y = -1 (push apart), with the cosine along the last axis: rows (N, D) and labels (N,),
    or one pair (D,) and a 0-d label.

    cos = x1.x2 / sqrt((|x1|^2 + 1e-12)(|x2|^2 + 1e-12)), as PyTorch: 1e-12 keeps a
    zero vector finite.
    """
    name = "cosine_embedding_loss"
    check_reduction(name, reduction)
    a = T.as_input(input1, name, "vectors")
    b = T.like_input(a, input2, name)
    if a.ndim not in (1, 2):
        raise ValueError(f"{name}: inputs must be (N, D) rows or one (D,) vector, got {a.shape}")
    y = _signs(name, target, a)
    if y.shape != a.shape[:-1]:
        raise ValueError(f"{name}: target must have shape {a.shape[:-1]} (one label per "
                         f"pair), got {y.shape}")
    dot = (a * b).sum(axis=-1)
    norms = tg.sqrt((a * a).sum(axis=-1) + 1e-12) * tg.sqrt((b * b).sum(axis=-1) + 1e-12)
    cos = dot / norms
    loss = tg.where(y == 1, 1 - cos, _hinge_at(cos - margin))
    return T.reduce(loss, reduction)


def _pairwise_distance(a: Tensor, b: Tensor, p: float, eps: float) -> Tensor:
    """||a - b + eps||_p along the last axis (PyTorch's pairwise_distance): eps keeps the
    gradient of the norm finite when a = b."""
    return tg.norm(a - b + eps, p, axis=-1)


@_tensor_only
def triplet_margin_loss(anchor: Any, positive: Any, negative: Any, margin: float = 1.0,
                        p: float = 2, eps: float = 1e-6, swap: bool = False,
                        size_average: Any = None, reduce: Any = None,
                        reduction: str = "mean") -> Tensor:
    """max(d(a, pos) - d(a, neg) + margin, 0) with d the p-norm distance along the last
    axis: the anchor must be closer to the positive than to the negative by ``margin``.

    ``swap=True`` uses min(d(a, neg), d(pos, neg)) as the negative distance (the harder
    of the two, "distance swap").
    """
    name = "triplet_margin_loss"
    check_reduction(name, reduction)
    if not margin > 0:
        raise ValueError(f"{name}: margin must be > 0, got {margin!r}")
    a = T.as_input(anchor, name, "embeddings")
    pos, neg = T.like_input(a, positive, name), T.like_input(a, negative, name)
    if a.ndim not in (1, 2):
        raise ValueError(f"{name}: inputs must be (N, D) rows or one (D,) vector, got {a.shape}")
    d_pos = _pairwise_distance(a, pos, p, eps)
    d_neg = _pairwise_distance(a, neg, p, eps)
    if swap:
        d_neg = tg.minimum(d_neg, _pairwise_distance(pos, neg, p, eps))
    return T.reduce(_hinge_at(d_pos - d_neg + margin), reduction)


# --- classification --------------------------------------------------------------------


@_tensor_only
def multilabel_soft_margin_loss(input: Any, target: Any, weight: Any = None,
                                size_average: Any = None, reduce: Any = None,
                                reduction: str = "mean") -> Tensor:
    """Binary cross-entropy on logits for each of C labels (0/1 each), averaged over the
    labels: one loss per example (N,), then reduced. ``weight`` (C,) weighs the labels.

    Each term is y softplus(-x) + (1 - y) softplus(x): stable for large |x|.
    """
    name = "multilabel_soft_margin_loss"
    check_reduction(name, reduction)
    x, y = T.prepare(input, target, name, "scores (logits)")
    loss = y * tg.softplus(-x) + (1 - y) * tg.softplus(x)
    if weight is not None:
        loss = loss * T.weight_like(weight, x, name)
    per = loss.sum(axis=-1) / x.shape[-1] if x.ndim else loss
    return T.reduce(per, reduction)


@_tensor_only
def multi_margin_loss(input: Any, target: Any, p: int = 1, margin: float = 1.0,
                      weight: Any = None, size_average: Any = None, reduce: Any = None,
                      reduction: str = "mean") -> Tensor:
    """The multi-class hinge (SVM) loss: for an example with label y,
    sum over j != y of max(0, margin - x[y] + x[j])^p, divided by C.

    Every wrong class must score at least ``margin`` below the true one. ``p`` is 1 or
    2; ``weight`` (C,) multiplies each example's loss by the weight of its label.
    """
    name = "multi_margin_loss"
    check_reduction(name, reduction)
    if p not in (1, 2):
        raise ValueError(f"{name}: only p = 1 and p = 2 are supported, got {p!r}")
    x = T.as_input(input, name, "scores")
    _check_batch_input(name, x)
    single = x.ndim == 1
    c = x.shape[-1]
    y = _labels(name, target, None if single else x.shape[0], c)
    rows = x.reshape(1, c) if single else x
    labels = y.reshape(-1)
    picked = rows[np.arange(len(labels)), labels].reshape(-1, 1)  # x[i, y_i]
    is_label = labels[:, None] == np.arange(c)
    # the true class's own term is left out (it would always be max(0, margin))
    hinge = tg.relu(margin - picked + tg.where(is_label, 0.0, rows))
    hinge = tg.where(is_label, 0.0, hinge * hinge if p == 2 else hinge)
    if weight is not None:
        w = T.class_weights(weight, rows, name)
        hinge = hinge * w[labels][:, None]
    per = hinge.sum(axis=1) / c
    return T.reduce(per.reshape(()) if single else per, reduction)
