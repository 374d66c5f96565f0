"""Gradients as functions: ``grad(f)(x)`` and ``value_and_grad(f)(x)``, as in JAX and HIPS.

The backward pass is recorded (``create_graph``) whenever recording is on, so the
returned gradient is itself differentiable and the functions nest:
``grad(lambda x: grad(f)(x).sum())(x)`` is a second derivative.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tinygrad_dk.backward import backprop
from tinygrad_dk.grad_mode import enable_grad, is_grad_enabled
from tinygrad_dk.node import Node
from tinygrad_dk.tensor import Tensor
from tinygrad_dk.value import SECOND_DERIVATIVE, Value, _node


def _as_input(x: Any) -> Node:
    """Make x a node we can differentiate by, without touching the caller's node."""
    if isinstance(x, Value):
        return x
    if isinstance(x, Tensor):
        if x.requires_grad:
            return x  # already part of a graph (e.g. an outer grad): differentiate through it
        return Tensor._from_op(x.data).requires_grad_(True)
    arr = np.asarray(x, dtype=np.float64) if not isinstance(x, np.ndarray) else x
    return Tensor(arr, requires_grad=True)


def _as_gradient(g: Any, target: Node) -> Node:
    """A raw gradient from ``backprop`` in the target's engine (zeros where none arrived)."""
    if isinstance(target, Value):
        # A number without a graph: differentiating it again must fail loudly (see
        # SECOND_DERIVATIVE), never silently count it as a constant.
        return _node(float(g), (target,), "grad", (SECOND_DERIVATIVE,))
    if g is None:
        return Tensor._from_op(np.zeros_like(target.data))
    return g if isinstance(g, Tensor) else Tensor._from_op(g)


def value_and_grad(fn: Callable[..., Any], argnums: int | Sequence[int] = 0) -> Callable:
    """Return a function computing ``(fn(*args), d fn / d args[argnums])``.

    ``fn`` must return a one-element Tensor or a Value. With a tuple ``argnums`` the
    gradient is a tuple too. Gradients with respect to Values are Values (first
    derivatives only: the scalar engine does not record its backward pass).
    """
    many = not isinstance(argnums, int)
    nums = tuple(argnums) if many else (argnums,)

    def wrapped(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        # As torch.func.grad: an outer no_grad() does not stop grad(f) from computing
        # the gradient (it would otherwise silently return zeros); it only means the
        # returned gradient is not itself recorded for a further derivative.
        args = list(args)
        with enable_grad():
            for i in nums:
                args[i] = _as_input(args[i])
            out = fn(*args, **kwargs)
        if not isinstance(out, Node) or out.numel() != 1:
            raise TypeError(
                "grad(f): f must return a one-element Tensor (a scalar loss) or a Value; got "
                f"{type(out).__name__} {getattr(out, 'shape', '')}. Reduce it with .sum() or "
                ".mean()"
            )
        targets = [args[i] for i in nums]
        # The Tensor engine records the backward pass (for a further derivative) unless
        # we are inside no_grad(); Values never do.
        create = is_grad_enabled() and isinstance(out, Tensor)
        if out.requires_grad:
            grads = backprop(out, out._seed(None, create), create_graph=create, targets=targets)
        else:
            grads = [0.0 if isinstance(t, Value) else None for t in targets]
        grads = [_as_gradient(g, t) for g, t in zip(grads, targets)]
        if not create and isinstance(out, Tensor):
            out = out.detach()  # under no_grad() nothing returned carries a graph
        return out, tuple(grads) if many else grads[0]

    return wrapped


def grad(fn: Callable[..., Any], argnums: int | Sequence[int] = 0) -> Callable:
    """Return a function computing the gradient of scalar ``fn`` w.r.t. ``args[argnums]``."""
    vg = value_and_grad(fn, argnums)

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        return vg(*args, **kwargs)[1]

    return wrapped
