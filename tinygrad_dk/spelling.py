"""Two spellings, one behaviour: numpy's ``axis=``/``keepdims=``, PyTorch's ``dim=``/``keepdim=``.

Every Tensor method that reduces over or moves axes accepts both spellings; this
module is the one place that turns them into one answer, and the one that tells a
caller who mixes them up or misspells them which name exists. Where numpy and PyTorch
use the same name for different things, the rule is decided here, per call:

* ``var``/``std``: numpy divides by n (``ddof=0``), PyTorch by n - 1 (``correction=1``).
  A call spelled with ``axis=`` is numpy's and gets ddof=0; every other call (``dim=``,
  a positional dim, or no dim at all) is PyTorch's and gets correction=1. An explicit
  ``ddof=``, ``correction=`` or ``unbiased=`` always wins.
* ``max``/``min``: ``x.max(dim)`` and ``x.max(dim=1)`` (PyTorch) give the pair
  ``(values, indices)``; ``x.max(axis=1)`` (numpy) gives the values alone; ``x.max()``
  the largest element in both. The pair refuses Tensor methods with an error that
  says so (``ValuesIndices``).
* ``size``: numpy's ``t.size`` is the number of elements, PyTorch's ``t.size()`` the
  shape and ``t.size(0)`` one length. ``SizeInt`` is all three: an int you can call.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from tinygrad_dk import device, ops, ops_index
from tinygrad_dk.tensor_base import TensorBase


class _Unset:
    """The default of numpy's keywords, so that ``axis=None`` given explicitly counts."""

    def __repr__(self) -> str:
        return "unset"


UNSET: Any = _Unset()

#: keyword names a reduction accepts, for the "did you mean" of a misspelling
REDUCTION_KEYWORDS = ("dim", "keepdim", "axis", "keepdims")


def reject(op: str, wrong: dict[str, Any], accepted: tuple[str, ...]) -> TypeError:
    """The error for unknown keyword arguments, naming the closest accepted one."""
    name = next(iter(wrong))
    close = difflib.get_close_matches(name, accepted, n=1, cutoff=0.5)
    hint = f" (did you mean {close[0]}=?)" if close else ""
    return TypeError(
        f"{op}() got an unexpected keyword argument {name!r}{hint}. {op} accepts "
        f"{', '.join(k + '=' for k in accepted)} (dim/keepdim are PyTorch's names, "
        "axis/keepdims numpy's; both work)"
    )


def axis_args(op: str, dim: Any, keepdim: Any, axis: Any, keepdims: Any,
              wrong: dict[str, Any] | None = None,
              accepted: tuple[str, ...] = REDUCTION_KEYWORDS) -> tuple[Any, bool]:
    """``(axis, keepdims)`` from either spelling (``keepdim=None`` means not given).

    A list of axes becomes a tuple (PyTorch accepts ``dim=[0, 1]``).
    """
    if wrong:
        raise reject(op, wrong, accepted)
    if axis is not UNSET:
        if dim is not None:
            raise TypeError(f"{op}: got both dim={dim!r} and axis={axis!r}; they are the same "
                            "argument (dim= is PyTorch's name, axis= numpy's): give one")
        dim = axis
    if keepdims is not UNSET:
        if keepdim is not None:
            raise TypeError(f"{op}: got both keepdim= and keepdims=; they are the same argument "
                            "(keepdim= is PyTorch's name, keepdims= numpy's): give one")
        keepdim = keepdims
    if isinstance(dim, list):
        dim = tuple(dim)
    return dim, bool(keepdim)


def sizes(args: tuple, given: Any = None, keyword: str = "size") -> tuple:
    """Sizes or dims in any of PyTorch's three forms: ``f(2, 3)``, ``f((2, 3))`` or by
    keyword (``size=(2, 3)``, ``dims=[1]``: ``given`` is the keyword's value, None when
    it was not given)."""
    if given is not None:
        if args:
            raise TypeError(f"got {args!r} and {keyword}={given!r}: give the {keyword} one "
                            "way, as arguments or by keyword")
        args = (given,)
    if len(args) == 1 and not isinstance(args[0], (int, np.integer)):
        return tuple(args[0])
    return tuple(args)


def number_axis(ndim: int, axis: Any) -> Any:
    """``axis``, or None where it names a number's (a 0-d tensor's) only dim: PyTorch
    accepts dim 0 or -1 there, numpy refuses every axis."""
    if ndim == 0 and axis in (0, -1, (0,), (-1,)):
        return None
    return axis


def ddof_of(op: str, axis: Any, ddof: Any, correction: Any, unbiased: Any) -> int:
    """The divisor offset of var/std: explicit if given, else by spelling (module docstring)."""
    given = {k: v for k, v in (("ddof", ddof), ("correction", correction),
                               ("unbiased", unbiased)) if v is not None}
    if len(given) > 1:
        raise TypeError(f"{op}: got {' and '.join(k + '=' for k in given)}; give one: ddof= "
                        "(numpy), correction= or unbiased= (PyTorch)")
    if unbiased is not None:
        return 1 if unbiased else 0
    if given:
        return int(next(iter(given.values())))
    return 0 if axis is not UNSET else 1  # numpy's spelling: n; PyTorch's: n - 1


class ValuesIndices(NamedTuple):
    """What ``x.max(dim)``/``x.min(dim)`` return, as PyTorch: ``(values, indices)``."""

    values: Any
    indices: Any

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(
            f"x.max(dim)/x.min(dim) give a pair (values, indices), as in PyTorch, which has no "
            f"attribute {name!r}. Take .values (or unpack: values, indices = x.max(dim=1)); "
            "for the values alone write x.amax(dim=1) or numpy's x.max(axis=1)"
        )


class Size(tuple):
    """A shape, as ``torch.Size``: a tuple of lengths that also knows ``numel()``."""

    def numel(self) -> int:
        """The number of elements a tensor of this shape holds."""
        return math.prod(self)


class SizeInt(int):
    """``t.size``: numpy's number of elements, callable as PyTorch's method.

    ``t.size == 6`` and ``np.zeros(t.size)`` use it as the int it is; ``t.size()`` gives
    the shape and ``t.size(0)`` (or ``t.size(dim=0)``) one length, as in PyTorch.
    """

    shape: Size

    def __new__(cls, shape: tuple[int, ...]) -> SizeInt:
        out = super().__new__(cls, math.prod(shape))
        out.shape = Size(shape)
        return out

    def __call__(self, dim: int | None = None) -> Any:
        if dim is None:
            return self.shape
        ndim = len(self.shape)
        if not -ndim <= dim < ndim:
            raise IndexError(f"size({dim}): dimension out of range for a tensor with {ndim} "
                             f"dimensions (shape {tuple(self.shape)}); use -{ndim}..{ndim - 1}")
        return self.shape[dim]


# --- the methods that share one signature -----------------------------------------------


def reduction(name: str, op: Callable[..., Any], doc: str) -> Callable[..., Any]:
    """A Tensor method ``x.name(dim=None, keepdim=None, *, axis=, keepdims=)`` calling
    ``op(x, axis=..., keepdims=...)``: the signature every plain reduction shares."""

    def method(self: Any, dim: Any = None, keepdim: bool | None = None, *, axis: Any = UNSET,
               keepdims: Any = UNSET, **wrong: Any) -> Any:
        axis, keepdims = axis_args(name, dim, keepdim, axis, keepdims, wrong)
        return op(self, axis=number_axis(self.ndim, axis), keepdims=keepdims)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = doc
    return method


def elementwise(op: Callable[[Any], Any], doc: str) -> Callable[[Any], Any]:
    """A Tensor method ``x.name()`` calling ``op(x)`` (for the short elementwise ones)."""
    def method(self: Any) -> Any:
        return op(self)

    method.__name__ = method.__qualname__ = getattr(op, "name", None) or op.__name__
    method.__doc__ = doc
    return method


def extreme(x: Any, largest: bool, dim: Any, keepdim: Any, axis: Any, keepdims: Any,
            wrong: dict[str, Any]) -> Any:
    """``x.max(...)``/``x.min(...)`` by the rule in the module docstring."""
    name = "max" if largest else "min"
    if hasattr(dim, "shape") and not isinstance(dim, (int, np.integer)):  # x.max(other)
        return (ops.maximum if largest else ops.minimum)(x, dim)
    numpy_spelling = axis is not UNSET
    axis, keepdims = axis_args(name, dim, keepdim, axis, keepdims, wrong)
    if axis is None or numpy_spelling:
        return (ops.max if largest else ops.min)(x, axis=axis, keepdims=keepdims)
    if isinstance(axis, tuple):
        raise TypeError(f"{name}(dim={axis}): PyTorch's {name} takes one dim (it also gives "
                        f"the positions); for several dims use x.a{name}(dim={axis})")
    return ValuesIndices(*ops_index.extreme_along(x, axis, keepdims, largest))


VAR_KEYWORDS = ("dim", "unbiased", "keepdim", "correction", "axis", "ddof", "keepdims")


def var_args(op: str, shape: tuple, dim: Any, unbiased: Any, keepdim: Any, correction: Any,
             axis: Any, ddof: Any, keepdims: Any, wrong: dict[str, Any]) -> tuple[Any, bool, int]:
    """``(axis, keepdims, ddof)`` of var/std, refusing a divisor of zero or less."""
    ddof = ddof_of(op, axis, ddof, correction, unbiased)
    axis, keepdims = axis_args(op, dim, keepdim, axis, keepdims, wrong, VAR_KEYWORDS)
    axis = number_axis(len(shape), axis)
    axes = range(len(shape)) if axis is None else (axis if isinstance(axis, tuple) else (axis,))
    n = math.prod(shape[a] for a in axes) if all(-len(shape) <= a < len(shape)
                                                  for a in axes) else None
    results = math.prod(shape) // n if n else math.prod(  # no results: nothing is divided
        d for i, d in enumerate(shape) if i not in {a % max(len(shape), 1) for a in axes})
    if n is not None and n - ddof <= 0 and results:
        raise ValueError(
            f"{op}: {n} value(s) per result with ddof={ddof} would divide by {n - ddof}. "
            f"PyTorch's {op} divides by n - 1 (correction=1) and numpy's (axis=) by n: with one "
            "value, use correction=0 (or ddof=0), or reduce over more values"
        )
    return axis, keepdims, ddof


def one_axis(op: str, dim: Any, axis: Any, wrong: dict[str, Any]) -> int:
    """The single axis of softmax-like ops; default the last."""
    axis, _ = axis_args(op, dim, None, axis, UNSET, wrong, ("dim", "axis"))
    return -1 if axis is None else axis


# --- shapes -----------------------------------------------------------------------------


def flat_shape(shape: tuple, start: int, end: int) -> tuple[int, ...]:
    """The shape after merging axes ``start``..``end`` (both included) into one."""
    ndim = max(len(shape), 1)
    s, e = start % ndim, end % ndim
    if not (-ndim <= start < ndim and -ndim <= end < ndim) or s > e:
        raise ValueError(f"flatten: start_dim={start} and end_dim={end} do not give a range "
                         f"of axes of a tensor with {len(shape)} dimensions")
    return tuple(shape[:s]) + (math.prod(shape[s:e + 1]),) + tuple(shape[e + 1:])


def squeezable(shape: tuple, dim: Any) -> Any:
    """PyTorch's ``squeeze(dim)``: the given axes that have length 1 (others stay)."""
    if dim is None:
        return None
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    for d in dims:
        if not -max(len(shape), 1) <= d < max(len(shape), 1):
            raise IndexError(f"squeeze: dim {d} is out of range for {len(shape)} dimensions")
    return tuple(d for d in dims if len(shape) and shape[d] == 1)


def expanded_shape(shape: tuple, sizes: tuple) -> tuple[int, ...]:
    """``expand``'s target: -1 keeps the length of that axis."""
    lead = len(sizes) - len(shape)
    if lead < 0:
        raise ValueError(f"expand: {len(sizes)} sizes for a tensor with {len(shape)} dims; "
                         "give at least one size per dimension")
    return tuple(int(shape[i - lead]) if n == -1 and i >= lead else int(n)
                 for i, n in enumerate(sizes))


# --- dtypes and devices -----------------------------------------------------------------


def to_dtype(args: tuple, kwargs: dict[str, Any]) -> Any:
    """The dtype asked for by ``t.to(...)`` (None: keep it); refuses any device but the CPU."""
    dtype = kwargs.pop("dtype", None)
    device.check(kwargs.pop("device", None))
    kwargs.pop("non_blocking", None)
    kwargs.pop("copy", None)
    if kwargs:
        raise reject("to", kwargs, ("dtype", "device", "non_blocking", "copy"))
    for a in args:
        if isinstance(a, (str, device.device)):
            device.check(a)
        elif isinstance(a, (np.ndarray, TensorBase)):  # to(other): other's dtype
            dtype = a.dtype
        else:
            dtype = a
    return None if dtype is None else np.dtype(dtype)


def cast(dtype: str) -> Callable[[Any], Any]:
    """A method ``x.float()`` etc.: ``x.to(dtype)``, the tensor itself if it already is."""
    target = np.dtype(dtype)

    def method(self: Any) -> Any:
        return self.to(target)

    method.__doc__ = f"Converted to {dtype} (the same tensor when it already is)."
    return method


# --- PyTorch names: math -------------------------------------------------------------------


def binary(op: Callable[[Any, Any], Any], doc: str, name: str = "") -> Callable[..., Any]:
    """A Tensor method ``x.name(other)`` calling ``op(x, other)`` (``x.atan2(y)``)."""
    def method(self: Any, other: Any) -> Any:
        return op(self, other)

    method.__name__ = method.__qualname__ = name or getattr(op, "name", None) or op.__name__
    method.__doc__ = doc
    return method
