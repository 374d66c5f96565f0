"""``torch.linalg`` here: ``import tinygrad_dk as torch; torch.linalg.norm(x)``.

Norms, inverse, determinant and linear solves, with PyTorch's names and arguments
(``ord=``, ``dim=``, ``keepdim=``). The operations and their derivatives are in
``tinygrad_dk.ops_matrix`` and ``ops_linalg``; this module only takes PyTorch's arguments.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from tinygrad_dk import ops_linalg, ops_matrix
from tinygrad_dk.ops_matrix import det, inv, solve
from tinygrad_dk.spelling import UNSET, axis_args


def vector_norm(x: Any, ord: Any = 2, dim: Any = None, keepdim: bool = False, *,  # noqa: A002
                dtype: Any = None, axis: Any = UNSET, keepdims: Any = UNSET) -> Any:
    """The vector ord-norm over ``dim`` (None: all elements): 2, 1, inf, -inf, 0, p > 0."""
    dim, keepdim = axis_args("vector_norm", dim, keepdim, axis, keepdims)
    x = x if dtype is None else x.to(dtype)
    return ops_linalg.vector_norm(x, ord, dim, keepdim)


def matrix_norm(a: Any, ord: Any = "fro", dim: Any = (-2, -1), keepdim: bool = False,  # noqa: A002
                *, dtype: Any = None) -> Any:
    """A matrix norm over the two axes ``dim``: 'fro', 1, -1, inf, -inf."""
    a = a if dtype is None else a.to(dtype)
    return ops_matrix.matrix_norm(a, ord, tuple(dim), keepdim)


def norm(a: Any, ord: Any = None, dim: Any = None, keepdim: bool = False, *,  # noqa: A002
         dtype: Any = None) -> Any:
    """A vector norm (1-D input or one dim) or a matrix norm (2-D input or two dims)."""
    a = a if dtype is None else a.to(dtype)
    return ops_matrix.norm(a, ord, tuple(dim) if isinstance(dim, list) else dim, keepdim)


class SignLogAbsDet(NamedTuple):
    """What ``slogdet`` returns, as PyTorch: ``(sign, logabsdet)``."""

    sign: Any
    logabsdet: Any


def slogdet(a: Any) -> SignLogAbsDet:
    """``(sign, logabsdet)`` with det(A) = sign * exp(logabsdet)."""
    return SignLogAbsDet(*ops_matrix.slogdet(a))


def cross(a: Any, b: Any, dim: int = -1) -> Any:
    """The cross product along ``dim`` (default the last, unlike ``torch.cross``)."""
    return ops_linalg.cross(a, b, dim)


__all__ = ["vector_norm", "matrix_norm", "norm", "inv", "det", "slogdet", "solve", "cross"]
