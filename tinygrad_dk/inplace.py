"""In-place operations (``x += y``, ``x.add_(y)``, ``x.zero_()``, ``x[0] = 5``), PyTorch's rules.

What an in-place change may do depends on whether the graph is being recorded:

* **Inside ``no_grad()``, or when nothing involved requires grad**, the numbers are
  written into the tensor's own array (a numpy view of it, e.g. from ``from_numpy``,
  sees the change), the tensor stays the same object and its version counter goes up,
  so a graph that used the old numbers refuses to backpropagate. This is how weights
  are updated by hand: ``with no_grad(): w -= lr * w.grad``.
* **While recording, on a leaf that requires grad** (a parameter), it is refused, as in
  PyTorch: its old value is what the gradient is about, so changing it would make the
  gradient wrong. Update parameters inside ``no_grad()``.
* **While recording, on anything else** (``total += loss``; ``h = h * 2; h += b``), the
  tensor becomes the result of the operation: it keeps its identity but now stands for
  the new node of the graph, whose parent is a snapshot of the old one.

The result keeps the tensor's dtype and shape: ``int_tensor += 0.5`` and a right-hand
side that would broadcast the tensor to a bigger shape are errors, as in PyTorch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tinygrad_dk import grad_mode
from tinygrad_dk.ops import astype, where
from tinygrad_dk.primitive import Primitive, raw
from tinygrad_dk.tensor_base import TensorBase


def _leaf_error(op: str) -> RuntimeError:
    return RuntimeError(
        f"{op}: a leaf tensor that requires grad (a parameter) cannot be changed in place "
        "while the graph is recorded, as in PyTorch: its gradient is about its current "
        "value. Update it inside `with torch.no_grad():` (tinygrad_dk.no_grad()), or compute "
        "a new tensor (w = w - step)"
    )


def _records(t: TensorBase, other: Any) -> bool:
    """Will this in-place change become part of the graph?"""
    wants = t.requires_grad or (isinstance(other, TensorBase) and other.requires_grad)
    return wants and grad_mode.is_grad_enabled()


def _check_result(op: str, t: TensorBase, shape: tuple, dtype: np.dtype) -> None:
    if shape != t.shape:
        raise RuntimeError(
            f"{op}: the result has shape {shape} but the tensor changed in place has shape "
            f"{t.shape}; an in-place operation cannot change the shape (write t = t {op[:2]} "
            "other for a new tensor)"
        )
    if not np.can_cast(dtype, t.dtype, casting="same_kind"):
        raise RuntimeError(
            f"{op}: the result has dtype {dtype}, which cannot be stored in this {t.dtype} "
            f"tensor in place (as in PyTorch); convert first, e.g. t = t.float() (or "
            "t = t.to(torch.float32)), or write t = t + other for a new tensor"
        )


def _snapshot(t: TensorBase) -> TensorBase:
    """A new node holding what ``t`` is now (its data, graph and version)."""
    old = type(t)._from_op(t._data)
    old.requires_grad, old.op, old.parents = t.requires_grad, t.op, t.parents
    old._ctx, old._version, old.label = t._ctx, t._version, t.label
    return old


def _become(t: TensorBase, new: TensorBase) -> TensorBase:
    """Make ``t`` stand for the node ``new`` (same object, new data and history).

    Its version goes up, so operations that used the old ``t`` refuse to backpropagate;
    the new history remembers the new version (backward compares the versions of a
    node's inputs plus its own with what was recorded).
    """
    t._version += 1
    t._data, t.requires_grad, t.op, t.parents, t._grad = (
        new._data, new.requires_grad, new.op, new.parents, None)
    ctx = new._ctx
    t._ctx = None if ctx is None else ctx._replace(versions=ctx.versions + t._version)
    return t


def update(t: TensorBase, op: str, fn: Callable[[Any, Any], Any], other: Any) -> TensorBase:
    """``t = fn(t, other)`` in place, by the rules in the module docstring."""
    if not _records(t, other):
        result = np.asarray(fn(t._data, raw(other)))
        _check_result(op, t, result.shape, result.dtype)
        return t.copy_(result)  # into t's own array, version bumped (dtype checked above)
    if t.is_leaf and t.requires_grad:
        raise _leaf_error(op)
    new = fn(_snapshot(t), other)
    _check_result(op, t, new.shape, new.dtype)
    if new.dtype != t.dtype:
        new = astype(new, t.dtype)
    return _become(t, new)


def fill(t: TensorBase, op: str, value: Any) -> TensorBase:
    """Every element becomes ``value`` (``fill_``, ``zero_``); the old values get no gradient."""
    if isinstance(value, TensorBase) and value.numel() != 1:
        raise RuntimeError(f"{op}: the value must be a number or a one-element tensor, got "
                           f"shape {value.shape}")
    if not isinstance(value, TensorBase):  # a number takes the tensor's dtype (as PyTorch)
        value = np.asarray(value).astype(t.dtype)
    keep = np.zeros(t.shape, dtype=bool)  # where() picks `value` everywhere
    return update(t, op, lambda old, v: where(keep, old, v), value)


# --- t[index] = value -------------------------------------------------------------------


def _mask(index: Any, shape: tuple) -> np.ndarray:
    m = np.zeros(shape, dtype=bool)
    m[index] = True
    return m


def _put_forward(x: np.ndarray, index: Any, value: Any) -> np.ndarray:
    out = np.array(x, copy=True)
    out[index] = value
    return out


# out = x with x[index] replaced by value: the gradient of x is g outside the index, the
# gradient of value is g at the index (summed down to value's shape by unbroadcast).
put = Primitive(
    "setitem",
    _put_forward,
    lambda g, out, x, index, value: where(_mask(index, np.shape(raw(x))), 0.0, g),
    None,
    lambda g, out, x, index, value: g[index],
)


def setitem(t: TensorBase, index: Any, value: Any) -> None:
    """``t[index] = value`` by the rules in the module docstring."""
    if not _records(t, value):
        if not t._data.flags.writeable:
            t._data = t._data.copy()
        t._data[index] = raw(value)
        t._version += 1
        return
    if t.is_leaf and t.requires_grad:
        raise _leaf_error("t[index] = value")
    if not isinstance(value, TensorBase):
        value = np.asarray(value, dtype=t.dtype)
    _become(t, put(_snapshot(t), index, value))


def operator(op: str, fn: Callable[[Any, Any], Any], alpha: bool = False) -> Callable:
    """A Tensor method ``t.op(other)`` (``+=``, ``add_``, ...) that changes ``t`` in place."""
    if alpha:
        def method(self: TensorBase, other: Any, alpha: float = 1) -> TensorBase:
            return update(self, op, fn, other if alpha == 1 else other * alpha)
    else:
        def method(self: TensorBase, other: Any) -> TensorBase:
            return update(self, op, fn, other)
    method.__name__ = op
    method.__doc__ = f"``{op}``: the same as the operator without it, but changing the tensor " \
                     "in place (see tinygrad_dk.inplace for when that is allowed)."
    return method


# --- PyTorch names: math (exp_, sqrt_, lerp_, addcmul_, ...) ----------------------------


def update_with(t: TensorBase, op: str, fn: Callable[..., Any], *others: Any) -> TensorBase:
    """``t = fn(t, *others)`` in place, by the rules in the module docstring; recorded when
    ``t`` or any of the operands wants a gradient (``addcmul_(t1, t2)``, ``lerp_(end, w)``)."""
    wanting = [o for o in others if isinstance(o, TensorBase) and o.requires_grad]
    return update(t, op, lambda x, _: fn(x, *others), wanting[0] if wanting else None)


def unary(op: str, fn: Callable[..., Any]) -> Callable:
    """A Tensor method ``t.exp_()`` (and others with options: ``t.pow_(2)``) that replaces
    ``t`` by ``fn(t, ...)`` in place."""
    def method(self: TensorBase, *args: Any, **kwargs: Any) -> TensorBase:
        return update_with(self, op, lambda x, *a: fn(x, *a, **kwargs), *args)

    method.__name__ = op
    method.__doc__ = f"``{op}``: ``{op[:-1]}`` changing the tensor in place (see " \
                     "tinygrad_dk.inplace for when that is allowed)."
    return method
