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

from tinygrad_dk import ops, ops_count, ops_index, ops_shape, ops_softmax, spelling
from tinygrad_dk.creation import as_tensor
from tinygrad_dk.grad_mode import GradMode
from tinygrad_dk.spelling import UNSET
from tinygrad_dk.tensor import Tensor

from tinygrad_dk import ops_layout, ops_pieces  # isort: skip  (PyTorch names: shape)


def _t(x: Any) -> Tensor:
    """A Tensor as it is; anything else by ``as_tensor``'s rules (no copy for arrays, a
    list of floats float32 as ``tg.tensor`` makes it)."""
    return as_tensor(x)


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


# --- PyTorch names: counting (no gradient: see tinygrad_dk.ops_count) -----------------------
bincount, histc = _method("bincount"), _method("histc")


def searchsorted(sorted_sequence: Any, values: Any, *, out_int32: bool = False,
                 right: bool = False, side: str | None = None) -> Any:
    """Positions that keep ``sorted_sequence`` sorted: see ``ops_count.searchsorted``."""
    return ops_count.searchsorted(_t(sorted_sequence), values, out_int32=out_int32,
                                  right=right, side=side)


def bucketize(input: Any, boundaries: Any, *, out_int32: bool = False,  # noqa: A002
              right: bool = False) -> Any:
    """The bucket of each value between sorted boundaries: see ``ops_count.bucketize``."""
    return ops_count.bucketize(_t(input), boundaries, out_int32=out_int32, right=right)


def isin(elements: Any, test_elements: Any, *, assume_unique: bool = False,
         invert: bool = False) -> Any:
    """True where an element occurs in ``test_elements``."""
    return ops_count.isin(_t(elements), test_elements, assume_unique=assume_unique,
                          invert=invert)


__all__ = [
    "sum", "mean", "std", "var", "norm", "max", "min", "amax", "amin", "argmax", "argmin",
    "all", "any", "logsumexp", "topk", "sort", "nonzero", "flatten", "reshape", "squeeze",
    "unsqueeze", "permute", "transpose", "t", "clone", "detach", "clamp", "numel", "sin", "cos",
    "unique", "square", "round", "floor", "ceil", "sign", "isnan", "isinf", "isfinite",
    "softmax", "log_softmax", "cat", "concat", "concatenate", "stack", "where", "equal",
    "allclose", "isclose", "is_tensor", "is_floating_point", "mm", "inference_mode",
    "bincount", "histc", "searchsorted", "bucketize", "isin",
]


# --- PyTorch names: shape (layout, pieces, gather/scatter) --------------------------------
# torch.flip(x, dims), torch.gather(x, dim, index), ...: the Tensor methods (ops_layout,
# ops_pieces, ops_gather); the functions of several tensors convert each one first.

(tile, flip, fliplr, flipud, roll, rot90, movedim, moveaxis, swapdims, swapaxes, narrow, select,
 unflatten, ravel, chunk, split, tensor_split, hsplit, vsplit, dsplit, unbind, broadcast_to,
 diag, diagonal, diag_embed, tril, triu, gather, index_select, take, take_along_dim,
 masked_fill, masked_select, scatter, scatter_add, index_add, index_fill) = (
    _method(n) for n in (
        "tile", "flip", "fliplr", "flipud", "roll", "rot90", "movedim", "moveaxis", "swapdims",
        "swapaxes", "narrow", "select", "unflatten", "ravel", "chunk", "split", "tensor_split",
        "hsplit", "vsplit", "dsplit", "unbind", "broadcast_to", "diag", "diagonal",
        "diag_embed", "tril", "triu", "gather", "index_select", "take", "take_along_dim",
        "masked_fill", "masked_select", "scatter", "scatter_add", "index_add", "index_fill"))


def repeat_interleave(input: Any, repeats: Any = None, dim: int | None = None) -> Any:  # noqa: A002
    """Each element repeated ``repeats`` times in place (see ``Tensor.repeat_interleave``);
    with the counts alone, ``repeat_interleave(counts)`` repeats 0, 1, 2, ... by them."""
    if repeats is None:
        counts = _t(input)
        return _t(np.arange(counts.numel() if counts.ndim else 1)).repeat_interleave(counts, 0)
    return _t(input).repeat_interleave(repeats, dim)


def _all_tensors(tensors: tuple) -> list:
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    return [_t(x) for x in tensors]


def hstack(tensors: Sequence[Any]) -> Any:
    """Side by side: along dim 1 (vectors end to end)."""
    return ops_pieces.hstack(_all_tensors((tensors,)))


def vstack(tensors: Sequence[Any]) -> Any:
    """One above the other: along dim 0 (vectors as rows)."""
    return ops_pieces.vstack(_all_tensors((tensors,)))


row_stack = vstack


def dstack(tensors: Sequence[Any]) -> Any:
    """In depth: along dim 2."""
    return ops_pieces.dstack(_all_tensors((tensors,)))


def column_stack(tensors: Sequence[Any]) -> Any:
    """Vectors as the columns of a matrix (matrices side by side)."""
    return ops_pieces.column_stack(_all_tensors((tensors,)))


def broadcast_tensors(*tensors: Any) -> tuple:
    """The tensors broadcast to their common shape."""
    return ops_pieces.broadcast_tensors(*_all_tensors(tensors))


def meshgrid(*tensors: Any, indexing: str | None = None) -> tuple:
    """Coordinate grids (``indexing='ij'`` or numpy's ``'xy'``; see ops_pieces.meshgrid)."""
    return ops_pieces.meshgrid(*_all_tensors(tensors), indexing=indexing)


def cartesian_prod(*tensors: Any) -> Any:
    """Every combination of one element from each vector, one row each."""
    return ops_pieces.cartesian_prod(*_all_tensors(tensors))


def block_diag(*tensors: Any) -> Any:
    """The matrices along the diagonal of one matrix of zeros."""
    return ops_pieces.block_diag(*_all_tensors(tensors))


def _at_least(fn: Any) -> Any:
    def at_least(*tensors: Any) -> Any:
        listed = len(tensors) == 1 and isinstance(tensors[0], (list, tuple))
        return fn(_all_tensors(tensors)) if listed else fn(*_all_tensors(tensors))

    at_least.__name__ = at_least.__qualname__ = fn.__name__
    at_least.__doc__ = fn.__doc__
    return at_least


atleast_1d, atleast_2d, atleast_3d = (_at_least(ops_layout.atleast_1d),
                                      _at_least(ops_layout.atleast_2d),
                                      _at_least(ops_layout.atleast_3d))
tril_indices, triu_indices = ops_layout.tril_indices, ops_layout.triu_indices

#: this section's names, which the package exports as they are (tinygrad_dk/__init__.py)
SHAPE_NAMES = [
    "tile", "flip", "fliplr", "flipud", "roll", "rot90", "movedim", "moveaxis", "swapdims",
    "swapaxes", "narrow", "select", "unflatten", "ravel", "chunk", "split", "tensor_split",
    "hsplit", "vsplit", "dsplit", "unbind", "broadcast_to", "diag", "diagonal", "diag_embed",
    "tril", "triu", "gather", "index_select", "take", "take_along_dim", "masked_fill",
    "masked_select", "scatter", "scatter_add", "index_add", "index_fill", "repeat_interleave",
    "hstack", "vstack", "row_stack", "dstack", "column_stack", "broadcast_tensors", "meshgrid",
    "cartesian_prod", "block_diag", "atleast_1d", "atleast_2d", "atleast_3d", "tril_indices",
    "triu_indices",
]
__all__ += SHAPE_NAMES
# --- end of PyTorch names: shape -------------------------------------------------------------

# --- PyTorch names: misc ---
is_nonzero = _method("is_nonzero")
__all__ += ["is_nonzero"]
# --- end misc ---

# --- PyTorch names: math (tinygrad_dk.ops_elementwise) ----------------------------------

(log1p, log2, log10, expm1, exp2, reciprocal, rsqrt, tan, sinh, cosh, asin, arcsin, acos,
 arccos, atan, arctan, asinh, arcsinh, acosh, arccosh, atanh, arctanh, erf, erfc, trunc, fix,
 frac, sgn, negative, absolute, lerp, addcmul, addcdiv, clamp_min, clamp_max, eq, ne, lt, le,
 gt, ge, greater, less, greater_equal, less_equal, not_equal, logical_and, logical_or,
 logical_xor, logical_not, signbit, nan_to_num) = (
    _method(n) for n in (
        "log1p", "log2", "log10", "expm1", "exp2", "reciprocal", "rsqrt", "tan", "sinh", "cosh",
        "asin", "arcsin", "acos", "arccos", "atan", "arctan", "asinh", "arcsinh", "acosh",
        "arccosh", "atanh", "arctanh", "erf", "erfc", "trunc", "fix", "frac", "sgn", "negative",
        "absolute", "lerp", "addcmul", "addcdiv", "clamp_min", "clamp_max", "eq", "ne", "lt",
        "le", "gt", "ge", "greater", "less", "greater_equal", "less_equal", "not_equal",
        "logical_and", "logical_or", "logical_xor", "logical_not", "signbit", "nan_to_num"))


def _arithmetic(name: str) -> Any:
    """``torch.name(input, other, ...)`` as ``input.name(other, ...)``; a Python number as
    ``input`` (``torch.remainder(5, y)``, ``torch.xlogy(2, y)``) goes to the op as the number
    it is, so that it keeps PyTorch's weak dtype (a 0-d tensor of it would be int64)."""
    def fn(input: Any, other: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: A002
        if not isinstance(input, Tensor) and isinstance(other, Tensor):
            return getattr(Tensor, name)(input, other, *args, **kwargs)
        return getattr(_t(input), name)(other, *args, **kwargs)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``{name}(x, other, ...)`` is ``x.{name}(other, ...)``: see ``Tensor.{name}``."
    return fn


(atan2, arctan2, fmod, remainder, floor_divide, float_power, hypot, logaddexp, xlogy, multiply,
 subtract, true_divide, divide) = (
    _arithmetic(n) for n in ("atan2", "arctan2", "fmod", "remainder", "floor_divide",
                             "float_power", "hypot", "logaddexp", "xlogy", "multiply",
                             "subtract", "true_divide", "divide"))
div = divide  # torch.div(a, b, rounding_mode="floor")

__all__ += [
    "log1p", "log2", "log10", "expm1", "exp2", "reciprocal", "rsqrt", "tan", "sinh", "cosh",
    "asin", "arcsin", "acos", "arccos", "atan", "arctan", "asinh", "arcsinh", "acosh", "arccosh",
    "atanh", "arctanh", "erf", "erfc", "trunc", "fix", "frac", "sgn", "negative", "absolute",
    "atan2", "arctan2", "fmod", "remainder", "floor_divide", "float_power", "hypot", "logaddexp",
    "xlogy", "lerp", "addcmul", "addcdiv", "multiply", "subtract", "true_divide", "divide", "div",
    "clamp_min", "clamp_max", "eq", "ne", "lt", "le", "gt", "ge", "greater", "less",
    "greater_equal", "less_equal", "not_equal", "logical_and", "logical_or", "logical_xor",
    "logical_not", "signbit", "nan_to_num",
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

# --- PyTorch names: extra (tinygrad_dk.ops_extra; logspace is in creation) ---
EXTRA_METHODS = ("heaviside", "deg2rad", "rad2deg", "trapezoid", "cumulative_trapezoid", "cov",
                 "corrcoef")
heaviside, deg2rad, rad2deg, trapezoid, cumulative_trapezoid, cov, corrcoef = (
    _method(n) for n in EXTRA_METHODS)
__all__ += [*EXTRA_METHODS]
# --- end extra ---

# --- PyTorch names: linalg2 (decompositions; tinygrad_dk.linalg) ---
from tinygrad_dk.linalg import cholesky_old as cholesky  # noqa: E402
from tinygrad_dk.linalg import logdet, matrix_exp, matrix_power, pinverse  # noqa: E402
from tinygrad_dk.linalg import slogdet_method as slogdet  # noqa: E402
from tinygrad_dk.linalg import svd_old as svd  # noqa: E402

__all__ += ["svd", "cholesky", "pinverse", "matrix_power", "matrix_exp", "logdet", "slogdet"]
# --- end linalg2 ---

# --- PyTorch names: misc2 (tinygrad_dk.ops_misc, ops_misc_arrays) ---
from tinygrad_dk.ops_extra import trapezoid as trapz  # noqa: E402, F401  (older name)
from tinygrad_dk.ops_misc import polygamma  # noqa: E402, F401
from tinygrad_dk.ops_misc_arrays import (  # noqa: E402, F401
    chain_matmul,
    combinations,
    cosine_similarity,
    pairwise_distance,
    pdist,
    unravel_index,
    vander,
)

MISC2_METHODS = (
    "sinc", "lgamma", "digamma", "erfinv", "i0", "frexp", "isposinf", "isneginf", "isreal",
    "positive", "logit", "index_copy", "masked_scatter", "select_scatter", "slice_scatter",
    "addr", "addbmm", "renorm", "diagflat", "argwhere", "unique_consecutive", "histogram")
(sinc, lgamma, digamma, erfinv, i0, frexp, isposinf, isneginf, isreal, positive, logit,
 index_copy, masked_scatter, select_scatter, slice_scatter, addr, addbmm, renorm, diagflat,
 argwhere, unique_consecutive, histogram) = (_method(n) for n in MISC2_METHODS)
MISC2_BINARY = ("copysign", "fmax", "fmin", "logaddexp2", "ldexp", "nextafter", "gcd", "lcm")
copysign, fmax, fmin, logaddexp2, ldexp, nextafter, gcd, lcm = (
    _arithmetic(n) for n in MISC2_BINARY)


def rsub(input: Any, other: Any, *, alpha: Any = 1) -> Any:  # noqa: A002
    """other - alpha * input (subtraction with the operands reversed)."""
    from tinygrad_dk.ops_misc import rsub as reversed_sub
    return reversed_sub(_t(input), other, alpha)


MISC2_NAMES = [*MISC2_METHODS, *MISC2_BINARY, "polygamma", "rsub", "chain_matmul",
               "combinations", "cosine_similarity", "pairwise_distance", "pdist",
               "unravel_index", "vander", "trapz"]
__all__ += MISC2_NAMES
# --- end misc2 ---

# --- PyTorch names: lu3d (LU, old qr, randomised low-rank svd / pca) ---
from tinygrad_dk.linalg import lu_old as lu  # noqa: E402
from tinygrad_dk.linalg import lu_solve_old as lu_solve  # noqa: E402
from tinygrad_dk.linalg import lu_unpack  # noqa: E402, F401
from tinygrad_dk.linalg import qr_old as qr  # noqa: E402
from tinygrad_dk.lowrank import pca_lowrank, svd_lowrank  # noqa: E402, F401

__all__ += ["lu", "lu_solve", "lu_unpack", "qr", "svd_lowrank", "pca_lowrank"]
# --- end lu3d ---


# --- PyTorch names: lazyns ---
def compile(model: Any = None, **options: Any) -> Any:  # noqa: A001 - PyTorch's name
    """``torch.compile``: here the model or function itself, unchanged.

    This engine does not compile: it runs every operation through numpy as it comes, so
    the results are exactly those without ``compile``. It is here so that a PyTorch
    program that compiles its model runs unchanged (``fullgraph=``, ``mode=``,
    ``backend=``, ... are accepted and ignored). Without a model, as a decorator
    (``@torch.compile(mode="max-autotune")``), it returns a decorator that does the same.
    """
    if model is None:
        return lambda fn: fn
    if not callable(model):
        raise TypeError(f"compile: expects a Module or a function, got {type(model).__name__}")
    return model
# --- end lazyns ---
