"""Pooling's options against PyTorch (group "poolidx"): ceil_mode, return_indices, max
unpooling, divisor_override.

Rows of the differential harness (``tests/differential.py``): forward, first derivatives
with a random upstream gradient and (float64) second derivatives, on drawn shapes and the
harness's kinds of values. The pooling rows draw windows, strides, paddings and dilations
with the recipe of the 1-D and 2-D rows (``test_differential_images._pool``, written for
any number of spatial axes) for 1, 2 and 3 axes, and add ``ceil_mode``; the index rows
compare the int64 indices exactly (ties, nan and windows of -inf included).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

import differential as D  # noqa: E402
from differential import REAL, Case, Op, values  # noqa: E402
from test_differential_images import FORMS, _pool  # noqa: E402

import nn  # noqa: E402
import nn.functional as F  # noqa: E402
import tinygrad_dk as tg  # noqa: E402

D.use_torch(torch)
TF = torch.nn.functional


def _per_axis(value, d):
    return [value] * d if isinstance(value, int) else list(value)


def _pool_ceil(kind):
    """A pooling case of 1, 2 or 3 spatial axes, ``ceil_mode`` drawn; for average pooling
    also ``divisor_override`` (2-D and 3-D, as PyTorch has it)."""
    def draw(data):
        d = data.draw(st.integers(1, 3), label="spatial axes")
        case = _pool(d, kind)(data)
        kw = dict(case.kwargs)
        kw["ceil_mode"] = data.draw(st.booleans(), label="ceil_mode")
        size = case.arrays[0].shape[-d:]
        kernel = _per_axis(kw["kernel_size"], d)
        stride = kernel if kw["stride"] is None else _per_axis(kw["stride"], d)
        pads = _per_axis(kw["padding"], d)
        dilation = _per_axis(kw.get("dilation", 1), d)
        # ceil_mode's extra window must hold input too (see _pool: padding-only windows)
        for n, k, s, p, dl in zip(size, kernel, stride, pads, dilation):
            room = n + 2 * p - dl * (k - 1) - 1
            out = (-(-room // s) if kw["ceil_mode"] else room // s) + 1
            if kw["ceil_mode"] and (out - 1) * s >= n + p:
                out -= 1
            assume(all(any(0 <= o * s - p + t * dl < n for t in range(k)) for o in range(out)))
        if kind == "avg" and d > 1 and data.draw(st.booleans(), label="divisor_override"):
            kw["divisor_override"] = data.draw(st.integers(1, 5), label="divisor")
        if d == 3 and kind == "avg":  # PyTorch's avg_pool3d wants the window to fit unpadded
            assume(all(n >= k for n, k in zip(size, kernel)))
        kw["d"] = d
        return Case(case.arrays, kw)
    return draw


def _max_run(library, pick):
    """Max pooling with ``return_indices=True``: the maxima (pick 0) or the indices (1)."""
    def run(x, *, form, d, **options):
        if library == "torch":
            layer, fn = getattr(torch.nn, f"MaxPool{d}d"), getattr(TF, f"max_pool{d}d")
        else:
            layer = getattr(nn, f"MaxPool{d}d")
            fn = getattr(tg if form == "tg" else F, f"max_pool{d}d")
        if form == "module":
            return layer(**options, return_indices=True)(x)[pick]
        if form == "F" and pick == 1:  # PyTorch's other spelling
            spelled = getattr(TF if library == "torch" else F, f"max_pool{d}d_with_indices")
            return spelled(x, **options)[1]
        return fn(x, **options, return_indices=True)[pick]
    return run


def _avg_run(library):
    def run(x, *, form, d, **options):
        if library == "torch":
            if form == "module":
                return getattr(torch.nn, f"AvgPool{d}d")(**options)(x)
            return getattr(TF, f"avg_pool{d}d")(x, **options)
        if form == "module":
            return getattr(nn, f"AvgPool{d}d")(**options)(x)
        return getattr(tg if form == "tg" else F, f"avg_pool{d}d")(x, **options)
    return run


# --- adaptive max pooling with indices ---------------------------------------------------------


def _adaptive(data):
    d = data.draw(st.integers(1, 3), label="spatial axes")
    shape = (data.draw(st.integers(0, 2)), data.draw(st.integers(1, 2)),
             *(data.draw(st.integers(1, 5)) for _ in range(d)))
    if data.draw(st.booleans(), label="unbatched"):
        shape = shape[1:]
    # None keeps an axis's size (PyTorch's adaptive_max_pool1d refuses None: not drawn there)
    sizes = tuple(data.draw(st.sampled_from([1, 2, 3] if d == 1 else [1, 2, 3, None]))
                  for _ in range(d))
    size = sizes[0] if sizes[0] is not None and data.draw(st.booleans()) else sizes
    return Case([values(data, shape, REAL)], {"d": d, "size": size,
                                              "form": data.draw(st.sampled_from(FORMS))})


def _adaptive_run(library, pick):
    def run(x, *, d, size, form):
        mod, fn = (torch.nn, TF) if library == "torch" else (nn, F)
        if form == "module":
            return getattr(mod, f"AdaptiveMaxPool{d}d")(size, return_indices=True)(x)[pick]
        if form == "tg":  # the other spelling (tg has no adaptive pooling of its own)
            return getattr(fn, f"adaptive_max_pool{d}d_with_indices")(x, size)[pick]
        return getattr(fn, f"adaptive_max_pool{d}d")(x, size, return_indices=True)[pick]
    return run


# --- max unpooling -------------------------------------------------------------------------------


def _unpool(data):
    """Values the shape of a max pooling's output, with the indices PyTorch's max pooling
    gave on a drawn input; the output size given (the pooled input's), or not (then an
    input longer than the default size gives indices out of range: both refuse)."""
    d = data.draw(st.integers(1, 3), label="spatial axes")
    kernel = [data.draw(st.integers(1, 3), label="kernel") for _ in range(d)]
    stride = None if data.draw(st.booleans(), label="default stride") else [
        data.draw(st.integers(1, 3), label="stride") for _ in range(d)]
    pads = [data.draw(st.integers(0, k // 2), label="padding") for k in kernel]
    size = tuple(max(1, k - 2 * p + data.draw(st.integers(0, 3))) for k, p in zip(kernel, pads))
    lead = (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2)))
    if data.draw(st.integers(0, 5), label="unbatched") == 0:
        lead = lead[1:]
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16), label="seed"))
    source = torch.tensor(rng.integers(-2, 3, lead + size).astype(np.float64))  # ties too
    options = {"kernel_size": tuple(kernel), "stride": None if stride is None else tuple(stride),
               "padding": tuple(pads)}
    pooled, where = getattr(TF, f"max_pool{d}d")(source, **options, return_indices=True)
    x = values(data, tuple(pooled.shape), REAL)
    # overlapping windows can share their maximum: one place, two values. Which one PyTorch
    # writes there is not defined (neither the first nor the last); pooled values agree.
    plane = int(np.prod(pooled.shape[-d:]))
    rows, places = x.reshape(-1, plane).copy(), where.numpy().reshape(-1, plane)
    for row, idx in zip(rows, places):
        _, first, back = np.unique(idx, return_index=True, return_inverse=True)
        row[...] = row[first][back.ravel()]
    x = rows.reshape(x.shape)
    default = [(m - 1) * s - 2 * p + k for m, k, s, p in
               zip(pooled.shape[-d:], kernel, stride or kernel, pads)]
    if data.draw(st.booleans(), label="output_size") or 0 in default:
        # an empty default plane: PyTorch drops the values silently, we refuse (a test of
        # ours checks the message); here the pooled input's size is given
        full = len(lead) == 2 and data.draw(st.booleans(), label="full shape")
        options["output_size"] = tuple(source.shape) if full else size
    return Case([x], {"d": d, "indices": where.numpy(), "options": options,
                      "form": data.draw(st.sampled_from(["F", "module"]))})


def _unpool_run(library):
    def run(x, *, d, indices, options, form):
        mod, fn, make = (torch.nn, TF, torch.tensor) if library == "torch" else (nn, F,
                                                                                 tg.Tensor)
        options = dict(options)
        where = make(indices)
        if form == "module":
            output_size = options.pop("output_size", None)
            return getattr(mod, f"MaxUnpool{d}d")(**options)(x, where, output_size=output_size)
        return getattr(fn, f"max_unpool{d}d")(x, where, **options)
    return run


_UNPOOL_NAMES = tuple(f"{form}{d}d" for d in (1, 2, 3) for form in ("F.max_unpool",
                                                                     "nn.MaxUnpool"))

POOLIDX_OPS = [
    Op("max_pool ceil_mode values", _max_run("ours", 0), _max_run("torch", 0), _pool_ceil("max"),
       covers=("F.max_pool1d_with_indices", "F.max_pool2d_with_indices",
               "F.max_pool3d_with_indices", "ops_pool.indices")),
    Op("max_pool indices", _max_run("ours", 1), _max_run("torch", 1), _pool_ceil("max")),
    Op("avg_pool ceil_mode", _avg_run("ours"), _avg_run("torch"), _pool_ceil("avg"), sums=1),
    Op("adaptive max values", _adaptive_run("ours", 0), _adaptive_run("torch", 0), _adaptive,
       covers=("F.adaptive_max_pool1d_with_indices", "F.adaptive_max_pool2d_with_indices",
               "F.adaptive_max_pool3d_with_indices")),
    Op("adaptive max indices", _adaptive_run("ours", 1), _adaptive_run("torch", 1), _adaptive),
    Op("max_unpool", _unpool_run("ours"), _unpool_run("torch"), _unpool,
       covers=_UNPOOL_NAMES),
]


@pytest.mark.parametrize("op", POOLIDX_OPS, ids=lambda op: op.name)
@D.SETTINGS
@given(data=st.data())
def test_poolidx_op_matches_torch(op, data):
    D.check(op, data)
