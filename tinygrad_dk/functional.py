"""Gradients as functions: ``grad(f)(x)`` and ``value_and_grad(f)(x)``, as in JAX and HIPS.

The backward pass is recorded (``create_graph``) whenever recording is on, so the
returned gradient is itself differentiable and the functions nest:
``grad(lambda x: grad(f)(x).sum())(x)`` is a second derivative.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tinygrad_dk import autograd
from tinygrad_dk.tensor import Tensor


def _as_input(x: Any) -> Tensor:
    """Make x a tensor we can differentiate by, without touching the caller's tensor."""
    if isinstance(x, Tensor):
        if x.requires_grad:
            return x  # already part of a graph (e.g. an outer grad): differentiate through it
        return Tensor._from_op(x.data).requires_grad_(True)
    arr = np.asarray(x, dtype=np.float64) if not isinstance(x, np.ndarray) else x
    return Tensor(arr, requires_grad=True)


def value_and_grad(fn: Callable[..., Any], argnums: int | Sequence[int] = 0) -> Callable:
    """Return a function computing ``(fn(*args), d fn / d args[argnums])``.

    ``fn`` must return a one-element Tensor. With a tuple ``argnums`` the gradient
    is a tuple too.
    """
    many = not isinstance(argnums, int)
    nums = tuple(argnums) if many else (argnums,)

    def wrapped(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        # As torch.func.grad: an outer no_grad() does not stop grad(f) from computing
        # the gradient (it would otherwise silently return zeros); it only means the
        # returned gradient is not itself recorded for a further derivative.
        create = autograd.is_grad_enabled()
        args = list(args)
        with autograd.enable_grad():
            for i in nums:
                args[i] = _as_input(args[i])
            out = fn(*args, **kwargs)
        if not isinstance(out, Tensor) or out.size != 1:
            raise TypeError(
                "grad(f): f must return a one-element Tensor (a scalar loss); got "
                f"{type(out).__name__} {getattr(out, 'shape', '')}. Reduce it with .sum() or "
                ".mean()"
            )
        targets = [args[i] for i in nums]
        if out.requires_grad:
            seed = Tensor._from_op(np.ones_like(out.data)) if create else np.ones_like(out.data)
            grads = autograd.backprop(out, seed, create_graph=create, targets=targets)
        else:
            grads = [None] * len(targets)
        grads = [
            Tensor._from_op(np.zeros_like(t.data)) if g is None
            else g if isinstance(g, Tensor) else Tensor._from_op(g)
            for g, t in zip(grads, targets)
        ]
        if not create:
            out = out.detach()  # under no_grad() nothing returned carries a graph
        return out, tuple(grads) if many else grads[0]

    return wrapped


def grad(fn: Callable[..., Any], argnums: int | Sequence[int] = 0) -> Callable:
    """Return a function computing the gradient of scalar ``fn`` w.r.t. ``args[argnums]``."""
    vg = value_and_grad(fn, argnums)

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        return vg(*args, **kwargs)[1]

    return wrapped
