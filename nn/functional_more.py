"""The last of PyTorch's losses and fractional max pooling, as ``torch.nn.functional``
(re-exported by ``nn.functional``; the modules are in ``nn.loss_modules_more`` and
``nn.pooling_fractional``).

* ``triplet_margin_with_distance_loss``: the triplet loss with any distance, such as
  ``lambda a, b: 1 - F.cosine_similarity(a, b)``;
* ``multilabel_margin_loss``: the multi-label hinge loss, the true classes given as
  indices padded with -1;
* ``fractional_max_pool2d/3d`` (and ``*_with_indices``): max pooling by a fractional
  factor (Graham, 2014): windows of ``kernel_size`` whose starts follow a pseudo-random
  sequence, so a 7x7 map can become 5x5.

Every result is built from engine operations (a gather picks the pooled maxima), so the
gradients, and second derivatives, come from the engine.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import tinygrad_dk as tg
from nn import tensor_losses as T
from nn.functional import check_reduction
from nn.functional_extra import pairwise_distance
from nn.functional_layers import to_tensor
from nn.functional_resize import _per_axis, first_max, take_in_plane
from nn.losses_extra import _hinge_at, _tensor_only
from tinygrad_dk import Tensor

__all__ = ["triplet_margin_with_distance_loss", "multilabel_margin_loss",
           "fractional_max_pool2d", "fractional_max_pool3d",
           "fractional_max_pool2d_with_indices", "fractional_max_pool3d_with_indices"]


# --- losses ----------------------------------------------------------------------------------


@_tensor_only
def triplet_margin_with_distance_loss(anchor: Any, positive: Any, negative: Any, *,
                                      distance_function: Any = None, margin: float = 1.0,
                                      swap: bool = False, reduction: str = "mean") -> Tensor:
    """max(d(a, pos) - d(a, neg) + margin, 0) for any distance d (default
    ``pairwise_distance``, the Euclidean one): the anchor must be closer to the positive
    than to the negative by ``margin``.

    ``distance_function(x, y)`` gets two batches and returns one distance per row; e.g.
    ``lambda x, y: 1 - F.cosine_similarity(x, y)`` compares directions only. ``swap=True``
    uses min(d(a, neg), d(pos, neg)), the harder negative distance.
    """
    name = "triplet_margin_with_distance_loss"
    check_reduction(name, reduction)
    if not margin > 0:
        raise ValueError(f"{name}: margin must be > 0, got {margin!r}")
    a, pos, neg = (to_tensor(t) for t in (anchor, positive, negative))
    if not a.ndim == pos.ndim == neg.ndim:
        raise ValueError(f"{name}: anchor, positive and negative must have the same number of "
                         f"axes, got {a.ndim}, {pos.ndim} and {neg.ndim}")
    distance = pairwise_distance if distance_function is None else distance_function
    if not callable(distance):
        raise TypeError(f"{name}: distance_function must be a function of two batches, got "
                        f"{type(distance).__name__}")
    d_pos, d_neg = distance(a, pos), distance(a, neg)
    if swap:
        d_neg = tg.minimum(d_neg, distance(pos, neg))
    return T.reduce(_hinge_at(margin + d_pos - d_neg), reduction)


def _label_lists(name: str, target: Any, shape: tuple, c: int) -> tuple[np.ndarray, ...]:
    """The targets of multilabel_margin_loss as rows (N, C): the class indices (0 where a
    row's list has ended), which of them count (those before the first -1), and which
    classes are true ones (N, C)."""
    labels = np.asarray(getattr(target, "data", target))
    if labels.dtype.kind not in "iu":
        raise TypeError(f"{name}: targets must be integer class indices padded with -1, got "
                        f"dtype {labels.dtype}; convert with .long()")
    if labels.shape != shape:
        raise ValueError(f"{name}: the target must have the input's shape {shape} (class "
                         f"indices padded with -1), got {labels.shape}")
    rows = labels.reshape(-1, c).astype(np.int64)
    if rows.size and (rows.min() < -1 or rows.max() >= c):
        raise ValueError(f"{name}: target entries must be class indices 0 .. {c - 1} or the "
                         f"padding -1, got {rows.min()} .. {rows.max()}")
    counts = np.cumprod(rows >= 0, axis=1).astype(bool)  # the list ends at the first -1
    picked = np.where(counts, rows, 0)
    is_true = np.zeros(rows.shape, dtype=bool)
    example, slot = np.nonzero(counts)
    is_true[example, picked[example, slot]] = True
    return picked, counts, is_true


@_tensor_only
def multilabel_margin_loss(input: Any, target: Any, size_average: Any = None,
                           reduce: Any = None, reduction: str = "mean") -> Tensor:
    """The multi-label hinge loss: for every true class j and every other class i,
    max(0, 1 - (x[j] - x[i])), summed and divided by the number of classes C.

    Each true class must score at least 1 above every class that is not true. ``input``
    is (N, C) scores (or (C,) for one example); ``target`` has the same shape and lists
    each example's true classes first, then -1 (``[3, 0, -1, 1]``: classes 3 and 0; what
    follows the first -1 is ignored), as PyTorch.
    """
    name = "multilabel_margin_loss"
    check_reduction(name, reduction)
    x = T.as_input(input, name, "scores")
    if x.ndim > 2:
        raise ValueError(f"{name}: the input must be (N, C) scores or (C,) for one example, "
                         f"got shape {x.shape}")
    c = x.shape[-1] if x.ndim else 1
    picked, counts, is_true = _label_lists(name, target, x.shape, c)
    rows = x.reshape(-1, c)
    true_scores = rows.gather(1, Tensor(picked))  # x[n, y_nj] for every slot j
    gap = 1 - true_scores.reshape(-1, c, 1) + rows.reshape(-1, 1, c)  # (N, slot j, class i)
    pairs = counts[:, :, None] & ~is_true[:, None, :]  # counted slot, class not a true one
    # gap is kept only where it counts (so inf scores elsewhere send back no nan)
    per = tg.relu(tg.where(pairs, gap, 0.0)).sum(axis=(1, 2)) / c
    return T.reduce(per.reshape(x.shape[:-1]) if x.ndim else per.reshape(()), reduction)


# --- fractional max pooling --------------------------------------------------------------------

#: which of a plane's random samples drives which spatial axis (PyTorch's order: in 2-D
#: the first sample is for the width, in 3-D they go depth, height, width)
_SAMPLE_OF_AXIS = {2: (1, 0), 3: (0, 1, 2)}


def intervals(u: np.ndarray, n: int, out: int, k: int) -> np.ndarray:
    """PyTorch's window starts along one axis of length ``n``, for every sample u (in
    [0, 1)): with alpha = (n - k) / (out - 1), start i = floor((i + u) alpha) -
    floor(u alpha), the last start n - k (the last window ends at the edge).

    Computed in the samples' dtype, as PyTorch does, so float32 rounds alike and the
    starts agree exactly.
    """
    starts = np.empty(u.shape + (out,), dtype=np.int64)
    if out > 1:
        alpha = u.dtype.type(n - k) / u.dtype.type(out - 1)
        i = np.arange(out - 1, dtype=u.dtype)
        u = u[..., None]
        starts[..., :-1] = ((i + u) * alpha).astype(np.int64) - (u * alpha).astype(np.int64)
    if out > 0:
        starts[..., -1] = n - k
    return starts


def _fractional_indices(data: np.ndarray, samples: np.ndarray, kernel: list[int],
                        sizes: list[int]) -> np.ndarray:
    """For every output of every (batch, channel) plane, the flat index of its window's
    maximum in the plane (the first largest, or the last nan, as PyTorch)."""
    d = len(kernel)
    spatial = data.shape[-d:]
    lead = data.shape[:-d]
    offsets = np.indices(kernel).reshape(d, -1)  # the taps of a window, in row order
    where = np.zeros(lead + (1,) * d + (1,), dtype=np.int64)
    for axis in range(d):  # flat index = (..(p0 n1 + p1) n2 + p2 ..), p = start + tap
        starts = intervals(samples[..., _SAMPLE_OF_AXIS[d][axis]], spatial[axis],
                           sizes[axis], kernel[axis])
        shape = lead + tuple(sizes[axis] if a == axis else 1 for a in range(d)) + (1,)
        where = where * spatial[axis] + starts.reshape(shape) + offsets[axis]
    cells, taps = math.prod(sizes), offsets.shape[1]
    candidates = where.reshape(lead + (cells * taps,)) if cells else np.zeros(
        lead + (0,), dtype=np.int64)
    found = np.take_along_axis(data.reshape(lead + (-1,)), candidates, axis=-1)
    best = first_max(found.reshape(lead + (cells, taps)))
    chosen = np.take_along_axis(candidates.reshape(lead + (cells, taps)), best[..., None], -1)
    return chosen.reshape(lead + tuple(sizes))


def _samples(name: str, given: Any, x: Tensor, batch: int, d: int) -> np.ndarray:
    """The (batch, channels, d) uniform samples: ``_random_samples`` (checked as PyTorch
    does), or drawn from the engine's generator (``tinygrad_dk.manual_seed``)."""
    planes = x.shape[-d - 1]
    if given is None:
        return tg.rand(batch, planes, d, dtype=x.dtype).numpy()
    u = np.asarray(given.detach().numpy() if isinstance(given, Tensor) else given)
    if u.dtype != x.dtype:
        raise TypeError(f"{name}: _random_samples must have the input's dtype {x.dtype}, got "
                        f"{u.dtype}")
    if u.ndim != 3 or u.shape[0] < batch or u.shape[1] != planes or u.shape[2] != d:
        raise ValueError(f"{name}: _random_samples must have shape (batch >= {batch}, "
                         f"{planes}, {d}): {d} numbers in [0, 1) per (example, channel), "
                         f"got {u.shape}")
    return u[:batch]


def _fractional(d: int, input: Any, kernel_size: Any, output_size: Any, output_ratio: Any,
                return_indices: bool, _random_samples: Any) -> Any:
    name = f"fractional_max_pool{d}d"
    x = to_tensor(input)
    if x.ndim not in (d + 1, d + 2):
        raise ValueError(f"{name}: expected input of shape (batch, channels, *spatial) or "
                         f"(channels, *spatial) with {d} spatial axes, got {x.shape}")
    if x.dtype.kind != "f":
        raise TypeError(f"{name}: the input must hold floating-point numbers, got dtype "
                        f"{x.dtype}; convert it with .float()")
    spatial = x.shape[-d:]
    kernel = [int(k) for k in _per_axis(name, kernel_size, d, "kernel_size")]
    if output_size is None and output_ratio is None:
        raise ValueError(f"{name} requires specifying either an output_size or an "
                         "output_ratio")
    if output_size is not None and output_ratio is not None:
        raise ValueError(f"{name}: only one of output_size and output_ratio may be specified")
    if output_size is None:  # as PyTorch: the size rounded down
        sizes = [int(n * r) for n, r in zip(spatial, _per_axis(name, output_ratio, d,
                                                                "output_ratio"))]
    else:
        sizes = [int(s) for s in _per_axis(name, output_size, d, "output_size")]
    if min(kernel) < 1 or min(sizes) < 0:
        raise ValueError(f"{name}: kernel_size {tuple(kernel)} must be positive and the "
                         f"output size {tuple(sizes)} not negative")
    room = 0 if d == 2 else 1  # PyTorch's 3-D check is strict: one element to spare
    for n, k, o in zip(spatial, kernel, sizes):
        if o + k - 1 + room > n:
            raise ValueError(f"{name}: {o} windows of size {k} do not fit in an axis of "
                             f"{n} (output size + kernel_size - 1 must be "
                             f"{'<=' if d == 2 else '<'} the input size, as in PyTorch); use "
                             "a smaller kernel_size or output size")
    batched = x.ndim == d + 2
    u = _samples(name, _random_samples, x, x.shape[0] if batched else 1, d)
    data = x.numpy() if batched else x.numpy()[None]
    where = _fractional_indices(data, u, kernel, sizes)
    where = where if batched else where[0]
    out = take_in_plane(x, where, d)
    return (out, Tensor(where)) if return_indices else out


def fractional_max_pool2d(input: Any, kernel_size: Any, output_size: Any = None,
                          output_ratio: Any = None, return_indices: bool = False,
                          _random_samples: Any = None) -> Any:
    """Max pooling of (N, C, H, W) (or (C, H, W)) to ``output_size`` (or the input size times
    ``output_ratio``, rounded down) with ``kernel_size`` windows at pseudo-random starts.

    Each (example, channel) plane draws two numbers u in [0, 1) (``_random_samples``
    (N, C, 2) gives them: width first, then height), and ``intervals`` turns each into the
    window starts along its axis. The gradient goes to each window's maximum.
    """
    return _fractional(2, input, kernel_size, output_size, output_ratio, return_indices,
                       _random_samples)


def fractional_max_pool3d(input: Any, kernel_size: Any, output_size: Any = None,
                          output_ratio: Any = None, return_indices: bool = False,
                          _random_samples: Any = None) -> Any:
    """Fractional max pooling of a volume (N, C, T, H, W) (or (C, T, H, W)); samples
    (N, C, 3) for depth, height and width. See ``fractional_max_pool2d``."""
    return _fractional(3, input, kernel_size, output_size, output_ratio, return_indices,
                       _random_samples)


def fractional_max_pool2d_with_indices(input: Any, kernel_size: Any, output_size: Any = None,
                                       output_ratio: Any = None, return_indices: bool = False,
                                       _random_samples: Any = None) -> tuple[Tensor, Tensor]:
    """``fractional_max_pool2d(..., return_indices=True)``: the maxima and where they were."""
    return _fractional(2, input, kernel_size, output_size, output_ratio, True, _random_samples)


def fractional_max_pool3d_with_indices(input: Any, kernel_size: Any, output_size: Any = None,
                                       output_ratio: Any = None, return_indices: bool = False,
                                       _random_samples: Any = None) -> tuple[Tensor, Tensor]:
    """``fractional_max_pool3d(..., return_indices=True)``: the maxima and where they were."""
    return _fractional(3, input, kernel_size, output_size, output_ratio, True, _random_samples)
