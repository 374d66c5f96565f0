"""PyTorch's layout, splitting/joining, diagonal and gather/scatter operations against
PyTorch, by the differential harness (``tests/differential.py``).

Rows draw the op's arguments (dims, sizes, shifts, index tensors) with the shapes.
Indices are drawn in range, with repeats (where gradients must add up), as a numpy
array, a list or an int64 Tensor. Ops that return several tensors (``split``,
``unbind``, ``meshgrid``) are compared as the pieces flattened and joined, so every
piece's values and gradients count; the pieces' shapes are checked in
``test_shape_names.py``.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

import differential as D  # noqa: E402
from differential import REAL, Case, Op, shape, unary, values  # noqa: E402

import tinygrad_dk as tg  # noqa: E402

D.use_torch(torch)

FORM = st.sampled_from(["method", "function"])


def _rng(data):
    return np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="index seed"))


def _dim(data, ndim):
    return data.draw(st.integers(-max(ndim, 1), max(ndim, 1) - 1), label="dim")


def _joined(lib, parts, x):
    """The pieces flattened end to end (a tuple result as one tensor to compare)."""
    parts = list(parts)
    return lib.cat([p.reshape(-1) for p in parts]) if parts else x.reshape(-1)[:0] * 1.0


def _index_form(data, index):
    """The same index as a numpy array, a list or an int64 tensor (ours only)."""
    forms = ["array", "list", "tensor"] if index.size else ["array", "tensor"]  # ([] loses
    form = data.draw(st.sampled_from(forms), label="index form")  # an empty index's shape)
    return {"array": index, "list": index.tolist(), "tensor": tg.tensor(index)}[form]


def _call(x, name, form, *args, **kwargs):
    return getattr(x, name)(*args, **kwargs) if form == "method" else getattr(tg, name)(
        x, *args, **kwargs)


def _tcall(x, name, form, *args, **kwargs):
    return getattr(x, name)(*args, **kwargs) if form == "method" else getattr(torch, name)(
        x, *args, **kwargs)


# --- repeating, flipping, rolling, moving axes --------------------------------------------


def _repeat(data):
    s = shape(data)
    n = data.draw(st.integers(len(s), len(s) + 1))
    return Case([values(data, s, REAL)], {"sizes": tuple(data.draw(st.integers(0, 2))
                                                         for _ in range(n))})


def _tile(data):
    s = shape(data)
    n = data.draw(st.integers(0, len(s) + 1))
    return Case([values(data, s, REAL)], {"dims": tuple(data.draw(st.integers(0, 2))
                                                        for _ in range(n)),
                                          "form": data.draw(FORM)})


def _repeat_interleave(data):
    s = shape(data)
    dim = None if data.draw(st.booleans()) else _dim(data, len(s))
    n = int(np.prod(s)) if dim is None else (s[dim] if s else 1)
    if data.draw(st.booleans(), label="counts"):
        repeats = _rng(data).integers(0, 3, size=n)
    else:
        repeats = data.draw(st.integers(0, 2))
    return Case([values(data, s, REAL)], {"repeats": repeats, "dim": dim,
                                          "form": data.draw(FORM)})


def _rep_torch(r):
    return torch.tensor(r) if isinstance(r, np.ndarray) else r


def _dims_subset(data, ndim):
    return tuple(data.draw(st.lists(st.integers(0, ndim - 1), unique=True, max_size=ndim))
                 if ndim else [])


def _flip(data):
    s = shape(data)
    dims = tuple(d - data.draw(st.sampled_from([0, len(s)])) for d in _dims_subset(data, len(s)))
    return Case([values(data, s, REAL)], {"dims": dims, "form": data.draw(FORM)})


def _lr_ud(data):
    return Case([values(data, shape(data), REAL)], {"which": data.draw(
        st.sampled_from(["fliplr", "flipud"])), "form": data.draw(FORM)})


def _roll(data):
    s = shape(data)
    if not s or data.draw(st.booleans(), label="no dims"):
        return Case([values(data, s, REAL)], {"shifts": data.draw(st.integers(-5, 5)),
                                              "dims": None, "form": data.draw(FORM)})
    dims = _dims_subset(data, len(s)) or (0,)
    shifts = tuple(data.draw(st.integers(-5, 5)) for _ in dims)
    return Case([values(data, s, REAL)], {"shifts": shifts, "dims": dims,
                                          "form": data.draw(FORM)})


def _rot90(data):
    s = shape(data, min_dims=2)
    a, b = data.draw(st.lists(st.integers(0, len(s) - 1), min_size=2, max_size=2, unique=True))
    return Case([values(data, s, REAL)], {"k": data.draw(st.integers(-5, 5)), "dims": (a, b),
                                          "form": data.draw(FORM)})


def _movedim(data):
    s = shape(data)
    src = _dims_subset(data, len(s))
    dst = tuple(data.draw(st.permutations(range(len(s))))[:len(src)])
    single = len(src) == 1 and data.draw(st.booleans())
    return Case([values(data, s, REAL)], {"src": src[0] if single else src,
                                          "dst": dst[0] if single else dst,
                                          "name": data.draw(st.sampled_from(["movedim",
                                                                             "moveaxis"])),
                                          "form": data.draw(FORM)})


def _two_dims(data):
    s = shape(data, min_dims=1)
    return Case([values(data, s, REAL)], {"a": _dim(data, len(s)), "b": _dim(data, len(s)),
                                          "name": data.draw(st.sampled_from(["swapdims",
                                                                             "swapaxes"])),
                                          "form": data.draw(FORM)})


def _narrow(data):
    s = shape(data, min_dims=1)
    dim = _dim(data, len(s))
    n = s[dim]
    start = data.draw(st.integers(-n, n))
    length = data.draw(st.integers(0, n - start % (n + 1) if start >= 0 else -start))
    return Case([values(data, s, REAL)], {"dim": dim, "start": start, "length": length,
                                          "form": data.draw(FORM)})


def _select(data):
    s = tuple(max(n, 1) for n in shape(data, min_dims=1))
    dim = _dim(data, len(s))
    return Case([values(data, s, REAL)], {"dim": dim, "index": data.draw(
        st.integers(-s[dim], s[dim] - 1)), "form": data.draw(FORM)})


def _unflatten(data):
    s = shape(data, min_dims=1)
    dim = _dim(data, len(s))
    n = s[dim]
    options = [(n,), (1, n), (n, 1), (-1,), (1, -1)] + ([(2, n // 2), (-1, 2)] if n % 2 == 0
                                                        and n else [])
    return Case([values(data, s, REAL)], {"dim": dim, "sizes": data.draw(st.sampled_from(
        options)), "form": data.draw(FORM)})


def _atleast(data):
    return Case([values(data, shape(data), REAL)], {"n": data.draw(st.integers(1, 3))})


# --- cutting and joining ------------------------------------------------------------------


def _split(data):
    s = shape(data, min_dims=1)
    dim = _dim(data, len(s))
    n = s[dim]
    if data.draw(st.booleans(), label="sizes"):
        cuts = sorted(_rng(data).integers(0, n + 1, size=data.draw(st.integers(0, 2))))
        sizes = list(np.diff([0, *cuts, n]))
    else:
        sizes = data.draw(st.integers(1, 4)) if n else 0
    return Case([values(data, s, REAL)], {"sizes": sizes, "dim": dim, "form": data.draw(FORM)})


def _chunk(data):
    s = shape(data, min_dims=1)
    return Case([values(data, s, REAL)], {"chunks": data.draw(st.integers(1, 5)),
                                          "dim": _dim(data, len(s)), "form": data.draw(FORM)})


def _tensor_split(data):
    s = shape(data, min_dims=1)
    if data.draw(st.booleans(), label="sections"):
        what = data.draw(st.integers(1, 5))
    else:
        what = [int(i) for i in _rng(data).integers(-5, 6, size=data.draw(st.integers(0, 3)))]
    return Case([values(data, s, REAL)], {"what": what, "dim": _dim(data, len(s)),
                                          "form": data.draw(FORM)})


def _hvd_split(data):
    name = data.draw(st.sampled_from(["hsplit", "vsplit", "dsplit"]))
    s = shape(data, min_dims=1)
    if data.draw(st.booleans(), label="sections"):
        what = data.draw(st.sampled_from([1, 2]))
    else:
        what = [int(i) for i in _rng(data).integers(0, 4, size=data.draw(st.integers(0, 2)))]
    return Case([values(data, s, REAL)], {"name": name, "what": what, "form": data.draw(FORM)})


def _unbind(data):
    s = shape(data, min_dims=1)
    return Case([values(data, s, REAL)], {"dim": _dim(data, len(s)), "form": data.draw(FORM)})


def _stack_family(data):
    name = data.draw(st.sampled_from(["hstack", "vstack", "row_stack", "dstack",
                                      "column_stack"]))
    s = shape(data)
    axis = {"hstack": 1 if len(s) > 1 else 0, "vstack": 0, "row_stack": 0,
            "dstack": 2, "column_stack": 1}[name]
    arrays = []
    for _ in range(data.draw(st.integers(1, 3))):
        t = list(s)
        if axis < len(t) and data.draw(st.booleans()):
            t[axis] = data.draw(D.SIZES)
        arrays.append(values(data, tuple(t), REAL))
    return Case(arrays, {"name": name})


def _broadcast_tensors(data):
    shapes = D.broadcast_shapes(data, data.draw(st.integers(1, 3)))
    return Case([values(data, s, REAL) for s in shapes],
                {"name": data.draw(st.sampled_from(["broadcast_tensors", "broadcast_to"]))})


def _vectors(data, low=1, high=3, max_dims=1):
    return [values(data, shape(data, min_dims=min(max_dims, 1), max_dims=max_dims), REAL)
            for _ in range(data.draw(st.integers(low, high)))]


def _meshgrid(data):
    return Case(_vectors(data, max_dims=data.draw(st.integers(0, 1))),
                {"indexing": data.draw(st.sampled_from(["ij", "xy"]))})


def _block_diag(data):
    """(No empty vectors: PyTorch's backward misplaces the gradient of later blocks.)"""
    shapes = [shape(data, max_dims=2) for _ in range(data.draw(st.integers(1, 3)))]
    return Case([values(data, (1,) if s == (0,) else s, REAL) for s in shapes])


# --- diagonals and triangles --------------------------------------------------------------


def _diag(data):
    return Case([values(data, shape(data, min_dims=1, max_dims=2), REAL)],
                {"k": data.draw(st.integers(-3, 3)), "form": data.draw(FORM)})


def _diagonal(data):
    s = shape(data, min_dims=2)
    a, b = data.draw(st.lists(st.integers(-len(s), len(s) - 1), min_size=2, max_size=2).filter(
        lambda p: p[0] % len(s) != p[1] % len(s)))
    return Case([values(data, s, REAL)], {"k": data.draw(st.integers(-3, 3)), "a": a, "b": b,
                                          "form": data.draw(FORM)})


def _diag_embed(data):
    s = shape(data, min_dims=1)
    a, b = data.draw(st.lists(st.integers(-len(s) - 1, len(s)), min_size=2, max_size=2).filter(
        lambda p: p[0] % (len(s) + 1) != p[1] % (len(s) + 1)))
    return Case([values(data, s, REAL)], {"k": data.draw(st.integers(-3, 3)), "a": a, "b": b,
                                          "form": data.draw(FORM)})


def _triangle(data):
    return Case([values(data, shape(data, min_dims=2), REAL)],
                {"k": data.draw(st.integers(-4, 4)),
                 "name": data.draw(st.sampled_from(["tril", "triu"])), "form": data.draw(FORM)})


def _tri_indices(data):
    return Case([], {"row": data.draw(st.integers(0, 4)), "col": data.draw(st.integers(0, 4)),
                     "k": data.draw(st.integers(-4, 4)),
                     "name": data.draw(st.sampled_from(["tril_indices", "triu_indices"]))})


# --- gather and scatter -------------------------------------------------------------------


def _gather(data):
    """x, dim, and an index of x's rank no larger than x (except along dim), in range."""
    s = shape(data, min_dims=1)
    dim = _dim(data, len(s))
    rng = _rng(data)
    ishape = tuple(data.draw(st.integers(0, 3)) if d == dim % len(s) else
                   data.draw(st.integers(0, n)) for d, n in enumerate(s))
    n = s[dim]
    index = rng.integers(0, max(n, 1), size=ishape) if n else np.zeros(
        tuple(0 for _ in ishape), dtype=np.int64)
    return Case([values(data, s, REAL)], {"dim": dim, "index": index.astype(np.int64),
                                          "form": data.draw(FORM)})


def _ours_index(data, case):
    case.kwargs["ours_index"] = _index_form(data, case.kwargs["index"])
    return case


def _gather_forms(data):
    return _ours_index(data, _gather(data))


def _index_select(data):
    s = shape(data, min_dims=1)
    dim = _dim(data, len(s))
    n = s[dim]
    index = _rng(data).integers(0, max(n, 1), size=data.draw(st.integers(0, 4)) if n else 0)
    case = Case([values(data, s, REAL)], {"dim": dim, "index": index.astype(np.int64),
                                          "form": data.draw(FORM)})
    return _ours_index(data, case)


def _take(data):
    s = shape(data)
    n = int(np.prod(s))
    ishape = shape(data, max_dims=2) if n else (0,)
    index = _rng(data).integers(-n, max(n, 1), size=ishape) if n else np.zeros(0)
    case = Case([values(data, s, REAL)], {"index": index.astype(np.int64),
                                          "form": data.draw(FORM)})
    return _ours_index(data, case)


def _take_along_dim(data):
    case = _gather(data)
    if data.draw(st.booleans(), label="no dim"):
        n = case.arrays[0].size
        case.kwargs["index"] = _rng(data).integers(0, max(n, 1), size=case.kwargs[
            "index"].shape if n else (0,)).astype(np.int64)
        case.kwargs["dim"] = None
    else:  # broadcast: some axes of the index (not dim) of length 1
        index = case.kwargs["index"]
        dim = case.kwargs["dim"] % index.ndim
        case.kwargs["index"] = index[tuple(slice(0, 1) if d != dim and data.draw(st.booleans())
                                           else slice(None) for d in range(index.ndim))]
    return case


def _mask_of(data, s):
    small = D.smaller(data, s)
    return _rng(data).random(small) < 0.5


def _masked_fill(data):
    s = shape(data)
    by_tensor = data.draw(st.booleans(), label="value tensor")
    arrays = [values(data, s, REAL)] + ([values(data, (), REAL)] if by_tensor else [])
    return Case(arrays, {"mask": _mask_of(data, s), "value": data.draw(
        st.sampled_from([0.0, -np.inf, 2.5])), "form": data.draw(FORM)})


def _masked_select(data):
    big = shape(data)
    mask_first = data.draw(st.booleans())  # either the mask or x is the broadcast one
    small = D.smaller(data, big)
    x_shape, m_shape = (small, big) if mask_first else (big, small)
    return Case([values(data, x_shape, REAL)], {"mask": _rng(data).random(m_shape) < 0.5,
                                                "form": data.draw(FORM)})


def _scatter(data, unique_only=False):
    """x, dim, an index (rank of x) and src of its shape; repeats only for
    scatter_add (which one of repeated writes wins is not defined in PyTorch)."""
    case = _gather(data)
    x = case.arrays[0]
    index, dim = case.kwargs["index"], case.kwargs["dim"] % x.ndim
    n = x.shape[dim]
    unique = unique_only or data.draw(st.booleans(), label="unique")
    if unique and index.size:  # along dim, a permutation's prefix in every row
        moved = np.moveaxis(index, dim, -1)
        k = min(moved.shape[-1], n)
        rows = [_rng(data).permutation(n)[:k] for _ in range(int(np.prod(moved.shape[:-1])))]
        moved = np.array(rows, dtype=np.int64).reshape(moved.shape[:-1] + (k,))
        index = np.moveaxis(moved, -1, dim)
    # src of the index's shape: PyTorch's scatter backward returns a wrongly shaped
    # gradient for a larger src (ours is checked in test_shape_names.py)
    src_shape = index.shape
    case.kwargs.update(index=index, unique=unique)
    case.arrays.append(values(data, src_shape, REAL))
    return _ours_index(data, case)


def _index_add(data):
    s = shape(data, min_dims=1)
    dim = _dim(data, len(s))
    n = s[dim]
    index = _rng(data).integers(0, max(n, 1), size=data.draw(st.integers(0, 4)) if n else 0)
    src = tuple(len(index) if d == dim % len(s) else m for d, m in enumerate(s))
    case = Case([values(data, s, REAL), values(data, src, REAL)],
                {"dim": dim, "index": index.astype(np.int64),
                 "alpha": data.draw(st.sampled_from([1, 2.5, -1.0])), "form": data.draw(FORM)})
    return _ours_index(data, case)


def _index_fill(data):
    s = shape(data, min_dims=1)
    dim = _dim(data, len(s))
    n = s[dim]
    by_tensor = data.draw(st.booleans(), label="value tensor")
    # (negative indices only with a number: PyTorch's backward to a value tensor refuses them)
    low = 0 if by_tensor else -n
    index = _rng(data).integers(low, max(n, 1), size=data.draw(st.integers(0, 4)) if n else 0)
    arrays = [values(data, s, REAL)] + ([values(data, (), REAL)] if by_tensor else [])
    case = Case(arrays, {"dim": dim, "index": index.astype(np.int64), "value": 1.5,
                         "form": data.draw(FORM)})
    return _ours_index(data, case)


def _unfold(data):
    s = shape(data, min_dims=1)
    dim = _dim(data, len(s))
    return Case([values(data, s, REAL)], {"dim": dim, "size": data.draw(st.integers(0, s[dim])),
                                          "step": data.draw(st.integers(1, 3))})


def _inplace(name):
    """``y = x * 1; y.name_(...)``: the in-place method on a computed tensor."""
    def run(x, *rest, **kw):
        y = x * 1.0
        getattr(y, name)(*rest, **kw)
        return y
    return run


T = torch.tensor


def _ours_masked_fill(x, *v, mask, value, form, inplace=False):
    fill = v[0] if v else value
    if inplace:
        y = x * 1.0
        y.masked_fill_(mask, fill)
        return y
    return _call(x, "masked_fill", form, tg.tensor(mask) if form == "method" else mask, fill)


def _torch_masked_fill(x, *v, mask, value, form, inplace=False):
    fill = v[0] if v else value
    if inplace:
        y = x * 1.0
        y.masked_fill_(T(mask), fill)
        return y
    return _tcall(x, "masked_fill", form, T(mask), fill)


def _ours_scatter(x, src, *, dim, index, ours_index, form, unique, which):
    if which == "scatter":
        return _call(x, "scatter", form, dim, ours_index, src)
    if which == "scatter value":
        return _call(x, "scatter", form, dim, ours_index, value=-2.0)
    if which == "scatter_":
        return _inplace("scatter_")(x, dim, ours_index, src)
    if which == "scatter_add":
        return _call(x, "scatter_add", form, dim, ours_index, src)
    return _inplace("scatter_add_")(x, dim, ours_index, src)


def _torch_scatter(x, src, *, dim, index, ours_index, form, unique, which):
    if which == "scatter":
        return _tcall(x, "scatter", form, dim, T(index), src)
    if which == "scatter value":
        return _tcall(x, "scatter", form, dim, T(index), value=-2.0)
    if which == "scatter_":
        return _inplace("scatter_")(x, dim, T(index), src)
    if which == "scatter_add":
        return _tcall(x, "scatter_add", form, dim, T(index), src)
    return _inplace("scatter_add_")(x, dim, T(index), src)


def _scatter_rows(which, unique_only, covers, sums=0):
    def draw(data):
        case = _scatter(data, unique_only)
        case.kwargs["which"] = which
        return case
    return Op(which, _ours_scatter, _torch_scatter, draw, covers=covers, sums=sums)


LAYOUT_OPS = [
    Op("repeat", lambda x, sizes: x.repeat(*sizes) if sizes else x.repeat(sizes),
       lambda x, sizes: x.repeat(*sizes) if sizes else x.repeat(sizes), _repeat, grad_sums=True,
       covers=("Tensor.repeat", "ops_layout.repeat")),
    Op("tile", lambda x, dims, form: _call(x, "tile", form, dims),
       lambda x, dims, form: _tcall(x, "tile", form, dims), _tile, grad_sums=True,
       covers=("Tensor.tile", "tg.tile", "ops_layout.tile")),
    Op("repeat_interleave", lambda x, repeats, dim, form: _call(
        x, "repeat_interleave", form, tg.tensor(repeats) if isinstance(repeats, np.ndarray)
        else repeats, dim=dim),
       lambda x, repeats, dim, form: _tcall(x, "repeat_interleave", form, _rep_torch(repeats),
                                            dim=dim),
       _repeat_interleave, grad_sums=True,
       covers=("Tensor.repeat_interleave", "tg.repeat_interleave",
               "ops_layout.repeat_interleave")),
    Op("flip", lambda x, dims, form: _call(x, "flip", form, dims),
       lambda x, dims, form: _tcall(x, "flip", form, dims), _flip,
       covers=("Tensor.flip", "tg.flip", "ops_layout.flip")),
    Op("fliplr, flipud", lambda x, which, form: _call(x, which, form),
       lambda x, which, form: _tcall(x, which, form), _lr_ud,
       covers=("Tensor.fliplr", "Tensor.flipud", "tg.fliplr", "tg.flipud", "ops_layout.fliplr",
               "ops_layout.flipud")),
    Op("roll", lambda x, shifts, dims, form: _call(x, "roll", form, shifts, dims),
       lambda x, shifts, dims, form: _tcall(x, "roll", form, shifts, dims), _roll,
       covers=("Tensor.roll", "tg.roll", "ops_layout.roll")),
    Op("rot90", lambda x, k, dims, form: _call(x, "rot90", form, k, dims),
       lambda x, k, dims, form: _tcall(x, "rot90", form, k, dims), _rot90,
       covers=("Tensor.rot90", "tg.rot90", "ops_layout.rot90")),
    Op("movedim, moveaxis", lambda x, src, dst, name, form: _call(x, name, form, src, dst),
       lambda x, src, dst, name, form: _tcall(x, name, form, src, dst), _movedim,
       covers=("Tensor.movedim", "Tensor.moveaxis", "tg.movedim", "tg.moveaxis",
               "ops_layout.movedim")),
    Op("swapdims, swapaxes", lambda x, a, b, name, form: _call(x, name, form, a, b),
       lambda x, a, b, name, form: _tcall(x, name, form, a, b), _two_dims,
       covers=("Tensor.swapdims", "tg.swapdims", "tg.swapaxes", "ops_layout.swapdims")),
    Op("narrow", lambda x, dim, start, length, form: _call(x, "narrow", form, dim, start, length),
       lambda x, dim, start, length, form: _tcall(x, "narrow", form, dim, start, length),
       _narrow, covers=("Tensor.narrow", "tg.narrow", "ops_layout.narrow")),
    Op("select", lambda x, dim, index, form: _call(x, "select", form, dim, index),
       lambda x, dim, index, form: _tcall(x, "select", form, dim, index), _select,
       covers=("Tensor.select", "tg.select", "ops_layout.select")),
    Op("unflatten", lambda x, dim, sizes, form: _call(x, "unflatten", form, dim, sizes),
       lambda x, dim, sizes, form: _tcall(x, "unflatten", form, dim, sizes), _unflatten,
       covers=("Tensor.unflatten", "tg.unflatten", "ops_layout.unflatten")),
    Op("ravel", lambda x, form: _call(x, "ravel", form), lambda x, form: _tcall(x, "ravel", form),
       unary(REAL, form=FORM), covers=("Tensor.ravel", "tg.ravel")),
    Op("mT", lambda x: x.mT, lambda x: x.mT, unary(REAL), covers=("Tensor.mT", "ops_layout.mT")),
    Op("atleast_nd", lambda x, n: getattr(tg, f"atleast_{n}d")(x),
       lambda x, n: getattr(torch, f"atleast_{n}d")(x), _atleast,
       covers=("tg.atleast_1d", "tg.atleast_2d", "tg.atleast_3d", "ops_layout.atleast_1d",
               "ops_layout.atleast_2d", "ops_layout.atleast_3d")),
    # cutting and joining
    Op("split", lambda x, sizes, dim, form: _joined(tg, _call(x, "split", form, sizes, dim), x),
       lambda x, sizes, dim, form: _joined(torch, _tcall(x, "split", form, sizes, dim), x),
       _split, covers=("Tensor.split", "tg.split", "ops_pieces.split")),
    Op("chunk", lambda x, chunks, dim, form: _joined(tg, _call(x, "chunk", form, chunks, dim), x),
       lambda x, chunks, dim, form: _joined(torch, _tcall(x, "chunk", form, chunks, dim), x),
       _chunk, covers=("Tensor.chunk", "tg.chunk", "ops_pieces.chunk")),
    Op("tensor_split", lambda x, what, dim, form: _joined(
        tg, _call(x, "tensor_split", form, what, dim), x),
       lambda x, what, dim, form: _joined(torch, _tcall(x, "tensor_split", form, what, dim), x),
       _tensor_split, covers=("Tensor.tensor_split", "tg.tensor_split",
                              "ops_pieces.tensor_split")),
    Op("hsplit, vsplit, dsplit", lambda x, name, what, form: _joined(
        tg, _call(x, name, form, what), x),
       lambda x, name, what, form: _joined(torch, _tcall(x, name, form, what), x), _hvd_split,
       covers=("Tensor.hsplit", "Tensor.vsplit", "Tensor.dsplit", "tg.hsplit", "tg.vsplit",
               "tg.dsplit", "ops_pieces.hsplit", "ops_pieces.vsplit", "ops_pieces.dsplit")),
    Op("unbind", lambda x, dim, form: _joined(tg, _call(x, "unbind", form, dim), x),
       lambda x, dim, form: _joined(torch, _tcall(x, "unbind", form, dim), x), _unbind,
       covers=("Tensor.unbind", "tg.unbind", "ops_pieces.unbind")),
    Op("hstack, vstack, dstack, column_stack", lambda *xs, name: getattr(tg, name)(xs),
       lambda *xs, name: getattr(torch, name)(xs), _stack_family,
       covers=("tg.hstack", "tg.vstack", "tg.row_stack", "tg.dstack", "tg.column_stack",
               "ops_pieces.hstack", "ops_pieces.vstack", "ops_pieces.row_stack",
               "ops_pieces.dstack", "ops_pieces.column_stack")),
    Op("broadcast_tensors", lambda *xs, name: _joined(
        tg, tg.broadcast_tensors(*xs) if name == "broadcast_tensors" else [
            tg.broadcast_to(x, np.broadcast_shapes(*(y.shape for y in xs))) for x in xs], xs[0]),
       lambda *xs, name: _joined(torch, torch.broadcast_tensors(*xs), xs[0]),
       _broadcast_tensors, grad_sums=True,
       covers=("tg.broadcast_tensors", "tg.broadcast_to", "ops_pieces.broadcast_tensors")),
    Op("meshgrid", lambda *xs, indexing: _joined(tg, tg.meshgrid(*xs, indexing=indexing), xs[0]),
       lambda *xs, indexing: _joined(torch, torch.meshgrid(*xs, indexing=indexing), xs[0]),
       _meshgrid, grad_sums=True, covers=("tg.meshgrid", "ops_pieces.meshgrid")),
    Op("cartesian_prod", lambda *xs: tg.cartesian_prod(*xs),
       lambda *xs: torch.cartesian_prod(*xs), lambda data: Case(_vectors(data)), grad_sums=True,
       covers=("tg.cartesian_prod", "ops_pieces.cartesian_prod")),
    Op("block_diag", lambda *xs: tg.block_diag(*xs), lambda *xs: torch.block_diag(*xs),
       _block_diag, covers=("tg.block_diag", "ops_pieces.block_diag")),
    # diagonals and triangles
    Op("diag", lambda x, k, form: _call(x, "diag", form, k),
       lambda x, k, form: _tcall(x, "diag", form, k), _diag,
       covers=("Tensor.diag", "tg.diag", "ops_layout.diag")),
    Op("diagonal", lambda x, k, a, b, form: _call(x, "diagonal", form, k, a, b),
       lambda x, k, a, b, form: _tcall(x, "diagonal", form, k, a, b), _diagonal,
       covers=("Tensor.diagonal", "tg.diagonal", "ops_layout.diagonal")),
    Op("diag_embed", lambda x, k, a, b, form: _call(x, "diag_embed", form, k, a, b),
       lambda x, k, a, b, form: _tcall(x, "diag_embed", form, k, a, b), _diag_embed,
       covers=("Tensor.diag_embed", "tg.diag_embed", "ops_layout.diag_embed")),
    Op("tril, triu", lambda x, k, name, form: _call(x, name, form, k),
       lambda x, k, name, form: _tcall(x, name, form, k), _triangle,
       covers=("Tensor.tril", "Tensor.triu", "tg.tril", "tg.triu", "ops_layout.tril",
               "ops_layout.triu")),
    Op("tril_indices, triu_indices", lambda row, col, k, name: getattr(tg, name)(row, col, k),
       lambda row, col, k, name: getattr(torch, name)(row, col, k), _tri_indices,
       covers=("tg.tril_indices", "tg.triu_indices", "ops_layout.tril_indices",
               "ops_layout.triu_indices")),
    # gather and scatter
    Op("gather", lambda x, dim, index, ours_index, form: _call(x, "gather", form, dim,
                                                               ours_index),
       lambda x, dim, index, ours_index, form: _tcall(x, "gather", form, dim, T(index)),
       _gather_forms, grad_sums=True,
       covers=("Tensor.gather", "tg.gather", "ops_gather.gather", "ops_gather.as_index")),
    Op("take_along_dim", lambda x, dim, index, form: _call(x, "take_along_dim", form,
                                                           tg.tensor(index), dim),
       lambda x, dim, index, form: _tcall(x, "take_along_dim", form, T(index), dim),
       _take_along_dim, grad_sums=True,
       covers=("Tensor.take_along_dim", "tg.take_along_dim", "ops_gather.take_along_dim")),
    Op("index_select", lambda x, dim, index, ours_index, form: _call(
        x, "index_select", form, dim, ours_index),
       lambda x, dim, index, ours_index, form: _tcall(x, "index_select", form, dim, T(index)),
       _index_select, grad_sums=True,
       covers=("Tensor.index_select", "tg.index_select", "ops_gather.index_select")),
    Op("take", lambda x, index, ours_index, form: _call(x, "take", form, ours_index),
       lambda x, index, ours_index, form: _tcall(x, "take", form, T(index)), _take,
       grad_sums=True, covers=("Tensor.take", "tg.take", "ops_gather.take")),
    Op("masked_fill", _ours_masked_fill, _torch_masked_fill, _masked_fill,
       covers=("Tensor.masked_fill", "tg.masked_fill", "ops_gather.masked_fill")),
    Op("masked_fill_", lambda *a, **k: _ours_masked_fill(*a, inplace=True, **k),
       lambda *a, **k: _torch_masked_fill(*a, inplace=True, **k),
       _masked_fill,
       covers=("Tensor.masked_fill_",)),
    Op("masked_select", lambda x, mask, form: _call(x, "masked_select", form, tg.tensor(mask)),
       lambda x, mask, form: _tcall(x, "masked_select", form, T(mask)), _masked_select,
       grad_sums=True,
       covers=("Tensor.masked_select", "tg.masked_select", "ops_gather.masked_select")),
    _scatter_rows("scatter", True, ("Tensor.scatter", "tg.scatter", "ops_gather.scatter")),
    _scatter_rows("scatter value", False, ()),
    _scatter_rows("scatter_", True, ("Tensor.scatter_",)),
    _scatter_rows("scatter_add", False, ("Tensor.scatter_add", "tg.scatter_add",
                                         "ops_gather.scatter_add"), sums=1),
    _scatter_rows("scatter_add_", False, ("Tensor.scatter_add_",), sums=1),
    Op("index_add", lambda x, src, dim, index, ours_index, alpha, form: _call(
        x, "index_add", form, dim, ours_index, src, alpha=alpha),
       lambda x, src, dim, index, ours_index, alpha, form: _tcall(
           x, "index_add", form, dim, T(index), src, alpha=alpha),
       _index_add, sums=1, covers=("Tensor.index_add", "tg.index_add", "ops_gather.index_add")),
    Op("index_add_", lambda x, src, dim, index, ours_index, alpha, form: _inplace("index_add_")(
        x, dim, ours_index, src, alpha=alpha),
       lambda x, src, dim, index, ours_index, alpha, form: _inplace("index_add_")(
           x, dim, T(index), src, alpha=alpha),
       _index_add, sums=1, covers=("Tensor.index_add_",)),
    Op("index_fill", lambda x, *v, dim, index, ours_index, value, form: _call(
        x, "index_fill", form, dim, ours_index, v[0] if v else value),
       lambda x, *v, dim, index, ours_index, value, form: _tcall(
           x, "index_fill", form, dim, T(index), v[0] if v else value),
       _index_fill, covers=("Tensor.index_fill", "tg.index_fill", "ops_gather.index_fill")),
    Op("index_fill_", lambda x, *v, dim, index, ours_index, value, form: _inplace("index_fill_")(
        x, dim, ours_index, v[0] if v else value),
       lambda x, *v, dim, index, ours_index, value, form: _inplace("index_fill_")(
           x, dim, T(index), v[0] if v else value),
       _index_fill, covers=("Tensor.index_fill_",)),
    Op("unfold", lambda x, dim, size, step: x.unfold(dim, size, step),
       lambda x, dim, size, step: x.unfold(dim, size, step), _unfold, grad_sums=True,
       covers=("Tensor.unfold", "ops_gather.unfold")),
]


@pytest.mark.parametrize("op", LAYOUT_OPS, ids=lambda op: op.name)
@D.SETTINGS
@given(data=st.data())
def test_layout_op_matches_torch(op, data):
    D.check(op, data)
