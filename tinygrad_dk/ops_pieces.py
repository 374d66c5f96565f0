"""Cutting a tensor into pieces and joining pieces: PyTorch's ``split``, ``chunk``,
``tensor_split``, ``hsplit``/``vsplit``/``dsplit``, ``unbind``, and ``hstack``,
``vstack``, ``dstack``, ``column_stack``, ``broadcast_tensors``, ``meshgrid``,
``cartesian_prod``, ``block_diag``.

Every cut is a slice (``ops_shape.getitem``), every join a ``concatenate``, ``stack``
or ``broadcast_to``: the pieces' gradients flow back to the places they were cut from
(and a piece used twice adds both), with no derivative written here.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from tinygrad_dk.ops import astype
from tinygrad_dk.ops_index import _check_axis
from tinygrad_dk.ops_layout import _along, _at_least, _integers, _shape
from tinygrad_dk.ops_shape import broadcast_to, concatenate, getitem, reshape, stack
from tinygrad_dk.primitive import raw

# --- cutting -------------------------------------------------------------------------------


def _cut(x: Any, dim: int, bounds: Sequence[int]) -> tuple:
    """The pieces of x between consecutive ``bounds`` along ``dim`` (a tuple, as PyTorch)."""
    return tuple(getitem(x, _along(dim, slice(a, b))) for a, b in zip(bounds[:-1], bounds[1:]))


def _length(op: str, x: Any, dim: int) -> tuple[int, int]:
    shape = _shape(x)
    if not shape:
        raise RuntimeError(f"{op}: cannot cut a tensor with 0 dimensions (a number)")
    dim = _check_axis(op, dim, len(shape))
    return dim, shape[dim]


def split(x: Any, split_size_or_sections: Any, dim: int = 0) -> tuple:
    """Pieces of ``split_size`` elements along ``dim`` (the last may be shorter), or of the
    listed sizes, which must add up to the dimension's size."""
    dim, n = _length("split", x, dim)
    sizes = split_size_or_sections
    if isinstance(sizes, (int, np.integer)):
        if sizes < 0 or (sizes == 0 and n):
            raise RuntimeError(f"split: split_size must be positive (0 only for an empty "
                               f"dimension), got {sizes} for a dimension of size {n}")
        return _cut(x, dim, list(range(0, n, sizes)) + [n]) if n else (getitem(x, ()),)
    sizes = [int(s) for s in sizes]
    if sum(sizes) != n or min(sizes, default=0) < 0:
        raise RuntimeError(f"split: the sizes {sizes} must be non-negative and add up to {n}, "
                           f"the size of dimension {dim}; pass one int to cut equal pieces")
    return _cut(x, dim, list(np.cumsum([0] + sizes)))


def chunk(x: Any, chunks: int, dim: int = 0) -> tuple:
    """At most ``chunks`` pieces of equal size along ``dim`` (the last may be smaller, and
    there may be fewer pieces: 5 elements in 4 chunks are 2 + 2 + 1)."""
    if chunks <= 0:
        raise RuntimeError(f"chunk: chunks must be positive, got {chunks}")
    dim, n = _length("chunk", x, dim)
    if n == 0:  # PyTorch: `chunks` empty pieces
        return _cut(x, dim, [0] * (chunks + 1))
    return split(x, -(-n // chunks), dim)  # the size of a piece, rounded up


def tensor_split(x: Any, indices_or_sections: Any, dim: int = 0) -> tuple:
    """numpy's ``array_split``: ``sections`` pieces as equal as can be (the first ones one
    longer), or pieces cut before each of the listed ``indices``."""
    dim, n = _length("tensor_split", x, dim)
    cuts = _integers(indices_or_sections)
    if cuts.dtype.kind not in "iu" or cuts.ndim > 1:
        raise RuntimeError(f"tensor_split: takes a number of sections or a list of indices "
                           f"(integers), got {indices_or_sections!r}")
    if cuts.ndim == 0:
        k = int(cuts)
        if k <= 0:
            raise RuntimeError(f"tensor_split: the number of sections must be positive, got {k}")
        lengths = [n // k + (i < n % k) for i in range(k)]
        return _cut(x, dim, list(np.cumsum([0] + lengths)))
    # like Python slices: a negative index counts from the end, past the end is the end
    bounds = [min(max(int(i) + n if i < 0 else int(i), 0), n) for i in cuts]
    starts = [0] + bounds
    ends = bounds + [n]
    return tuple(getitem(x, _along(dim, slice(a, max(a, b)))) for a, b in zip(starts, ends))


def _even_split(op: str, x: Any, sections: Any, dim: int, min_dims: int) -> tuple:
    if len(_shape(x)) < min_dims:
        raise RuntimeError(f"{op}: needs at least {min_dims} dimensions, got shape {_shape(x)}")
    if isinstance(sections, (int, np.integer)):
        n = _shape(x)[dim]
        if sections <= 0 or n % sections:
            raise RuntimeError(f"{op}: the size {n} of dimension {dim} cannot be cut into "
                               f"{sections} equal pieces; use tensor_split for unequal ones")
    return tensor_split(x, sections, dim)


def hsplit(x: Any, sections: Any) -> tuple:
    """Cut along the columns (dim 1; a vector along dim 0): equal pieces or at indices."""
    return _even_split("hsplit", x, sections, 1 if len(_shape(x)) > 1 else 0, 1)


def vsplit(x: Any, sections: Any) -> tuple:
    """Cut along the rows (dim 0) of a tensor with 2 or more dimensions."""
    return _even_split("vsplit", x, sections, 0, 2)


def dsplit(x: Any, sections: Any) -> tuple:
    """Cut along the depth (dim 2) of a tensor with 3 or more dimensions."""
    return _even_split("dsplit", x, sections, 2, 3)


def unbind(x: Any, dim: int = 0) -> tuple:
    """The slices along ``dim``, each without that axis: ``a, b = pair.unbind(1)``."""
    dim, n = _length("unbind", x, dim)
    return tuple(getitem(x, _along(dim, i)) for i in range(n))


# --- joining ---------------------------------------------------------------------------------


def _sequence(op: str, tensors: Sequence[Any]) -> list:
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError(f"{op}: expects a non-empty list of tensors")
    return tensors


def hstack(tensors: Sequence[Any]) -> Any:
    """Side by side: along dim 1 (vectors: end to end along dim 0)."""
    tensors = [_at_least(t, 1) for t in _sequence("hstack", tensors)]
    return concatenate(tensors, axis=0 if len(_shape(tensors[0])) == 1 else 1)


def vstack(tensors: Sequence[Any]) -> Any:
    """One above the other: along dim 0, vectors (n,) taken as rows (1, n)."""
    return concatenate([_at_least(t, 2) for t in _sequence("vstack", tensors)], axis=0)


row_stack = vstack


def dstack(tensors: Sequence[Any]) -> Any:
    """In depth: along dim 2, after making each tensor at least 3-dimensional."""
    return concatenate([_at_least(t, 3) for t in _sequence("dstack", tensors)], axis=2)


def column_stack(tensors: Sequence[Any]) -> Any:
    """Vectors as columns of a matrix (numbers and vectors become (n, 1)), side by side."""
    tensors = [t if len(_shape(t)) > 1 else reshape(t, (-1, 1))
               for t in _sequence("column_stack", tensors)]
    return concatenate(tensors, axis=1)


def broadcast_tensors(*tensors: Any) -> tuple:
    """All tensors broadcast to their common shape (numpy's broadcasting rules)."""
    tensors = _sequence("broadcast_tensors", tensors) if tensors else []
    try:
        shape = np.broadcast_shapes(*(_shape(t) for t in tensors))
    except ValueError:
        shapes = ", ".join(str(_shape(t)) for t in tensors)
        raise RuntimeError(f"broadcast_tensors: the shapes {shapes} do not broadcast together; "
                           "each axis must be equal or 1 (counted from the last)") from None
    return tuple(broadcast_to(t, shape) for t in tensors)


def meshgrid(*tensors: Any, indexing: str | None = None) -> tuple:
    """Coordinate grids: for vectors of lengths n1, n2, ... each result has shape
    (n1, n2, ...) and repeats its vector along the other axes (``indexing='ij'``).

    ``indexing='xy'`` (numpy's default, for x-y plots) swaps the first two axes:
    shape (n2, n1, ...). Without ``indexing``, PyTorch uses 'ij' and warns that this
    will change; so do we (pass ``indexing='ij'`` to keep it and silence the warning).
    """
    tensors = _sequence("meshgrid", tensors)
    if indexing is None:
        warnings.warn("meshgrid: pass indexing='ij' (PyTorch's default, used now) or "
                      "indexing='xy' (numpy's); without it PyTorch warns the same",
                      UserWarning, stacklevel=3)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    for t in tensors:
        if len(_shape(t)) > 1:
            raise RuntimeError(f"meshgrid: expects numbers or vectors, got shape {_shape(t)}")
    lengths = [int(np.prod(_shape(t))) for t in tensors]
    axes = list(range(len(tensors)))
    if indexing == "xy" and len(tensors) > 1:
        axes[0], axes[1] = 1, 0  # the first vector runs along the columns
    shape = [0] * len(tensors)
    for a, n in zip(axes, lengths):
        shape[a] = n
    return tuple(broadcast_to(reshape(t, tuple(n if i == a else 1 for i, n in enumerate(shape))),
                              tuple(shape)) for t, a in zip(tensors, axes))


def cartesian_prod(*tensors: Any) -> Any:
    """Every combination of one element from each vector, one row per combination (in the
    order of nested loops); one vector alone comes back as it is."""
    tensors = _sequence("cartesian_prod", tensors)
    for t in tensors:
        if len(_shape(t)) != 1:
            raise RuntimeError(f"cartesian_prod: expects vectors, got shape {_shape(t)}")
    if len(tensors) == 1:
        return getitem(tensors[0], ())
    grids = meshgrid(*tensors, indexing="ij")
    return stack([reshape(g, (-1,)) for g in grids], axis=1)


def block_diag(*tensors: Any) -> Any:
    """A matrix with the given matrices along its diagonal and zeros elsewhere (a number
    counts as 1 x 1, a vector of n as 1 x n)."""
    from tinygrad_dk.tensor import Tensor  # (tensor.py imports this module)

    blocks = []
    for t in tensors:
        if len(_shape(t)) > 2:
            raise RuntimeError(f"block_diag: expects numbers, vectors or matrices, got shape "
                               f"{_shape(t)}")
        blocks.append(t if len(_shape(t)) == 2 else reshape(t, (1, -1)))
    if not blocks:
        return Tensor._from_op(np.zeros((1, 0), dtype=np.float32))
    # PyTorch's promotion: integers join floats as the floats' dtype (numpy would make
    # int64 and float32 float64)
    dtypes = [raw(b).dtype for b in blocks]
    dtype = np.result_type(*([d for d in dtypes if d.kind in "fc"] or dtypes))
    blocks = [b if raw(b).dtype == dtype else astype(b, dtype) for b in blocks]
    width = sum(_shape(b)[1] for b in blocks)
    rows, left = [], 0
    for b in blocks:  # each block with zeros left and right of it: one band of rows
        r, c = _shape(b)
        rows.append(concatenate([np.zeros((r, left), dtype), b,
                                 np.zeros((r, width - left - c), dtype)], axis=1))
        left += c
    return concatenate(rows, axis=0)
