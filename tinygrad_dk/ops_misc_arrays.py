"""More of PyTorch's functions on whole tensors: distances (``cosine_similarity``,
``pairwise_distance``, ``pdist``), writing one tensor into another (``index_copy``,
``masked_scatter``, ``select_scatter``, ``slice_scatter``), products (``addr``,
``addbmm``, ``chain_matmul``), ``renorm``, ``vander``, ``diagflat``, ``combinations``,
and the index and counting helpers ``argwhere``, ``unravel_index``,
``unique_consecutive`` and ``histogram`` (no gradient).

Every differentiable one is a composition of existing operations, so its gradient (and
second derivative) comes for free. The four that write ``src`` into ``x`` share one
mechanism, ``_place``: src put into zeros at an index (``index_add``, getitem's own
derivative) and chosen by a mask where it goes (``where``).
"""

from __future__ import annotations

import itertools
from typing import Any, NamedTuple

import numpy as np

from tinygrad_dk import ops, ops_index, ops_layout, ops_linalg, ops_shape
from tinygrad_dk.ops_extra import _tensor
from tinygrad_dk.ops_index import _check_axis
from tinygrad_dk.primitive import raw

# --- distances -----------------------------------------------------------------------------


def _at_least(norm: Any, eps: float) -> Any:
    """max(norm, eps) in value, with the gradient of ``norm`` itself: PyTorch raises small
    norms to eps outside of autograd, so their gradient passes unchanged."""
    data = raw(norm)
    # only below eps (an infinite norm stays inf: inf - inf would be nan)
    return norm + np.where(data < eps, eps - data, 0).astype(data.dtype)


def cosine_similarity(x1: Any, x2: Any, dim: int = 1, eps: float = 1e-8) -> Any:
    """cos of the angle between x1 and x2 along ``dim`` (they broadcast): 1 for the same
    direction, 0 at right angles, -1 opposite. Each is divided by its norm first (raised
    to ``eps``), as PyTorch does, which keeps the result within [-1, 1]."""
    a, b = _tensor(x1), _tensor(x2)
    try:
        shape = np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"cosine_similarity: shapes {a.shape} and {b.shape} do not "
                         "broadcast") from None
    a, b = a.expand(*shape), b.expand(*shape)
    na = _at_least(a.norm(2, dim=dim, keepdim=True), eps)
    nb = _at_least(b.norm(2, dim=dim, keepdim=True), eps)
    return ((a / na) * (b / nb)).sum(dim=dim)


def pairwise_distance(x1: Any, x2: Any, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Any:
    """||x1 - x2 + eps||_p along the last axis: the distance between matching rows (eps
    keeps the norm's gradient finite when the rows are equal)."""
    diff = _tensor(x1) - _tensor(x2) + eps
    if diff.ndim == 0:
        raise ValueError("pairwise_distance: the inputs need at least one axis (the vectors)")
    return diff.norm(p, dim=-1, keepdim=keepdim)


def pdist(x: Any, p: float = 2.0) -> Any:
    """The p-norm distance between every pair of rows i < j of an (N, M) matrix, in the
    order (0, 1), (0, 2), ..., (1, 2), ...: N (N - 1) / 2 numbers."""
    x = _tensor(x)
    if x.ndim != 2:
        raise ValueError(f"pdist: needs a matrix (N, M) of N row vectors, got shape {x.shape}")
    if p < 0:
        raise ValueError(f"pdist: p must be >= 0, got {p}")
    i, j = np.triu_indices(x.shape[0], 1)
    diff = x[i] - x[j]
    if diff.numel() == 0:  # no pairs, or vectors of no numbers: all distances are 0
        return diff.sum(dim=-1)
    # Equal rows are at distance 0 with gradient exactly 0, as PyTorch's (even for an
    # infinite upstream gradient, which the norm's own 0 * inf would turn into nan)
    same = np.all(raw(diff) == 0, axis=-1, keepdims=True)
    safe = ops.where(same, 1.0, diff) if same.any() else diff
    dist = _largest_ties(safe) if p == np.inf else safe.norm(p, dim=-1)
    return ops.where(same[..., 0], 0.0, dist) if same.any() else dist


def _largest_ties(diff: Any) -> Any:
    """max |diff| along the last axis, where (as PyTorch's pdist) every element tied for the
    largest gets the whole gradient (max would share it): the largest value plus
    (|d| - its value) of each tie, which adds 0 but carries each tie's slope."""
    a = ops.abs(diff)
    largest = np.max(raw(a), axis=-1, keepdims=True)
    ties = raw(a) == largest
    return ops.where(ties, a - raw(a), 0.0).sum(dim=-1) + largest[..., 0]


# --- writing one tensor into another -----------------------------------------------------------


def _place(x: Any, key: Any, src: Any, op: str) -> Any:
    """x with ``src`` written at ``x[key]`` (the one mechanism of the scatters here):
    src put into zeros at key (getitem's derivative, so src's gradient is g[key]) and
    chosen where key points; x's gradient is g with 0 there."""
    x, src = _tensor(x), _tensor(src)
    target = np.shape(np.empty(x.shape)[key])
    if tuple(src.shape) != target:
        try:
            src = src.expand(*target)
        except (ValueError, RuntimeError):
            raise ValueError(f"{op}: src has shape {tuple(src.shape)}, but the place it goes "
                             f"to has shape {target}") from None
    if src.dtype != x.dtype:
        src = ops.astype(src, x.dtype)
    mask = np.zeros(x.shape, dtype=bool)
    mask[key] = True
    return ops.where(mask, ops_shape.index_add(src, key, tuple(x.shape)), x)


def _along(ndim: int, dim: int, index: Any) -> tuple:
    """The numpy index that takes ``index`` along axis ``dim`` (all of the other axes)."""
    return (slice(None),) * dim + (index,)


def index_copy(x: Any, dim: int, index: Any, source: Any) -> Any:
    """x with the slices ``index`` along ``dim`` replaced by those of ``source``. An index
    given twice: the last of its slices wins (as numpy's assignment and PyTorch's CPU
    kernel; PyTorch documents the case as undefined), and the others get no gradient."""
    x = _tensor(x)
    idx = np.asarray(raw(index))
    if idx.ndim > 1 or idx.dtype.kind not in "iu":
        raise IndexError(f"index_copy: index must be a vector of integers, got {idx.dtype} of "
                         f"shape {idx.shape}")
    d = _check_axis("index_copy", dim, x.ndim)
    if x.ndim == 0:
        return _place(x, (), _tensor(source).reshape(()), "index_copy")
    flat = idx.reshape(-1)
    slots = np.where(flat < 0, flat + x.shape[d], flat)  # -1 and n - 1 are the same slot
    _, first_from_end = np.unique(slots[::-1], return_index=True)
    last = np.sort(len(slots) - 1 - first_from_end)  # each slot's last position in index
    if len(last) < len(slots):
        source = ops_shape.getitem(_tensor(source), _along(x.ndim, d, last))
        flat = flat[last]
    return _place(x, _along(x.ndim, d, flat), source, "index_copy")


def select_scatter(x: Any, src: Any, dim: int, index: int) -> Any:
    """x with ``x.select(dim, index)`` replaced by ``src``."""
    x = _tensor(x)
    d = _check_axis("select_scatter", dim, x.ndim)
    n = x.shape[d]
    if not -n <= index < n:
        raise IndexError(f"select_scatter: index {index} is out of range for dim {dim} of "
                         f"length {n}")
    return _place(x, _along(x.ndim, d, index % n), src, "select_scatter")


def slice_scatter(x: Any, src: Any, dim: int = 0, start: int | None = None,
                  end: int | None = None, step: int = 1) -> Any:
    """x with ``x[start:end:step]`` along ``dim`` replaced by ``src``."""
    x = _tensor(x)
    if step < 1:
        raise ValueError(f"slice_scatter: step must be positive, got {step}")
    d = _check_axis("slice_scatter", dim, x.ndim)
    return _place(x, _along(x.ndim, d, slice(start, end, step)), src, "slice_scatter")


def masked_scatter(x: Any, mask: Any, source: Any) -> Any:
    """x with the elements where ``mask`` holds (broadcast to x) replaced, in order, by the
    first elements of ``source`` (read flat)."""
    x, source = _tensor(x), _tensor(source)
    m = np.asarray(raw(mask))
    if m.dtype != np.bool_:
        raise TypeError(f"masked_scatter: the mask must be a bool tensor, got {m.dtype}")
    m = np.broadcast_to(m, x.shape)
    count = int(m.sum())
    if count > source.numel():
        raise ValueError(f"masked_scatter: the mask selects {count} elements but source has "
                         f"only {source.numel()}")
    return _place(x, m, source.reshape(-1)[:count], "masked_scatter")


# --- products and norms ------------------------------------------------------------------


def addr(x: Any, vec1: Any, vec2: Any, *, beta: float = 1, alpha: float = 1) -> Any:
    """beta * x + alpha * outer(vec1, vec2)."""
    return ops_linalg.scaled_sum(x, ops_linalg.outer(_tensor(vec1), _tensor(vec2)), beta, alpha)


def addbmm(x: Any, batch1: Any, batch2: Any, *, beta: float = 1, alpha: float = 1) -> Any:
    """beta * x + alpha * (the sum over the batch of batch1[i] @ batch2[i])."""
    b1, b2 = _tensor(batch1), _tensor(batch2)
    if b1.ndim != 3 or b2.ndim != 3:
        raise ValueError(f"addbmm: batch1 and batch2 must be batches of matrices (3 dims), got "
                         f"shapes {b1.shape} and {b2.shape}")
    return ops_linalg.scaled_sum(x, ops_linalg.bmm(b1, b2).sum(dim=0), beta, alpha)


def chain_matmul(*matrices: Any) -> Any:
    """The product of the matrices, left to right (PyTorch's older ``linalg.multi_dot``)."""
    if len(matrices) == 1 and isinstance(matrices[0], (list, tuple)):
        matrices = tuple(matrices[0])
    if not matrices:
        raise ValueError("chain_matmul: needs at least one matrix")
    ms = [_tensor(m) for m in matrices]
    for m in ms:
        if m.ndim != 2:
            raise ValueError(f"chain_matmul: every argument must be a matrix, got shape {m.shape}")
    out = ms[0] if len(ms) > 1 else ms[0].clone()
    for m in ms[1:]:
        out = ops.matmul(out, m)
    return out


def renorm(x: Any, p: float, dim: int, maxnorm: float) -> Any:
    """Each slice along ``dim`` whose p-norm exceeds ``maxnorm`` scaled down to norm
    maxnorm (the others unchanged), as PyTorch: factor maxnorm / (norm + 1e-7)."""
    x = _tensor(x)
    d = _check_axis("renorm", dim, x.ndim)
    if x.ndim < 2:
        raise ValueError(f"renorm: needs at least 2 dims, got shape {x.shape}")
    others = tuple(a for a in range(x.ndim) if a != d)
    norm = x.norm(p, dim=others, keepdim=True)
    factor = ops.where(raw(norm) > maxnorm, maxnorm / (norm + 1e-7), 1.0)
    return x * ops.astype(factor, x.dtype) if factor.dtype != x.dtype else x * factor


def vander(x: Any, N: int | None = None, increasing: bool = False) -> Any:  # noqa: N803
    """The Vandermonde matrix of a vector: columns x^(N-1), ..., x, 1 (``increasing``:
    1, x, ..., x^(N-1)); each power is the one before times x (no 0^-1 in a gradient)."""
    x = _tensor(x)
    if x.ndim != 1:
        raise ValueError(f"vander: x must be a vector, got shape {x.shape}")
    n = x.shape[0] if N is None else N
    if n < 0:
        raise ValueError(f"vander: N must be >= 0, got {n}")
    if x.dtype == np.bool_ or x.dtype.kind in "iu" and x.dtype != np.int64:
        x = ops.astype(x, np.int64)  # PyTorch's integer result is int64
    powers = [ops.astype(_tensor(np.ones(x.shape, x.dtype)), x.dtype)] if n else []
    for _ in range(1, n):
        powers.append(powers[-1] * x)
    if not increasing:
        powers.reverse()
    return ops_shape.stack(powers, axis=1) if powers else _tensor(np.zeros((x.shape[0], 0),
                                                                            x.dtype))


def diagflat(x: Any, offset: int = 0) -> Any:
    """The elements of x (flattened) on diagonal ``offset`` of a square matrix of zeros."""
    return ops_layout.diag(_tensor(x).reshape(-1), offset)


def combinations(x: Any, r: int = 2, with_replacement: bool = False) -> Any:
    """Every combination of ``r`` elements of a vector, one row each (as itertools)."""
    x = _tensor(x)
    if x.ndim != 1:
        raise ValueError(f"combinations: x must be a vector, got shape {x.shape}")
    if r < 0:
        raise ValueError(f"combinations: r must be >= 0, got {r}")
    pick = (itertools.combinations_with_replacement if with_replacement
            else itertools.combinations)
    if r == 0:  # PyTorch's empty result for r = 0 is a 0-length vector
        return x[np.zeros(0, np.int64)]
    rows = np.asarray(list(pick(range(x.shape[0]), r)), dtype=np.int64).reshape(-1, r)
    return x[rows]


# --- positions and counts (no gradient) ------------------------------------------------


def argwhere(x: Any) -> Any:
    """The positions of the non-zero elements, one row each (as ``nonzero()``)."""
    return ops_index.nonzero(_tensor(x))


def unravel_index(indices: Any, shape: Any) -> tuple:
    """Flat indices as a tuple of coordinate tensors for ``shape`` (negative ones count
    from the end, as PyTorch)."""
    idx = np.asarray(raw(indices))
    if idx.dtype.kind not in "iu":
        raise TypeError(f"unravel_index: indices must be integers, got {idx.dtype}")
    shape = (int(shape),) if np.ndim(shape) == 0 else tuple(int(s) for s in shape)
    size = int(np.prod(shape))
    if np.any((idx < -size) | (idx >= size)):
        raise IndexError(f"unravel_index: an index is out of range for shape {shape} "
                         f"({size} elements)")
    coords = np.unravel_index(np.where(idx < 0, idx + size, idx).astype(np.int64), shape)
    return tuple(_tensor(np.asarray(c, dtype=np.int64)) for c in coords)


def unique_consecutive(x: Any, return_inverse: bool = False, return_counts: bool = False,
                       dim: int | None = None) -> Any:
    """x without consecutive repeats (``[1, 1, 2, 1] -> [1, 2, 1]``), over the flattened
    tensor or of slices along ``dim``; with the inverse (which run each element is in,
    shaped as x, or as dim) and the length of each run."""
    x = _tensor(x)
    data = raw(x)
    if dim is None:
        flat = data.reshape(-1)
        new = np.ones(flat.shape, bool)
        new[1:] = flat[1:] != flat[:-1]
        values, inverse_shape = flat[new], data.shape
    else:
        d = _check_axis("unique_consecutive", dim, data.ndim)
        rest = data.shape[:d] + data.shape[d + 1:]
        if 0 in rest:
            raise RuntimeError(f"unique_consecutive: shape {data.shape} has an axis of length 0 "
                               f"besides dim {dim}, so there are no slices to compare")
        n = data.shape[d] if data.ndim else 1
        moved = np.moveaxis(data, d, 0).reshape(n, int(np.prod(rest, dtype=np.int64)))
        new = np.ones(moved.shape[0], bool)
        new[1:] = (moved[1:] != moved[:-1]).any(axis=1)
        values, inverse_shape = np.compress(new, data, axis=d), (moved.shape[0],)
    inverse = (np.cumsum(new) - 1).reshape(inverse_shape)
    starts = np.flatnonzero(new)
    counts = np.diff(np.append(starts, new.shape[0]))
    out = [type(x)(np.ascontiguousarray(values))]
    if return_inverse:
        out.append(type(x)(inverse.astype(np.int64)))
    if return_counts:
        out.append(type(x)(counts.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


class Histogram(NamedTuple):
    """``histogram``'s result, as PyTorch's: the counts (or densities) and the bin edges."""

    hist: Any
    bin_edges: Any


def histogram(x: Any, bins: Any = 100, *, range: Any = None,  # noqa: A002
              weight: Any = None, density: bool = False) -> Histogram:
    """Counts of the values in ``bins`` equal bins over ``range`` (default: the smallest
    to the largest value), or in the bins between the given edges (a tensor); with
    ``weight``, sums of weights; with ``density``, divided so that the area is 1."""
    x = _tensor(x)
    if not x.is_floating_point():
        raise TypeError(f"histogram: needs a floating-point tensor, got {x.dtype}; convert it "
                        "first (x.float())")
    edges = raw(bins)
    edges = int(edges) if np.ndim(edges) == 0 else np.asarray(edges, dtype=np.float64)
    w = None if weight is None else np.asarray(raw(weight), dtype=np.float64).reshape(-1)
    hist, edge_out = np.histogram(raw(x).reshape(-1).astype(np.float64), bins=edges,
                                  range=range, weights=w, density=density)
    return Histogram(type(x)(hist.astype(x.dtype)), type(x)(edge_out.astype(x.dtype)))
