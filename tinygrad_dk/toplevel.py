"""The functions PyTorch programs call on the package: ``torch.sum(x, dim=1)``,
``torch.max(probs, dim=1)``, ``torch.cat([a, b], dim=1)``, ``torch.equal(a, b)``.

Each hands over to the Tensor method of the same name (or to the op), so the spelling
rules of ``tinygrad_dk.spelling`` hold here too: ``dim=`` and ``axis=`` both work, and
``torch.max(x, 1)`` gives ``(values, indices)``. Lists and numpy arrays are accepted
where a Tensor is expected.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tinygrad_dk import ops, ops_index, ops_shape, ops_softmax, spelling
from tinygrad_dk.grad_mode import GradMode
from tinygrad_dk.spelling import UNSET
from tinygrad_dk.tensor import Tensor


def _t(x: Any) -> Tensor:
    """A Tensor as it is; anything else as a Tensor of its data (no copy for arrays)."""
    return x if isinstance(x, Tensor) else Tensor(x) if isinstance(x, np.ndarray) else Tensor(
        np.asarray(x))


def _method(name: str) -> Any:
    def fn(input: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: A002 - PyTorch's name
        return getattr(_t(input), name)(*args, **kwargs)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``{name}(x, ...)`` is ``x.{name}(...)``: see ``Tensor.{name}``."
    return fn


# reductions, shapes and conversions: the Tensor method of the same name
(sum, mean, std, var, norm, max, min, amax, amin, argmax, argmin, all, any, logsumexp,  # noqa: A001
 topk, sort, nonzero, flatten, reshape, squeeze, unsqueeze, permute, transpose, t, clone,
 detach, clamp, numel, sin, cos, unique, square, round, floor, ceil, sign, isnan, isinf,
 isfinite) = (
    _method(n) for n in ("sum", "mean", "std", "var", "norm", "max", "min", "amax", "amin",
                         "argmax", "argmin", "all", "any", "logsumexp", "topk", "sort",
                         "nonzero", "flatten", "reshape", "squeeze", "unsqueeze", "permute",
                         "transpose", "t", "clone", "detach", "clamp", "numel", "sin", "cos",
                         "unique", "square", "round", "floor", "ceil", "sign", "isnan",
                         "isinf", "isfinite"))


def softmax(input: Any, dim: int | None = None, *, axis: Any = UNSET,  # noqa: A002
            **wrong: Any) -> Any:
    """exp(x) / sum(exp(x)) along ``dim`` (default: the last), computed stably."""
    return ops_softmax.softmax(input, axis=spelling.one_axis("softmax", dim, axis, wrong))


def log_softmax(input: Any, dim: int | None = None, *, axis: Any = UNSET,  # noqa: A002
                **wrong: Any) -> Any:
    """log(softmax(x)) along ``dim`` (default: the last), computed stably."""
    return ops_softmax.log_softmax(input, axis=spelling.one_axis("log_softmax", dim, axis, wrong))


def cat(tensors: Sequence[Any], dim: int | None = None, *, axis: Any = UNSET,
        **wrong: Any) -> Any:
    """Join tensors along an existing axis: ``cat([a, b], dim=1)`` (numpy: ``concatenate``);
    numpy's ``axis=None`` joins the flattened tensors."""
    flat = axis is None  # given explicitly (the default is UNSET: PyTorch's dim 0)
    axis, _ = spelling.axis_args("cat", dim, None, axis, UNSET, wrong, ("dim", "axis"))
    return ops_shape.concatenate(tensors, axis=None if flat else 0 if axis is None else axis)


concatenate = concat = cat


def stack(tensors: Sequence[Any], dim: int | None = None, *, axis: Any = UNSET,
          **wrong: Any) -> Any:
    """Join tensors along a new axis: ``stack([a, b], dim=0)``."""
    axis, _ = spelling.axis_args("stack", dim, None, axis, UNSET, wrong, ("dim", "axis"))
    return ops_shape.stack(tensors, axis=0 if axis is None else axis)


def where(condition: Any, input: Any = None, other: Any = None) -> Any:  # noqa: A002
    """``input`` where ``condition`` holds, else ``other`` (differentiable in both); with
    the condition alone, the positions where it holds (as ``nonzero(as_tuple=True)``)."""
    if input is None and other is None:
        return ops_index.nonzero(_t(condition), as_tuple=True)
    return ops.where(condition, input, other)


def equal(input: Any, other: Any) -> bool:  # noqa: A002
    """True when both have the same shape and the same values."""
    a, b = np.asarray(input), np.asarray(other)
    return a.shape == b.shape and bool(np.array_equal(a, b))


def allclose(input: Any, other: Any, rtol: float = 1e-05, atol: float = 1e-08,  # noqa: A002
             equal_nan: bool = False) -> bool:
    """True when every |input - other| <= atol + rtol * |other|."""
    return bool(np.allclose(np.asarray(input), np.asarray(other), rtol=rtol, atol=atol,
                            equal_nan=equal_nan))


def isclose(input: Any, other: Any, rtol: float = 1e-05, atol: float = 1e-08,  # noqa: A002
            equal_nan: bool = False) -> Tensor:
    """Elementwise ``allclose``: a bool tensor."""
    return Tensor(np.isclose(np.asarray(input), np.asarray(other), rtol=rtol, atol=atol,
                             equal_nan=equal_nan))


def is_tensor(obj: Any) -> bool:
    """True for a Tensor (and a Parameter)."""
    return isinstance(obj, Tensor)


def is_floating_point(input: Any) -> bool:  # noqa: A002
    """True for a floating-point tensor (the kind that can require grad)."""
    return np.asarray(input).dtype.kind == "f"


def mm(input: Any, mat2: Any) -> Any:  # noqa: A002
    """Matrix product of two matrices (``matmul`` handles any number of axes)."""
    return ops.matmul(input, mat2)


def inference_mode(mode: bool = True) -> Any:
    """PyTorch's faster ``no_grad``; here exactly ``no_grad()`` (or nothing with False)."""
    return GradMode(not mode)


__all__ = [
    "sum", "mean", "std", "var", "norm", "max", "min", "amax", "amin", "argmax", "argmin",
    "all", "any", "logsumexp", "topk", "sort", "nonzero", "flatten", "reshape", "squeeze",
    "unsqueeze", "permute", "transpose", "t", "clone", "detach", "clamp", "numel", "sin", "cos",
    "unique", "square", "round", "floor", "ceil", "sign", "isnan", "isinf", "isfinite",
    "softmax", "log_softmax", "cat", "concat", "concatenate", "stack", "where", "equal",
    "allclose", "isclose", "is_tensor", "is_floating_point", "mm", "inference_mode",
]

# --- PyTorch names: reduce (reductions, scans, order statistics, products) -----------------
from tinygrad_dk.ops_linalg import cdist, einsum, tensordot  # noqa: E402

REDUCE_METHODS = (
    "prod", "cumsum", "cumprod", "logcumsumexp", "cummax", "cummin", "diff", "argsort", "msort",
    "median", "nanmedian", "kthvalue", "mode", "quantile", "nanquantile", "aminmax", "nansum",
    "nanmean", "count_nonzero", "std_mean", "var_mean", "dot", "vdot", "inner", "outer", "ger",
    "mv", "bmm", "addmm", "addmv", "baddbmm", "kron", "cross", "trace", "dist", "inverse", "det",
)
(prod, cumsum, cumprod, logcumsumexp, cummax, cummin, diff, argsort, msort, median, nanmedian,
 kthvalue, mode, quantile, nanquantile, aminmax, nansum, nanmean, count_nonzero, std_mean,
 var_mean, dot, vdot, inner, outer, ger, mv, bmm, addmm, addmv, baddbmm, kron, cross, trace,
 dist, inverse, det) = (_method(n) for n in REDUCE_METHODS)
__all__ += [*REDUCE_METHODS, "einsum", "tensordot", "cdist"]
