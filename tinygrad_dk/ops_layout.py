"""PyTorch's layout operations: repeating, flipping, rolling, moving axes, cutting a tensor
into pieces and joining pieces, diagonals and triangles.

None of them needs a derivative of its own: each is built from the moves of
``ops_shape`` (``reshape``, ``transpose``, ``broadcast_to``, ``getitem``,
``concatenate``, ``stack``) and ``ops.where``, whose derivatives send every number's
gradient back to where it came from. So they have first and second derivatives for
free, and a reader checks one short composition instead of a new formula.

The functions take a Tensor or a numpy array (in-place methods call them on arrays)
and PyTorch's arguments; ``tinygrad_dk.tensor_names`` and ``toplevel`` give them their names.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from tinygrad_dk import spelling
from tinygrad_dk.ops import where
from tinygrad_dk.ops_index import _check_axis
from tinygrad_dk.ops_shape import (
    broadcast_to,
    concatenate,
    getitem,
    index_add,
    reshape,
    transpose,
)
from tinygrad_dk.primitive import raw


def _shape(x: Any) -> tuple[int, ...]:
    return np.shape(raw(x))


def _dims(op: str, dims: Any, ndim: int) -> list[int]:
    """One dim or several, as positions 0..ndim-1 in the given order; repeats refused."""
    dims = [dims] if isinstance(dims, (int, np.integer)) else list(dims)
    out = [_check_axis(op, d, ndim) for d in dims]
    if len(set(out)) != len(out):
        raise RuntimeError(f"{op}: dims {dims} name the same dimension twice; give each once")
    return out


def _along(dim: int, index: Any) -> tuple:
    """The index that applies ``index`` to axis ``dim`` and keeps the axes before it."""
    return (slice(None),) * dim + (index,)


def _integers(values: Any) -> np.ndarray:
    """A number, list, array or Tensor as a numpy array (an empty list as int64, not
    numpy's float64); the caller checks that it holds integers."""
    if isinstance(values, (list, tuple)) and not values:
        return np.zeros(0, dtype=np.int64)
    return np.asarray(raw(values))


def _sizes(sizes: tuple, given: Any = None, keyword: str = "dims") -> tuple[int, ...]:
    """``f(2, 3)``, ``f((2, 3))`` or ``f(dims=(2, 3))``: the sizes as one tuple of ints."""
    return tuple(int(s) for s in spelling.sizes(sizes, given, keyword))


# --- repeating, flipping, rolling ------------------------------------------------------


def repeat(x: Any, *sizes: Any) -> Any:
    """PyTorch's ``x.repeat(2, 3)``: the whole tensor tiled 2 times along axis 0 and 3
    times along axis 1 (numpy's ``tile``); more sizes than axes add leading axes."""
    sizes = _sizes(sizes)
    shape = _shape(x)
    if len(sizes) < len(shape):
        raise RuntimeError(f"repeat: {len(sizes)} repeat counts for a tensor with {len(shape)} "
                           "dimensions; give one count per dimension (extra ones add leading "
                           "dimensions), or use tile, which fills in 1s")
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"repeat: the counts {sizes} must not be negative")
    shape = (1,) * (len(sizes) - len(shape)) + shape
    # each axis n becomes a pair (1, n); broadcasting the 1 to the count r and merging
    # the pair gives r copies of the axis one after the other
    paired = reshape(x, tuple(v for n in shape for v in (1, n)))
    copies = broadcast_to(paired, tuple(v for r, n in zip(sizes, shape) for v in (r, n)))
    return reshape(copies, tuple(r * n for r, n in zip(sizes, shape)))


def tile(x: Any, *reps: Any, dims: Any = None) -> Any:
    """numpy's ``tile``: as ``repeat``, but fewer counts than axes count 1 for the first axes
    (the counts as arguments, a tuple or PyTorch's ``dims=``)."""
    dims = _sizes(reps, dims)
    return repeat(x, (1,) * (len(_shape(x)) - len(dims)) + dims)


def repeat_interleave(x: Any, repeats: Any, dim: int | None = None, *,
                      output_size: int | None = None) -> Any:
    """Each element repeated ``repeats`` times in place: [a, b] -> [a, a, b, b]
    (``repeats`` one count, or one per element along ``dim``; no dim: flattened first).
    ``output_size`` (PyTorch's hint for GPUs) is accepted and not needed here."""
    if dim is None:
        x, dim = reshape(x, (-1,)), 0
    dim = _check_axis("repeat_interleave", dim, len(_shape(x)))
    counts = _integers(repeats)
    if counts.dtype.kind not in "iu" or counts.ndim > 1 or (counts < 0).any():
        raise RuntimeError(f"repeat_interleave: repeats must be a non-negative int or a 1-D "
                           f"tensor of them, got {counts!r}")
    n = _shape(x)[dim] if _shape(x) else 1
    if counts.ndim == 1 and counts.size not in (1, n):
        raise RuntimeError(f"repeat_interleave: {counts.size} repeat counts for a dimension of "
                           f"size {n}; give one count, or one per element")
    return getitem(x, _along(dim, np.repeat(np.arange(n), counts)))


def flip(x: Any, *axes: Any, dims: Any = None) -> Any:
    """The order of the elements along ``dims`` reversed (``flip(x, 0, 1)``,
    ``flip(x, (0, 1))`` or PyTorch's ``flip(x, dims=[0, 1])``)."""
    dims = _dims("flip", _sizes(axes, dims), len(_shape(x)))
    if not _shape(x):  # a number: its only "dim" (0 or -1) has nothing to reverse
        return getitem(x, ())
    index = [slice(None)] * len(_shape(x))
    for d in dims:
        index[d] = slice(None, None, -1)
    return getitem(x, tuple(index))


def fliplr(x: Any) -> Any:
    """Left-right flip: the columns (dim 1) reversed; needs 2 or more dimensions."""
    if len(_shape(x)) < 2:
        raise RuntimeError("fliplr: the input must have at least 2 dimensions (it flips dim 1)")
    return flip(x, 1)


def flipud(x: Any) -> Any:
    """Up-down flip: the rows (dim 0) reversed; needs 1 or more dimensions."""
    if len(_shape(x)) < 1:
        raise RuntimeError("flipud: the input must have at least 1 dimension (it flips dim 0)")
    return flip(x, 0)


def roll(x: Any, shifts: Any, dims: Any = None) -> Any:
    """The elements shifted along ``dims`` by ``shifts``, those falling off one end coming
    back at the other; without dims, the flattened tensor is rolled and reshaped back."""
    shifts = _sizes((shifts,))
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"roll: {len(shifts)} shifts without dims; give one dim per shift")
        return reshape(roll(reshape(x, (-1,)), shifts, 0), _shape(x))
    dims = _sizes((dims,))
    if len(shifts) != len(dims):
        raise RuntimeError(f"roll: {len(shifts)} shifts and {len(dims)} dims; give one shift "
                           "per dim")
    for s, d in zip(shifts, dims):
        d = _check_axis("roll", d, len(_shape(x)))
        n = _shape(x)[d] if _shape(x) else 1
        cut = n - s % n if n else 0  # the last s elements move to the front
        x = concatenate([getitem(x, _along(d, slice(cut, None))),
                         getitem(x, _along(d, slice(None, cut)))], axis=d)
    return x


def rot90(x: Any, k: int = 1, dims: Sequence[int] = (0, 1)) -> Any:
    """Rotated by 90 degrees ``k`` times, from the first of ``dims`` towards the second."""
    if len(dims) != 2:
        raise RuntimeError(f"rot90: dims must name two dimensions, got {tuple(dims)}")
    if len(_shape(x)) < 2:
        raise RuntimeError(f"rot90: the input must have at least 2 dimensions, got shape "
                           f"{_shape(x)}")
    a, b = _dims("rot90", dims, len(_shape(x)))
    k %= 4
    if k == 1:
        return swapdims(flip(x, b), a, b)
    if k == 2:
        return flip(x, a, b)
    if k == 3:
        return swapdims(flip(x, a), a, b)
    return getitem(x, ())  # a new node holding the same numbers


# --- moving axes -------------------------------------------------------------------------


def movedim(x: Any, source: Any, destination: Any) -> Any:
    """The axes ``source`` moved to the positions ``destination``; the others keep their order."""
    ndim = len(_shape(x))
    src, dst = _dims("movedim", source, ndim), _dims("movedim", destination, ndim)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: {len(src)} source dims but {len(dst)} destinations; give "
                           "as many of each")
    order = [d for d in range(ndim) if d not in src]
    for to, frm in sorted(zip(dst, src)):  # filled left to right, each lands where it asks
        order.insert(to, frm)
    return transpose(x, tuple(order))


def swapdims(x: Any, dim0: int, dim1: int) -> Any:
    """Two axes exchanged (PyTorch's ``transpose(dim0, dim1)``)."""
    order = list(range(len(_shape(x))))
    a, b = (_check_axis("swapdims", d, len(order)) for d in (dim0, dim1))
    order[a], order[b] = order[b], order[a]
    return transpose(x, tuple(order))


def mT(x: Any) -> Any:  # noqa: N802 - PyTorch's name
    """The last two axes exchanged: a batch of matrices, each transposed."""
    if not _shape(x):  # a number stays itself (PyTorch's rule)
        return getitem(x, ())
    if len(_shape(x)) < 2:
        raise RuntimeError(f"mT: needs a matrix or a batch of matrices, got shape {_shape(x)}; "
                           "a vector has no transpose here (use unsqueeze to make a matrix)")
    return swapdims(x, -2, -1)


def narrow(x: Any, dim: int, start: Any, length: int) -> Any:
    """``length`` elements along ``dim`` from ``start`` on (start may count from the end)."""
    dim = _check_axis("narrow", dim, len(_shape(x)))
    n = _shape(x)[dim]
    start = int(raw(start))
    if not -n <= start <= n or length < 0:
        raise IndexError(f"narrow: start {start} or length {length} is out of range for a "
                         f"dimension of size {n}")
    if start < 0:
        start += n
    if start + length > n:
        raise RuntimeError(f"narrow: start ({start}) + length ({length}) exceeds the dimension's "
                           f"size ({n}); shorten the length or start earlier")
    return getitem(x, _along(dim, slice(start, start + length)))


def select(x: Any, dim: int, index: Any) -> Any:
    """The slice at position ``index`` along ``dim``, without that axis (``x[:, i]``)."""
    dim = _check_axis("select", dim, len(_shape(x)))
    n, index = _shape(x)[dim], int(raw(index))
    if not -n <= index < n:
        raise IndexError(f"select: index {index} is out of range for dimension {dim} of size "
                         f"{n}; use -{n}..{n - 1}")
    return getitem(x, _along(dim, index))


def unflatten(x: Any, dim: int, sizes: Sequence[int]) -> Any:
    """Axis ``dim`` split into several of ``sizes`` (one may be -1): flatten's inverse."""
    shape = _shape(x)
    dim = _check_axis("unflatten", dim, len(shape))
    sizes = tuple(int(s) for s in sizes)
    known = math.prod(s for s in sizes if s != -1)
    if sizes.count(-1) > 1 or (known != shape[dim] if -1 not in sizes
                               else known == 0 or shape[dim] % known):
        raise RuntimeError(f"unflatten: the sizes {sizes} do not multiply up to {shape[dim]}, "
                           f"the size of dimension {dim}")
    if -1 in sizes:  # counted here: numpy cannot infer -1 for 0 elements
        sizes = tuple(shape[dim] // known if s == -1 else s for s in sizes)
    return reshape(x, shape[:dim] + sizes + shape[dim + 1:])


def _at_least(x: Any, ndim: int) -> Any:
    """x with axes of length 1 added as numpy's atleast_1d/2d/3d does."""
    shape = _shape(x)
    if len(shape) >= ndim:
        return x
    if ndim == 3 and len(shape) >= 1:  # a vector (n,) -> (1, n, 1); a matrix gets (..., 1)
        shape = ((1,) + shape if len(shape) == 1 else shape) + (1,)
    else:
        shape = (1,) * (ndim - len(shape)) + shape
    return reshape(x, shape)


def _at_least_all(tensors: tuple, ndim: int) -> Any:
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
        return tuple(_at_least(t, ndim) for t in tensors)
    out = tuple(_at_least(t, ndim) for t in tensors)
    return out[0] if len(out) == 1 else out


def atleast_1d(*tensors: Any) -> Any:
    """Each tensor with at least 1 dimension (a number becomes shape (1,)); a tuple for several."""
    return _at_least_all(tensors, 1)


def atleast_2d(*tensors: Any) -> Any:
    """Each tensor with at least 2 dimensions (a vector (n,) becomes (1, n))."""
    return _at_least_all(tensors, 2)


def atleast_3d(*tensors: Any) -> Any:
    """Each tensor with at least 3 dimensions ((n,) -> (1, n, 1), (m, n) -> (m, n, 1))."""
    return _at_least_all(tensors, 3)


# --- diagonals and triangles -------------------------------------------------------------


def _diagonal_positions(rows: int, cols: int, offset: int) -> tuple[np.ndarray, np.ndarray]:
    """(row, column) of the elements of diagonal ``offset`` of a rows x cols matrix
    (offset > 0: above the main diagonal, < 0: below)."""
    if offset >= 0:
        r = np.arange(max(0, min(rows, cols - offset)))
        return r, r + offset
    c = np.arange(max(0, min(rows + offset, cols)))
    return c - offset, c


def diagonal(x: Any, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Any:
    """The diagonal ``offset`` of the matrices spanned by ``dim1`` and ``dim2``, as the
    last axis of the result (the other axes stay in order)."""
    shape = _shape(x)
    if len(shape) < 2:
        raise RuntimeError(f"diagonal: needs at least 2 dimensions, got shape {shape}")
    a, b = _dims("diagonal", (dim1, dim2), len(shape))
    rows, cols = _diagonal_positions(shape[a], shape[b], offset)
    return getitem(movedim(x, (a, b), (-2, -1)), (Ellipsis, rows, cols))


def diag_embed(x: Any, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Any:
    """Each vector along the last axis put on diagonal ``offset`` of a square matrix of
    zeros; the matrix spans ``dim1`` and ``dim2`` of the result."""
    shape = _shape(x)
    if not shape:
        raise RuntimeError("diag_embed: needs at least 1 dimension (the vectors to embed)")
    m = shape[-1] + abs(offset)
    rows, cols = _diagonal_positions(m, m, offset)
    # index_add puts x into zeros at the positions (its derivative picks them back out)
    square = index_add(x, (Ellipsis, rows, cols), shape[:-1] + (m, m))
    a, b = _dims("diag_embed", (dim1, dim2), len(shape) + 1)
    return movedim(square, (-2, -1), (a, b))


def diag(x: Any, diagonal: int = 0) -> Any:
    """A vector -> the square matrix with it on diagonal ``diagonal``; a matrix -> that
    diagonal as a vector."""
    ndim = len(_shape(x))
    if ndim == 1:
        return diag_embed(x, diagonal)
    if ndim == 2:
        return _diagonal(x, diagonal)
    raise RuntimeError(f"diag: takes a vector or a matrix, got {ndim} dimensions; for "
                       "batches use diagonal (matrix -> vector) or diag_embed (vector -> matrix)")


_diagonal = diagonal  # (diag's argument is called diagonal, as in PyTorch)


def _triangle(x: Any, keep: np.ndarray) -> Any:
    """x where ``keep`` (the triangle of each matrix) is True, 0 elsewhere (inf included)."""
    return where(keep, x, np.zeros((), dtype=raw(x).dtype))


def _matrix_shape(op: str, x: Any) -> tuple[int, int]:
    shape = _shape(x)
    if len(shape) < 2:
        raise RuntimeError(f"{op}: needs a matrix or a batch of matrices, got shape {shape}")
    return shape[-2:]


def tril(x: Any, diagonal: int = 0) -> Any:
    """The lower triangle: the elements on and below diagonal ``diagonal``; zeros above."""
    rows, cols = _matrix_shape("tril", x)
    return _triangle(x, np.tri(rows, cols, diagonal, dtype=bool))


def triu(x: Any, diagonal: int = 0) -> Any:
    """The upper triangle: the elements on and above diagonal ``diagonal``; zeros below."""
    rows, cols = _matrix_shape("triu", x)
    return _triangle(x, ~np.tri(rows, cols, diagonal - 1, dtype=bool))


def _indices(op: str, row: int, col: int, offset: int, lower: bool, dtype: Any) -> Any:
    if row < 0 or col < 0:
        raise RuntimeError(f"{op}: row ({row}) and col ({col}) must not be negative")
    keep = np.tri(row, col, offset, dtype=bool) if lower else ~np.tri(row, col, offset - 1,
                                                                       dtype=bool)
    from tinygrad_dk.tensor import Tensor  # (tensor.py imports this module)
    positions = np.stack(np.nonzero(keep))  # row by row, as PyTorch
    return Tensor._from_op(positions.astype(np.int64 if dtype is None else np.dtype(dtype)))


def tril_indices(row: int, col: int, offset: int = 0, *, dtype: Any = None,
                 device: Any = None) -> Any:
    """The (row, column) positions of the lower triangle of a row x col matrix, a (2, n)
    int64 tensor, row by row (``device`` is accepted: everything is on the CPU)."""
    return _indices("tril_indices", row, col, offset, True, dtype)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype: Any = None,
                 device: Any = None) -> Any:
    """The (row, column) positions of the upper triangle of a row x col matrix."""
    return _indices("triu_indices", row, col, offset, False, dtype)
