"""The machinery behind every Tensor operation: recording and backpropagation.

An operation ("primitive") is a forward function on numpy arrays plus one
vector-Jacobian product (vjp) per argument: given the gradient ``g`` of the
output, the vjp returns the gradient of that argument. ``Primitive.__call__``
runs the forward on numpy arrays and, when gradients are wanted, records the
inputs on the output Tensor. ``backprop`` walks the recorded graph backwards.

Two details make the engine both fast and able to take second derivatives:

* Called with no Tensor among its arguments, a primitive simply returns the
  numpy result. The vjps are written with these same primitives, so a plain
  backward pass runs them on bare arrays (fast), while
  ``backward(create_graph=True)`` runs them on Tensors, which records the
  backward pass itself as a graph that can be differentiated again.
* Broadcasting is undone in exactly one place, ``unbroadcast``, called by the
  backward driver: vjps return gradients in the broadcast shape and never sum
  over broadcast axes themselves.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from tinygrad_dk.graph import topo_sort
from tinygrad_dk.value import Value

# --- gradient mode (thread-local, like PyTorch's) -------------------------------

_state = threading.local()


def is_grad_enabled() -> bool:
    """True unless this thread is inside ``no_grad()``."""
    return getattr(_state, "enabled", True)


class _GradMode:
    """Context manager and decorator that switches recording on or off in this thread."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._previous: list[bool] = []

    def __enter__(self) -> None:
        self._previous.append(is_grad_enabled())
        _state.enabled = self.enabled

    def __exit__(self, *exc: object) -> None:
        _state.enabled = self._previous.pop()

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with _GradMode(self.enabled):
                return fn(*args, **kwargs)

        return wrapper


def no_grad() -> _GradMode:
    """Record nothing inside this block (or decorated function): inference, updates.

    >>> with no_grad():
    ...     y = model(x)        # y has no graph and requires no grad
    """
    return _GradMode(False)


def enable_grad() -> _GradMode:
    """Switch recording back on inside a ``no_grad`` block."""
    return _GradMode(True)


# --- primitives -------------------------------------------------------------------


def _describe(a: Any) -> str:
    shape = getattr(a, "shape", None)
    if shape is None:
        return type(a).__name__
    return f"{type(a).__name__} of shape {tuple(shape)} and dtype {a.dtype}"


class Primitive:
    """An operation: a numpy forward function and one vjp per argument.

    ``vjps[i](g, out, *args, **kwargs)`` returns the gradient for argument ``i``
    (``None`` in ``vjps`` marks an argument that takes no gradient). For ops with
    any number of tensor arguments (concatenate, stack), ``vjp_all`` returns the
    list of all gradients at once instead.
    """

    __slots__ = ("name", "forward", "vjps", "vjp_all")

    def __init__(
        self,
        name: str,
        forward: Callable[..., Any],
        *vjps: Callable[..., Any] | None,
        vjp_all: Callable[..., list] | None = None,
    ) -> None:
        self.name = name
        self.forward = forward
        self.vjps = vjps
        self.vjp_all = vjp_all

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        for a in args:
            if isinstance(a, Tensor):
                break
        else:  # no Tensor among the arguments (as in a plain backward pass)
            return self.forward(*args, **kwargs)  # bare numpy in, bare numpy out
        arrays, parents, needs_grad, version_sum = [], [], [], 0
        for i, a in enumerate(args):
            if isinstance(a, Tensor):
                arrays.append(a._data)
                parents.append(a)
                if a.requires_grad:
                    needs_grad.append(i)
                version_sum += a._version
            else:
                if isinstance(a, (str, Value)):
                    _reject(a, self.name)
                arrays.append(a)
        try:
            data = self.forward(*arrays, **kwargs)
        except (ValueError, IndexError, TypeError) as err:  # name the op and the operands
            shapes = ", ".join(_describe(a) for a in args)
            raise type(err)(f"{self.name}: {err} (arguments: {shapes})") from None
        out = Tensor._from_op(data)
        if needs_grad and is_grad_enabled():
            out.requires_grad = True
            out.op = self.name
            out.parents = tuple(parents)
            # What backward needs: the op, its arguments, which of them want a gradient,
            # and the sum of the inputs' versions now, to check nobody changed them.
            out._ctx = (self, args, kwargs, needs_grad, version_sum)
        return out


def _reject(a: Any, op: str) -> None:
    if isinstance(a, Value):
        raise TypeError(
            f"{op}: cannot mix a scalar Value with a Tensor; use Tensor(value.data) to make "
            "a constant, or keep the whole computation in one engine"
        )
    raise TypeError(f"{op}: got the string {a!r}; Tensor operations need numbers or arrays")


# --- the backward driver ------------------------------------------------------------


def unbroadcast(g: Any, shape: tuple[int, ...]) -> Any:
    """Sum ``g`` down to ``shape``: the one place where broadcasting is undone.

    When numpy broadcasts an input of shape (3, 1) against (3, 4), the input is
    used four times along axis 1, so its gradient is the sum over that axis. Axes
    numpy added at the front are summed away completely. ``.sum`` and ``.reshape``
    are methods numpy arrays and Tensors share, so this works in a plain backward
    pass (arrays) and in a recorded one (Tensors) alike.
    """
    gshape = np.shape(g)
    if gshape == shape:
        return g
    lead = len(gshape) - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and gshape[lead + i] != 1
    )
    return (g.sum(axis=axes) if axes else g).reshape(shape)


def _claim(g: Any, claimed: set[int]) -> bool:
    """True when a leaf may keep ``g`` without copying: nobody else uses its memory."""
    if type(g) is not np.ndarray or not g.flags.writeable:
        return False
    owner = id(g if g.base is None else g.base)
    if owner in claimed:
        return False
    claimed.add(owner)
    return True


def _version_error(node: Any) -> RuntimeError:
    return RuntimeError(
        f"backward through '{node.op}': an input of this operation had its .data replaced or "
        "modified after the operation used it, so its gradient would be wrong. Change .data "
        "only after backward() (as optimizers do), or compute on a copy."
    )


def backprop(
    root: Any,
    root_grad: Any,
    create_graph: bool = False,
    targets: list | None = None,
) -> list | None:
    """Reverse-mode differentiation from ``root`` with upstream gradient ``root_grad``.

    Without ``targets``: leaves that require grad add the result into ``.grad``
    (accumulation, as PyTorch), interior nodes get this pass's gradient.
    With ``targets``: nothing is stored on the nodes; the gradients of the
    target tensors are returned in a list (``None`` where unreachable).
    """
    order = topo_sort(root)
    # Memory of arrays already used as gradients: the caller's root gradient, and each
    # array a leaf keeps. A leaf gets a copy only when its gradient would share memory
    # with one of them (e.g. a + b hands the same array to both a and b).
    claimed = {id(root_grad if getattr(root_grad, "base", None) is None else root_grad.base)}
    grads: dict[int, Any] = {id(root): root_grad}
    found: dict[int, Any] = {}
    target_ids = {id(t) for t in targets} if targets is not None else None
    # One errstate for the whole pass (not per node): IEEE inf/nan in gradients, no warnings.
    with _GradMode(create_graph), np.errstate(all="ignore"):
        for node in reversed(order):
            g = grads.pop(id(node), None)  # pop: a gradient is freed once it is passed on
            if g is None:
                continue
            ctx = node._ctx
            if target_ids is not None:
                if id(node) in target_ids:
                    found[id(node)] = g
            elif ctx is None:
                node._accumulate(g, _claim(g, claimed))
            else:
                node._grad = g  # an interior node shows the latest pass
            if ctx is None:
                continue
            prim, args, kwargs, needs_grad, version_sum = ctx
            if sum([p._version for p in node.parents]) != version_sum:
                raise _version_error(node)
            if create_graph:
                vals, out = args, node
            else:
                vals = [a._data if isinstance(a, Tensor) else a for a in args]
                out = node._data
            all_grads = prim.vjp_all(g, out, *vals, **kwargs) if prim.vjp_all else None
            for i in needs_grad:
                a = args[i]
                if all_grads is not None:
                    ga = all_grads[i]
                else:
                    vjp = prim.vjps[i]
                    ga = None if vjp is None else vjp(g, out, *vals, **kwargs)
                if ga is None:
                    continue
                data = a._data
                if getattr(ga, "shape", None) != data.shape:
                    ga = unbroadcast(ga, data.shape)
                if ga.dtype is not data.dtype and ga.dtype != data.dtype:
                    ga = ga.astype(data.dtype)
                previous = grads.get(id(a))
                grads[id(a)] = ga if previous is None else previous + ga
    if targets is None:
        return None
    return [found.get(id(t)) for t in targets]


# Tensor is defined in tensor.py, which itself needs this module; it registers the
# class here once it exists (see the end of tensor.py).
Tensor: Any = None
