"""Shapes, indexing, joining, copies and dtypes against PyTorch, by the differential harness.

The same kind of table as ``test_differential_ops.py``: numpy's spellings (``reshape``,
``transpose``, ``swapaxes``, ``expand_dims``, ``broadcast_to``, ``concatenate``) and
PyTorch's (``view``, ``permute``, ``t``, ``unsqueeze``, ``expand``, ``flatten(start,
end)``, ``cat``, casts such as ``.float()``), indexing with ints, slices, ``None``,
``...``, integer arrays and masks, and index assignment (``y[i] = v``).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

import differential as D  # noqa: E402
from differential import FINITE, REAL, Case, Op, shape, unary, values  # noqa: E402

import tinygrad_dk as tg  # noqa: E402

D.use_torch(torch)


def _astype(data):
    return Case([values(data, shape(data), REAL)],
                {"dtype": data.draw(st.sampled_from(["float32", "float64"]), label="dtype")})


def _reshape(data):
    s = shape(data)
    size = int(np.prod(s, dtype=np.int64))
    options = [(size,), (-1,)]
    if size:
        options += [(1, size), (size, 1, 1), (-1, 1)]
        if size % 2 == 0:
            options += [(2, size // 2), (2, -1)]
    if not s:
        options.append(())
    return Case([values(data, s, REAL)], {"new": data.draw(st.sampled_from(options))})


def _transpose(data):
    s = shape(data)
    perm = tuple(data.draw(st.permutations(range(len(s))), label="perm"))
    return Case([values(data, s, REAL)], {"axes": perm})


def _swapaxes(data):
    s = shape(data, min_dims=1)
    a = data.draw(st.integers(-len(s), len(s) - 1))
    b = data.draw(st.integers(-len(s), len(s) - 1))
    return Case([values(data, s, REAL)], {"a": a, "b": b})


def _flatten(data):
    s = shape(data, min_dims=1)
    return Case([values(data, s, REAL)], {"start": data.draw(st.integers(0, len(s) - 1))})


def _squeeze(data):
    s = shape(data)
    ones = [i for i, n in enumerate(s) if n == 1]
    axis = None
    if ones and data.draw(st.booleans()):
        axis = data.draw(st.sampled_from(ones)) - data.draw(st.sampled_from([0, len(s)]))
    return Case([values(data, s, REAL)], {"axis": axis})


def _expand_dims(data):
    s = shape(data)
    return Case([values(data, s, REAL)], {"axis": data.draw(st.integers(-len(s) - 1, len(s)))})


def _broadcast_to(data):
    big = shape(data, min_dims=0)
    small = D.broadcast_shapes(data, 1)[0] if not big else tuple(
        1 if data.draw(st.booleans()) else n for n in big[data.draw(st.integers(0, len(big))):])
    return Case([values(data, small, REAL)], {"target": big})


def _concatenate(data):
    n = data.draw(st.integers(1, 3), label="n")
    base = shape(data, min_dims=1)
    flat = data.draw(st.booleans(), label="axis None")
    axis = None if flat else data.draw(st.integers(-len(base), len(base) - 1))
    arrays = []
    for _ in range(n):
        s = shape(data) if flat else tuple(
            data.draw(D.SIZES) if i == axis % len(base) else d for i, d in enumerate(base))
        arrays.append(values(data, s, REAL))
    return Case(arrays, {"axis": axis})


def _concatenate_dim(data):  # PyTorch's cat: always along an axis
    case = _concatenate(data)
    while case.kwargs["axis"] is None:
        case = _concatenate(data)
    return case


def _stack(data):
    n = data.draw(st.integers(1, 3), label="n")
    s = shape(data)
    axis = data.draw(st.integers(-len(s) - 1, len(s)))
    return Case([values(data, s, REAL) for _ in range(n)], {"axis": axis})


def _index(data):
    """A numpy index: ints, slices (positive steps), None, Ellipsis, int arrays
    (repeats), a boolean mask."""
    s = shape(data, min_dims=1)
    x = values(data, s, REAL)
    form = data.draw(st.sampled_from(["basic", "ints", "mask", "two arrays"]))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    if form == "mask":
        index = rng.random(s) < 0.5
    elif form == "ints" and s[0]:
        index = rng.integers(-s[0], s[0], size=data.draw(st.integers(0, 5)))
    elif form == "two arrays" and len(s) >= 2 and s[0] and s[1]:
        n = data.draw(st.integers(0, 4))
        index = (rng.integers(0, s[0], size=n), rng.integers(0, s[1], size=n))
    else:
        parts = []
        for n in s[: data.draw(st.integers(1, len(s)))]:
            kind = data.draw(st.sampled_from(["int", "slice", "all"]))
            if kind == "int" and n:
                parts.append(int(rng.integers(-n, n)))
            elif kind == "slice":
                start, stop = sorted(rng.integers(-n - 1, n + 2, size=2).tolist())
                parts.append(slice(start, stop, int(rng.integers(1, 3))))
            else:
                parts.append(slice(None))
        if data.draw(st.booleans()):
            parts.insert(data.draw(st.integers(0, len(parts))), None)
        if data.draw(st.booleans()):
            parts.insert(0, Ellipsis)
        index = tuple(parts)
    return Case([x], {"index": index})


def _torch_index(index):
    if isinstance(index, tuple):
        return tuple(_torch_index(i) for i in index)
    if isinstance(index, np.ndarray):
        return torch.tensor(index)
    return index



def _permute(data):
    s = shape(data)
    return Case([values(data, s, REAL)], {"perm": tuple(data.draw(st.permutations(range(len(s)))))})


def _flatten_range(data):
    s = shape(data, min_dims=1)
    start = data.draw(st.integers(-len(s), len(s) - 1))
    end = data.draw(st.integers(start % len(s), len(s) - 1)) - data.draw(
        st.sampled_from([0, len(s)]))
    return Case([values(data, s, REAL)], {"start": start, "end": end})


def _expand(data):
    case = _broadcast_to(data)
    small, target = case.arrays[0].shape, case.kwargs["target"]
    lead = len(target) - len(small)
    sizes = tuple(-1 if i >= lead and small[i - lead] == n and data.draw(st.booleans()) else n
                  for i, n in enumerate(target))
    return Case(case.arrays, {"sizes": sizes})


def _matrix(data):
    return Case([values(data, shape(data, max_dims=2), REAL)])


def _cast(data):
    return Case([values(data, shape(data), FINITE)],
                {"to": data.draw(st.sampled_from(["float", "double", "half", "int", "long",
                                                  "bool"]))})


def _to(data):
    return Case([values(data, shape(data), FINITE)],
                {"dtype": data.draw(st.sampled_from(["float32", "float64", "int64", "bool"]))})


def _setitem(data):
    """``y = x * 1; y[index] = v``: v a Tensor (with a gradient) or a number."""
    s = shape(data, min_dims=1)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    form = data.draw(st.sampled_from(["int", "slice", "mask"]))
    if form == "int" and s[0]:
        index = int(rng.integers(-s[0], s[0]))
    elif form == "mask":
        index = rng.random(s) < 0.5
    else:
        index = slice(int(rng.integers(0, 3)), None, int(rng.integers(1, 3)))
    target = np.zeros(s)[index].shape
    if data.draw(st.booleans(), label="a number"):
        return Case([values(data, s, REAL)], {"index": index, "number": 2.5})
    return Case([values(data, s, REAL), values(data, D.smaller(data, target), REAL)],
                {"index": index, "number": None})


def _ours_setitem(x, *v, index, number):
    y = x * 1.0
    y[index] = v[0] if v else number
    return y


def _torch_setitem(x, *v, index, number):
    y = x * 1.0
    y[_torch_index(index)] = v[0] if v else number
    return y


SHAPE_OPS = [
    Op("astype", lambda x, dtype: x.astype(dtype),
       lambda x, dtype: x.to(getattr(torch, dtype)), _astype,
       covers=("Tensor.astype", "ops.astype")),
    Op("reshape", lambda x, new: x.reshape(new), lambda x, new: x.reshape(new), _reshape,
       covers=("Tensor.reshape", "ops_shape.reshape")),
    Op("reshape(*shape)", lambda x, new: x.reshape(*new) if new else x.reshape(new),
       lambda x, new: x.reshape(new), _reshape),
    Op("transpose", lambda x, axes: x.transpose(axes), lambda x, axes: x.permute(axes),
       _transpose, covers=("Tensor.transpose", "ops_shape.transpose")),
    Op("T", lambda x: x.T, lambda x: x.permute(tuple(range(x.ndim))[::-1]), unary(),
       covers=("Tensor.T",)),
    Op("swapaxes", lambda x, a, b: x.swapaxes(a, b), lambda x, a, b: x.transpose(a, b),
       _swapaxes, covers=("Tensor.swapaxes", "ops_shape.swapaxes")),
    Op("flatten", lambda x, start: x.flatten(start), lambda x, start: x.flatten(start),
       _flatten, covers=("Tensor.flatten", "ops_shape.flatten")),
    Op("squeeze", lambda x, axis: x.squeeze(axis),
       lambda x, axis: x.squeeze() if axis is None else x.squeeze(axis), _squeeze,
       covers=("Tensor.squeeze", "ops_shape.squeeze")),
    Op("expand_dims", lambda x, axis: x.expand_dims(axis),
       lambda x, axis: x.unsqueeze(axis), _expand_dims,
       covers=("Tensor.expand_dims", "ops_shape.expand_dims")),
    Op("broadcast_to", lambda x, target: x.broadcast_to(target),
       lambda x, target: x.broadcast_to(target), _broadcast_to,
       covers=("Tensor.broadcast_to", "ops_shape.broadcast_to")),
    Op("getitem", lambda x, index: x[index], lambda x, index: x[_torch_index(index)], _index,
       covers=("Tensor.__getitem__", "ops_shape.getitem", "ops_shape.index_add",
               "ops_shape.normalize_index")),
    Op("concatenate", lambda *xs, axis: tg.concatenate(xs, axis=axis),
       lambda *xs, axis: torch.cat([x.reshape(-1) for x in xs] if axis is None else xs,
                                   dim=0 if axis is None else axis),
       _concatenate, covers=("tg.concatenate", "ops_shape.concatenate")),
    Op("stack", lambda *xs, axis: tg.stack(xs, axis=axis),
       lambda *xs, axis: torch.stack(xs, dim=axis), _stack,
       covers=("tg.stack", "ops_shape.stack")),
    # PyTorch's spellings
    Op("permute", lambda x, perm: x.permute(*perm), lambda x, perm: x.permute(perm), _permute,
       covers=("Tensor.permute", "tg.permute")),
    Op("tg.permute, tg.transpose", lambda x, perm: tg.permute(tg.transpose(x, 0, -1), perm)
       if x.ndim else x * 1.0,
       lambda x, perm: torch.permute(torch.transpose(x, 0, -1), perm) if x.ndim else x * 1.0,
       _permute, covers=("tg.transpose",)),
    Op("t", lambda x: x.t(), lambda x: x.t(), _matrix, covers=("Tensor.t", "tg.t")),
    Op("unsqueeze", lambda x, axis: tg.unsqueeze(x.unsqueeze(axis), 0),
       lambda x, axis: x.unsqueeze(axis).unsqueeze(0), _expand_dims,
       covers=("Tensor.unsqueeze", "tg.unsqueeze")),
    Op("view, reshape_as, view_as", lambda x, new: x.view(new).reshape_as(np.zeros(new))
       .view_as(tg.zeros(new)), lambda x, new: x.view(new).reshape_as(torch.zeros(new))
       .view_as(torch.zeros(new)), _reshape,
       covers=("Tensor.view", "Tensor.view_as", "Tensor.reshape_as", "tg.reshape")),
    Op("flatten(start, end)", lambda x, start, end: x.flatten(start, end),
       lambda x, start, end: x.flatten(start, end), _flatten_range,
       covers=("Tensor.flatten", "tg.flatten")),
    Op("squeeze(dim)", lambda x, axis: tg.squeeze(x, axis) if axis is not None else tg.squeeze(x),
       lambda x, axis: torch.squeeze(x, axis) if axis is not None else torch.squeeze(x),
       _squeeze, covers=("tg.squeeze",)),
    Op("expand", lambda x, sizes: x.expand(*sizes) if sizes else x.expand(sizes),
       lambda x, sizes: x.expand(*sizes) if sizes else x.expand(sizes), _expand,
       covers=("Tensor.expand",)),
    Op("expand_as", lambda x, target: x.expand_as(np.zeros(target)),
       lambda x, target: x.expand_as(torch.zeros(target)), _broadcast_to,
       covers=("Tensor.expand_as",)),
    Op("cat", lambda *xs, axis: tg.cat(xs, dim=axis), lambda *xs, axis: torch.cat(xs, dim=axis),
       _concatenate_dim, covers=("tg.cat", "tg.concat")),
    Op("clone, contiguous", lambda x: tg.clone(x.clone().contiguous()),
       lambda x: torch.clone(x.clone().contiguous()), unary(),
       covers=("Tensor.clone", "Tensor.contiguous", "tg.clone", "ops_math.clone")),
    Op("casts", lambda x, to: getattr(x, to)(), lambda x, to: getattr(x, to)(), _cast,
       second=False, covers=("Tensor.float", "Tensor.double", "Tensor.half", "Tensor.int",
                             "Tensor.long", "Tensor.bool")),
    Op("to, type", lambda x, dtype: x.to(getattr(tg, dtype)).type(getattr(tg, dtype)),
       lambda x, dtype: x.to(getattr(torch, dtype)).type(getattr(torch, dtype)), _to,
       covers=("Tensor.to", "Tensor.type")),
    Op("iteration", lambda x: tg.stack(list(x)), lambda x: torch.stack(list(x)),
       unary(min_dims=1), covers=("Tensor.__iter__",)),
    Op("setitem", _ours_setitem, _torch_setitem, _setitem, covers=("Tensor.__setitem__",)),
]


@pytest.mark.parametrize("op", SHAPE_OPS, ids=lambda op: op.name)
@D.SETTINGS
@given(data=st.data())
def test_shape_op_matches_torch(op, data):
    D.check(op, data)
