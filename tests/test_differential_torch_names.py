"""The operations with PyTorch's names against PyTorch, by the differential harness.

Trigonometry and rounding, ELU/SiLU/GELU, norms and standard deviations, reductions with
positions (``argmax``, ``max(dim)``, ``topk``, ``sort``), tests (``isnan``, ``all``),
in-place operations on computed tensors (``y.add_(b)``, ``y *= 2``, ``y.clamp_()``), the
operators on masks and the module-level functions (``torch.add(a, b)`` and friends), in
the same kind of table as ``test_differential_ops.py``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

import differential as D  # noqa: E402
from differential import (  # noqa: E402
    FINITE,
    MODERATE,
    REAL,
    Case,
    Op,
    axis_for,
    elementwise,
    shape,
    smaller,
    unary,
    values,
)

import tinygrad_dk as tg  # noqa: E402

D.use_torch(torch)
TF = torch.nn.functional
DISTINCT = D.Domain(kinds=("normal",))  # no ties: PyTorch's order among equal values is open

FORM = st.sampled_from(["method", "function"])


def _both(name):
    """``x.name()`` or ``tg.name(x)``, as drawn (one row tests both spellings)."""
    return lambda x, form: getattr(x, name)() if form == "method" else getattr(tg, name)(x)


def _both_torch(name):
    return lambda x, form: getattr(torch, name)(x)


def _math(name, **extra):
    return Op(name, _both(name), _both_torch(name), unary(REAL, form=FORM),
              covers=(f"Tensor.{name}", f"tg.{name}", f"ops_math.{name}"), **extra)


def _dim_reduction(data, nonempty=False, allow_tuple=True):
    s = shape(data)
    if nonempty:
        s = tuple(max(n, 1) for n in s)
    return s, axis_for(data, len(s), allow_tuple=allow_tuple), data.draw(st.booleans())


def _amax(data):
    s, dim, keep = _dim_reduction(data, nonempty=True)
    return Case([values(data, s, REAL)], {"dim": dim, "keepdim": keep, "form": data.draw(FORM)})


def _ours_amax(x, dim, keepdim, form, name="amax"):
    f = getattr(x, name) if form == "method" else lambda **k: getattr(tg, name)(x, **k)
    return f(dim=dim, keepdim=keepdim) if dim is not None else f(keepdim=keepdim)


def _torch_amax(x, dim, keepdim, form, name="amax"):
    return getattr(torch, name)(x, dim=D.dims(dim, x.ndim), keepdim=keepdim)


def _argmax(data):
    s, dim, keep = _dim_reduction(data, nonempty=True, allow_tuple=False)
    return Case([values(data, s, FINITE)], {"dim": dim, "keepdim": keep})


def _max_dim(data):
    s = tuple(max(n, 1) for n in shape(data, min_dims=1))
    return Case([values(data, s, REAL)], {"dim": data.draw(st.integers(-len(s), len(s) - 1)),
                                          "keepdim": data.draw(st.booleans())})


def _topk(data):
    s = tuple(max(n, 1) for n in shape(data, min_dims=1))
    dim = data.draw(st.integers(-len(s), len(s) - 1))
    return Case([values(data, s, DISTINCT)],
                {"k": data.draw(st.integers(0, s[dim])), "dim": dim,
                 "largest": data.draw(st.booleans())})


def _sort(data):
    s = shape(data, min_dims=1)
    return Case([values(data, s, DISTINCT)], {"dim": data.draw(st.integers(-len(s), len(s) - 1)),
                                              "descending": data.draw(st.booleans())})


def _std(data):
    s, dim, keep = _dim_reduction(data)
    return Case([values(data, s, FINITE)], {"dim": dim, "keepdim": keep,
                                            "correction": data.draw(st.sampled_from([0, 1]))})


def _ours_std(x, dim, keepdim, correction, name="std"):
    return getattr(x, name)(dim=dim, keepdim=keepdim, correction=correction)


def _torch_std(x, dim, keepdim, correction, name="std"):
    return getattr(torch, name)(x, dim=D.dims(dim, x.ndim), keepdim=keepdim,
                                correction=correction)


def _norm(data):
    s, dim, keep = _dim_reduction(data)
    return Case([values(data, s, REAL)],
                {"p": data.draw(st.sampled_from([2, "fro", 1, np.inf, -np.inf, 3, 0.5])),
                 "dim": dim, "keepdim": keep})


def _torch_norm(x, p, dim, keepdim):
    ord = 2 if p == "fro" else p
    return torch.linalg.vector_norm(x, ord=ord, dim=D.dims(dim, x.ndim), keepdim=keepdim)


def _torch_norm_scaled(x, p, dim, keepdim):
    """PyTorch's norm of x / s, times s, s = the largest |x| (a constant): the same
    function, computed without underflow (PyTorch's 2-norm of [1e-300, 1e-300] squares
    to 0, and its gradient is then 0; ours scales first and keeps the exact x / |x|)."""
    s = float(x.detach().abs().max()) if x.numel() else 1.0
    s = s if 0 < s < math.inf else 1.0
    return _torch_norm(x / s, p, dim, keepdim) * s


def _elu(data):
    return Case([values(data, shape(data), REAL)],
                {"alpha": data.draw(st.sampled_from([1.0, 0.5, 2.0]))})


def _gelu(data):
    return Case([values(data, shape(data), REAL)],
                {"approximate": data.draw(st.sampled_from(["none", "tanh"]))})


def _inplace(data):
    """A computed tensor y (of the full shape) changed in place by a smaller operand."""
    full = shape(data)
    return Case([values(data, full, REAL), values(data, smaller(data, full), MODERATE)],
                {"op": data.draw(st.sampled_from(["add_", "sub_", "mul_", "div_", "+=", "-=",
                                                  "*=", "/=", "add_ alpha"]))})


def _apply_inplace(x, b, op):
    y = x * 1.0  # a computed tensor: in-place changes are recorded (a leaf would refuse)
    if op == "add_ alpha":
        y.add_(b, alpha=2.0)
    elif op.endswith("_"):
        getattr(y, op)(b)
    else:
        {"+=": y.__iadd__, "-=": y.__isub__, "*=": y.__imul__, "/=": y.__itruediv__}[op](b)
    return y


def _apply_inplace_torch(x, b, op):
    y = x * 1.0
    if op == "add_ alpha":
        y.add_(b, alpha=2.0)
    elif op.endswith("_"):
        getattr(y, op)(b)
    else:
        y = {"+=": y.__iadd__, "-=": y.__isub__, "*=": y.__imul__, "/=": y.__itruediv__}[op](b)
    return y


def _fill(data):
    return Case([values(data, shape(data), REAL)],
                {"how": data.draw(st.sampled_from(["fill_", "zero_", "clamp_"]))})


def _apply_fill(x, how):
    """The same lines for ours and PyTorch: both spell these methods alike."""
    y = x * 1.0
    if how == "fill_":
        y.fill_(2.5)
    elif how == "zero_":
        y.zero_()
    else:
        y.clamp_(-1.0, 1.0)
    return y * x  # so that x gets a gradient through y's new value too


def _binary(data):
    shapes = D.broadcast_shapes(data, 2)
    return Case([values(data, s, REAL) for s in shapes],
                {"name": data.draw(st.sampled_from(["add", "sub", "mul", "div", "pow"])),
                 "form": data.draw(FORM)})


def _ours_binary(a, b, name, form):
    return getattr(a, name)(b) if form == "method" else getattr(tg, name)(a, b)


def _mm(data):
    n, k, m = (data.draw(D.SIZES) for _ in range(3))
    return Case([values(data, (n, k), FINITE), values(data, (k, m), FINITE)],
                {"form": data.draw(st.sampled_from(["method mm", "method matmul",
                                                    "function mm", "function matmul"]))})


def _ours_mm(a, b, form):
    where, name = form.split()
    return getattr(a, name)(b) if where == "method" else getattr(tg, name)(a, b)


def _no_grad(draw):
    """The same inputs, none differentiated (PyTorch has no derivative for these)."""
    def no_grad(data):
        case = draw(data)
        return Case(case.arrays, case.kwargs, grads=[False] * len(case.arrays))
    return no_grad


def _masks(data):
    shapes = D.broadcast_shapes(data, 2)
    return Case([values(data, s, MODERATE) for s in shapes], grads=(False, False))


def _mask_ops(a, b):
    p, q = a > 0, b > 0
    return tg.stack([(p & q), (p | q), (p ^ q), ~p & q]) if p.ndim == q.ndim else p & q


def _mask_ops_torch(a, b):
    p, q = a > 0, b > 0
    return torch.stack([(p & q), (p | q), (p ^ q), ~p & q]) if p.ndim == q.ndim else p & q


def _close(data):
    shapes = D.broadcast_shapes(data, 2)
    a = values(data, shapes[0], REAL)
    b = a.copy() if data.draw(st.booleans()) and shapes[0] == shapes[1] else values(
        data, shapes[1], REAL)
    return Case([a, b], grads=(False, False))


def _softmax_dim(data):
    s = shape(data, min_dims=1)
    return Case([values(data, s, REAL)], {"dim": data.draw(st.integers(-len(s), len(s) - 1))})


AMAX_NAN = ("where the upstream gradient is inf, torch.amax/amin multiply it by a 0/1 mask "
            "(0 * inf = nan) for the elements that were not the extreme; we give them 0")
SHIFT_NAN = "an infinite logit: PyTorch gives nan (inf - inf), we give the limit"
REFUSE = ("n - correction <= 0: PyTorch divides by 0 or less (nan or inf, with a warning); "
          "we raise a ValueError that says so")

TORCH_NAME_OPS = [
    # elementwise
    _math("sin"), _math("cos"), _math("square"),
    _math("round"), _math("floor"), _math("ceil"), _math("sign"),
    Op("isnan, isinf, isfinite", lambda x: tg.stack([x.isnan(), tg.isinf(x), x.isfinite()]),
       lambda x: torch.stack([x.isnan(), torch.isinf(x), x.isfinite()]), unary(),
       covers=("Tensor.isnan", "Tensor.isinf", "Tensor.isfinite", "tg.isnan", "tg.isinf",
               "tg.isfinite", "ops_math.isnan", "ops_math.isinf", "ops_math.isfinite")),
    Op("elu", lambda x, alpha: tg.elu(x, alpha=alpha), lambda x, alpha: TF.elu(x, alpha),
       _elu, covers=("tg.elu", "ops_activation.elu")),
    Op("silu", tg.silu, TF.silu, unary(), covers=("tg.silu", "ops_activation.silu")),
    Op("gelu", lambda x, approximate: tg.gelu(x, approximate=approximate),
       lambda x, approximate: TF.gelu(x, approximate=approximate), _gelu, rtol=1e-6,
       covers=("tg.gelu", "ops_activation.gelu", "ops_activation.normal_cdf")),
    # reductions, with PyTorch's dim= and keepdim=
    Op("amax", _ours_amax, _torch_amax, _amax, nan_ok=AMAX_NAN,
       covers=("Tensor.amax", "tg.amax")),
    Op("amin", lambda *a, **k: _ours_amax(*a, **k, name="amin"),
       lambda *a, **k: _torch_amax(*a, **k, name="amin"), _amax, nan_ok=AMAX_NAN,
       covers=("Tensor.amin", "tg.amin")),
    Op("argmax", lambda x, dim, keepdim: x.argmax(dim=dim, keepdim=keepdim),
       lambda x, dim, keepdim: torch.argmax(x, dim=dim, keepdim=keepdim), _argmax,
       covers=("Tensor.argmax", "tg.argmax", "ops_index.argmax")),
    Op("argmin", lambda x, dim, keepdim: tg.argmin(x, dim=dim, keepdim=keepdim),
       lambda x, dim, keepdim: torch.argmin(x, dim=dim, keepdim=keepdim), _argmax,
       covers=("Tensor.argmin", "tg.argmin", "ops_index.argmin")),
    Op("max(dim) values", lambda x, dim, keepdim: x.max(dim, keepdim)[0],
       lambda x, dim, keepdim: torch.max(x, dim, keepdim)[0], _max_dim,
       covers=("ops_index.extreme_along",)),
    Op("max(dim) indices", lambda x, dim, keepdim: x.max(dim, keepdim).indices,
       lambda x, dim, keepdim: torch.max(x, dim, keepdim).indices, _max_dim),
    Op("min(dim) values", lambda x, dim, keepdim: x.min(dim=dim, keepdim=keepdim).values,
       lambda x, dim, keepdim: torch.min(x, dim, keepdim).values, _max_dim),
    Op("min(dim) indices", lambda x, dim, keepdim: x.min(dim=dim, keepdim=keepdim).indices,
       lambda x, dim, keepdim: torch.min(x, dim, keepdim).indices, _max_dim),
    Op("topk values", lambda x, k, dim, largest: x.topk(k, dim, largest)[0],
       lambda x, k, dim, largest: torch.topk(x, k, dim, largest)[0], _topk,
       covers=("Tensor.topk", "tg.topk", "ops_index.topk")),
    Op("topk indices", lambda x, k, dim, largest: tg.topk(x, k, dim, largest)[1],
       lambda x, k, dim, largest: torch.topk(x, k, dim, largest)[1], _topk),
    Op("sort values", lambda x, dim, descending: x.sort(dim, descending)[0],
       lambda x, dim, descending: torch.sort(x, dim=dim, descending=descending)[0], _sort,
       covers=("Tensor.sort", "tg.sort")),
    Op("sort indices", lambda x, dim, descending: tg.sort(x, dim, descending)[1],
       lambda x, dim, descending: torch.sort(x, dim=dim, descending=descending)[1], _sort),
    Op("unique", lambda x: x.unique(), lambda x: torch.unique(x), _no_grad(unary(FINITE)),
       covers=("Tensor.unique", "tg.unique", "ops_index.unique")),
    Op("nonzero", lambda x: tg.nonzero(x), lambda x: torch.nonzero(x), unary(MODERATE),
       covers=("Tensor.nonzero", "tg.nonzero", "ops_index.nonzero")),
    Op("all, any", lambda x, dim, keepdim: tg.stack([x.all(dim, keepdim), x.any(dim, keepdim)])
       if dim is not None else tg.stack([x.all(), x.any()]),
       lambda x, dim, keepdim: torch.stack([x.all(dim, keepdim), x.any(dim, keepdim)])
       if dim is not None else torch.stack([x.all(), x.any()]), _argmax,
       covers=("Tensor.all", "Tensor.any", "ops_index.all", "ops_index.any")),
    Op("std", _ours_std, _torch_std, _std, sums=2, grad_sums=True, refuse_ok=REFUSE,
       covers=("Tensor.std", "tg.std", "ops.std")),
    Op("var (dim=, correction=)", lambda *a, **k: _ours_std(*a, **k, name="var"),
       lambda *a, **k: _torch_std(*a, **k, name="var"), _std, sums=2, grad_sums=True,
       refuse_ok=REFUSE, covers=("tg.var",)),
    Op("mean (dim=)", lambda x, dim, keepdim, form: tg.mean(x, dim=dim, keepdim=keepdim)
       if dim is not None else x.mean(),
       lambda x, dim, keepdim, form: torch.mean(x, dim=D.dims(dim, x.ndim), keepdim=keepdim)
       if dim is not None else x.mean(), _amax, sums=1, covers=("tg.mean",)),
    Op("norm", lambda x, p, dim, keepdim: x.norm(p, dim, keepdim) if dim is not None else
       tg.norm(x, p, keepdim=keepdim), _torch_norm, _norm, sums=2, grad_sums=True,
       divides_by_result=True, alt=_torch_norm_scaled,
       alt_why="PyTorch's norm of numbers near 1e-300 underflows; scaled first, it does not",
       nan_ok="at x = 0 PyTorch's norm derivative for p != 2 divides 0 by 0; we give 0",
       covers=("Tensor.norm", "tg.norm", "ops_math.norm", "ops_math.norm2", "ops_math.normp")),
    Op("softmax, log_softmax (dim=)",
       lambda x, dim: tg.softmax(x, dim=dim) + x.log_softmax(dim) + tg.log_softmax(x, dim),
       lambda x, dim: torch.softmax(x, dim) + 2 * torch.log_softmax(x, dim), _softmax_dim,
       grad_sums=True, nan_ok=SHIFT_NAN, covers=("tg.softmax", "tg.log_softmax")),
    # arithmetic by name
    Op("add, sub, mul, div, pow", _ours_binary,
       lambda a, b, name, form: getattr(torch, name)(a, b), _binary,
       nan_ok="PyTorch's pow: see test_differential_ops.py (0 * log 0 in unselected branches)",
       covers=("Tensor.add", "Tensor.sub", "Tensor.mul", "Tensor.div", "Tensor.pow", "tg.add",
               "tg.sub", "tg.mul", "tg.div", "tg.pow")),
    Op("neg", lambda x, form: x.neg() if form == "method" else tg.neg(x),
       lambda x, form: torch.neg(x), unary(form=FORM), covers=("Tensor.neg", "tg.neg")),
    Op("mm, matmul", _ours_mm, lambda a, b, form: a @ b, _mm, sums=1,
       covers=("Tensor.mm", "Tensor.matmul", "tg.mm")),
    Op("clamp", lambda x, form: x.clamp(-0.5, 2.0) if form == "method"
       else tg.clamp(x, min=-0.5, max=2.0), lambda x, form: torch.clamp(x, -0.5, 2.0),
       unary(form=FORM), covers=("Tensor.clamp", "tg.clamp")),
    Op("where", lambda a, b: tg.where(a > b, a, b), lambda a, b: torch.where(a > b, a, b),
       elementwise(2)),
    # in place, on computed tensors (recorded, as in PyTorch)
    Op("in-place arithmetic", _apply_inplace, _apply_inplace_torch, _inplace,
       covers=("Tensor.add_", "Tensor.sub_", "Tensor.mul_", "Tensor.div_")),
    Op("fill_, zero_, clamp_", _apply_fill, _apply_fill, _fill,
       covers=("Tensor.fill_", "Tensor.zero_", "Tensor.clamp_")),
    # masks and comparisons of whole tensors
    Op("& | ^ ~", _mask_ops, _mask_ops_torch, _masks,
       covers=("Tensor.__and__", "Tensor.__or__", "Tensor.__xor__", "Tensor.__invert__")),
    Op("equal, allclose, isclose", lambda a, b: tg.tensor(
       [tg.equal(a, b), tg.allclose(a, b)]) if a.shape == b.shape else tg.isclose(a, b),
       lambda a, b: torch.tensor([torch.equal(a, b), torch.allclose(a, b)])
       if a.shape == b.shape else torch.isclose(a, b), _close,
       covers=("tg.equal", "tg.allclose", "tg.isclose")),
]


@pytest.mark.parametrize("op", TORCH_NAME_OPS, ids=lambda op: op.name)
@D.SETTINGS
@given(data=st.data())
def test_torch_named_op_matches_torch(op, data):
    D.check(op, data)
