"""Tensor housekeeping under PyTorch's names: ``new_zeros``, ``stride``, ``element_size``,
``squeeze_``, ``is_nonzero``, ``apply_``, ...

None of these computes anything new: they make tensors like another one, tell how the
numbers sit in memory, or change a tensor's shape in place. ``Tensor`` gets them as
methods from ``tinygrad_dk.tensor_names`` (block "PyTorch names: misc").

Memory layout is numpy's: ``stride()`` and ``storage_offset()`` are what the numpy array
says, counted in elements as PyTorch counts them. A transposed tensor is a view with
swapped strides, so ``x.t().is_contiguous()`` is False here as in PyTorch, and
``contiguous()`` makes a row-major copy. (``nn.Linear`` keeps its weight column-major on
purpose, for speed, so ``linear.weight.stride()`` is ``(1, out_features)``, not PyTorch's
``(in_features, 1)``.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tinygrad_dk import grad_mode, ops_shape
from tinygrad_dk.device import check as check_device
from tinygrad_dk.dtypes import get_default_dtype
from tinygrad_dk.inplace import _become, _leaf_error, _snapshot
from tinygrad_dk.ops_layout import _sizes
from tinygrad_dk.primitive import Primitive
from tinygrad_dk.tensor_base import TensorBase

# --- new tensors like this one ----------------------------------------------------------


def _new(self: TensorBase, arr: np.ndarray, dtype: Any, requires_grad: bool,
         device: Any) -> Any:
    """A new leaf Tensor (not a Parameter, even from one) holding ``arr`` as ``dtype``."""
    check_device(device)
    cls = self._result_class or type(self)
    return cls(arr.astype(self.dtype if dtype is None else dtype, copy=False),
               requires_grad=requires_grad)


def new_zeros(self: TensorBase, *size: Any, dtype: Any = None, requires_grad: bool = False,
              device: Any = None) -> Any:
    """Zeros of ``size``, with this tensor's dtype unless ``dtype`` is given."""
    return _new(self, np.zeros(_sizes(size)), dtype, requires_grad, device)


def new_ones(self: TensorBase, *size: Any, dtype: Any = None, requires_grad: bool = False,
             device: Any = None) -> Any:
    """Ones of ``size``, with this tensor's dtype unless ``dtype`` is given."""
    return _new(self, np.ones(_sizes(size)), dtype, requires_grad, device)


def new_empty(self: TensorBase, *size: Any, dtype: Any = None, requires_grad: bool = False,
              device: Any = None) -> Any:
    """A tensor of ``size`` to be filled in (zeros here, see ``tinygrad_dk.empty``)."""
    return new_zeros(self, *size, dtype=dtype, requires_grad=requires_grad, device=device)


def new_full(self: TensorBase, size: Any, fill_value: Any, dtype: Any = None,
             requires_grad: bool = False, device: Any = None) -> Any:
    """``fill_value`` everywhere in a tensor of ``size``, with this tensor's dtype (not the
    fill value's: ``float_tensor.new_full((2,), 3)`` is float)."""
    arr = np.full(_sizes((size,)), fill_value, self.dtype if dtype is None else dtype)
    return _new(self, arr, dtype, requires_grad, device)


def new_tensor(self: TensorBase, data: Any, dtype: Any = None, requires_grad: bool = False,
               device: Any = None) -> Any:
    """A copy of ``data`` with this tensor's dtype (unless ``dtype``), as PyTorch: the data's
    own dtype is not kept (``float_tensor.new_tensor([1, 2])`` is float)."""
    arr = np.array(data._data if isinstance(data, TensorBase) else data, copy=True)
    return _new(self, arr, dtype, requires_grad, device)


def type_as(self: TensorBase, other: Any) -> Any:
    """This tensor converted to ``other``'s dtype (itself when it already has it)."""
    return self.to(np.asarray(other._data if isinstance(other, TensorBase) else other).dtype)


# --- memory: sizes, strides, where the numbers are ------------------------------------------


def element_size(self: TensorBase) -> int:
    """Bytes per element (4 for float32)."""
    return int(self._data.itemsize)


def _root(arr: np.ndarray) -> np.ndarray:
    """The array that owns the memory ``arr`` looks into (``arr`` itself if it owns it)."""
    while isinstance(arr.base, np.ndarray):
        arr = arr.base
    return arr


def stride(self: TensorBase, dim: int | None = None) -> Any:
    """How many elements to step in memory to move one place along each axis (a tuple), or
    along ``dim``. ``zeros(2, 3).stride()`` is ``(3, 1)``; a broadcast axis steps 0."""
    steps = tuple(s // self._data.itemsize for s in self._data.strides)
    if dim is None:
        return steps
    if not -max(len(steps), 1) <= dim < max(len(steps), 1):
        raise IndexError(f"stride: dim {dim} is out of range for {len(steps)} dimensions")
    return steps[dim] if steps else 1


def storage_offset(self: TensorBase) -> int:
    """Where this view's first element sits in the memory it looks into, in elements
    (0 unless the tensor is a slice: ``arange(10)[3:].storage_offset()`` is 3)."""
    root = _root(self._data)
    return (data_ptr(self) - root.__array_interface__["data"][0]) // self._data.itemsize


def data_ptr(self: TensorBase) -> int:
    """The memory address of the first element (two tensors sharing memory can be told)."""
    return int(self._data.__array_interface__["data"][0])


# a row-major copy; the gradient passes through unchanged (Tensor.contiguous uses it)
contiguous = Primitive("contiguous", np.ascontiguousarray, lambda g, out, x: g)


def is_contiguous(self: TensorBase, memory_format: Any = None) -> bool:
    """True when the elements sit row after row in memory with no gaps (C order), as
    PyTorch's default layout; a transpose or a strided slice is not."""
    return bool(self._data.flags.c_contiguous)


def is_nonzero(self: TensorBase) -> bool:
    """The truth of a one-element tensor; an error for any other, as PyTorch."""
    if self._data.size != 1:
        what = "no values" if self._data.size == 0 else "more than one value"
        raise RuntimeError(
            f"is_nonzero: Boolean value of Tensor with {what} (shape {self.shape}) is "
            "ambiguous; use .any() or .all() to ask about all elements"
        )
    return bool(self._data.reshape(()))


def bfloat16(self: TensorBase) -> Any:
    """Always an error: numpy has no bfloat16."""
    raise TypeError(
        "bfloat16(): numpy, which holds the numbers here, has no bfloat16 dtype; use .half() "
        "(float16) to save memory, or .float() (float32), the usual training dtype"
    )


# --- in place: detach_, the shape changes, apply_ -------------------------------------------


def detach_(self: TensorBase) -> Any:
    """Leave the graph in place: this tensor becomes a leaf without gradient (its numbers
    stay); gradients no longer flow through it to what it was computed from. Unlike
    PyTorch, operations that used it before cannot backpropagate any more (an error
    says so): ``detach()`` (a new tensor) leaves them alone."""
    self.op, self.parents, self._ctx, self.requires_grad = "", (), None, False
    # Operations recorded before still point at this tensor, which no longer carries their
    # gradient on: a new version makes their backward refuse (PyTorch would still reach
    # the inputs; refusing is better than a silently missing gradient).
    self._version += 1
    return self


def _reshape_in_place(t: TensorBase, op: str, fn: Callable[[Any], Any]) -> Any:
    """``t`` takes the shape ``fn`` gives it, keeping its identity (PyTorch's rules: a leaf
    that requires grad refuses while recording; a computed tensor gets a new graph node)."""
    if t.requires_grad and grad_mode.is_grad_enabled():
        if t.is_leaf:
            raise _leaf_error(op)
        return _become(t, fn(_snapshot(t)))
    t._data = fn(type(t)._from_op(t._data))._data  # a view: the numbers are not copied
    t._version += 1  # as PyTorch: an in-place change moves the version
    return t


def squeeze_(self: TensorBase, dim: Any = None) -> Any:
    """``squeeze`` in place: drop axes of length 1 (all, or the given ones that have length 1)."""
    return _reshape_in_place(self, "squeeze_", lambda t: t.squeeze(dim))


def unsqueeze_(self: TensorBase, dim: int) -> Any:
    """``unsqueeze`` in place: insert an axis of length 1 at ``dim``."""
    return _reshape_in_place(self, "unsqueeze_", lambda t: t.unsqueeze(dim))


def transpose_(self: TensorBase, dim0: int, dim1: int) -> Any:
    """``transpose(dim0, dim1)`` in place: swap two axes."""
    return _reshape_in_place(self, "transpose_", lambda t: ops_shape.swapaxes(t, dim0, dim1))


def t_(self: TensorBase) -> Any:
    """``t()`` in place: transpose a matrix (a vector or a number stays as it is)."""
    if self.ndim > 2:
        raise RuntimeError(f"t_(): expects a tensor with <= 2 dimensions, but this one has "
                           f"shape {self.shape}; use transpose_(dim0, dim1) or permute")
    return _reshape_in_place(self, "t_", lambda t: t.t())


def apply_(self: TensorBase, callable: Callable[[Any], Any]) -> Any:  # noqa: A002
    """Replace every element x by ``callable(x)`` (a Python function of one number), in
    place; slow (one Python call per element) and without gradient, as in PyTorch."""
    if self.requires_grad:
        raise RuntimeError(
            "apply_(): cannot call apply_() on a tensor that requires grad: a Python "
            "function has no derivative here. Use t.detach().apply_(fn) for the numbers, "
            "or write fn with tensor operations to keep the gradient"
        )
    flat = [callable(v) for v in self._data.ravel().tolist()]
    return self.copy_(np.asarray(flat).reshape(self.shape) if flat else self._data)


# --- dtype information (tinygrad_dk.finfo, iinfo, is_complex) -----------------------------

#: the class of every dtype here (``torch.dtype``): ``isinstance(x.dtype, tinygrad_dk.dtype)``
dtype = np.dtype


def finfo(type: Any = None) -> np.finfo:  # noqa: A002 - PyTorch's name
    """The limits of a floating-point dtype (default: the default dtype): ``eps`` (the gap
    after 1.0), ``max``, ``min``, ``tiny`` (the smallest normal positive number), ``bits``,
    ``resolution``; numpy's ``finfo`` object."""
    kind = get_default_dtype() if type is None else _dtype_of("finfo", type)
    if kind.kind != "f":
        raise TypeError(f"finfo: {kind} is not a floating-point dtype; use iinfo({kind}) for "
                        "the limits of an integer dtype")
    return np.finfo(kind)


def iinfo(type: Any) -> np.iinfo:  # noqa: A002 - PyTorch's name
    """The limits of an integer dtype: ``min``, ``max``, ``bits``; numpy's ``iinfo`` object."""
    kind = _dtype_of("iinfo", type)
    if kind.kind not in "iu":
        raise TypeError(f"iinfo: {kind} is not an integer dtype; use finfo({kind}) for the "
                        "limits of a floating-point dtype")
    return np.iinfo(kind)


def _dtype_of(op: str, type: Any) -> np.dtype:  # noqa: A002
    try:
        return np.dtype(type)
    except TypeError:
        raise TypeError(f"{op}: expected a dtype such as torch.float32, got {type!r}") from None


def is_complex(input: Any) -> bool:  # noqa: A002 - PyTorch's name
    """True for complex data (a numpy array); never for a Tensor, which holds real numbers
    only (complex data is refused)."""
    return np.asarray(input._data if isinstance(input, TensorBase) else input).dtype.kind == "c"
