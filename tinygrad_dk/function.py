"""``Function``: how a student adds a new operation, as ``torch.autograd.Function``.

    class Cube(Function):
        @staticmethod
        def forward(ctx, x):            # x is a numpy array
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad):        # grad: d(loss)/d(output), a numpy array
            (x,) = ctx.saved_tensors
            return grad * 3 * x ** 2    # d(loss)/d(x), one per input

    y = Cube.apply(t)                   # t is a Tensor; prove it with gradcheck

``forward`` and ``backward`` work on numpy arrays, so the backward pass through a
custom Function is not itself recorded (no second derivatives through it).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_dk import autograd
from tinygrad_dk.tensor import Tensor


class Context:
    """Scratch space shared by ``forward`` and ``backward`` of one application."""

    def __init__(self) -> None:
        self.saved_tensors: tuple[Any, ...] = ()
        self.needs_input_grad: tuple[bool, ...] = ()

    def save_for_backward(self, *arrays: Any) -> None:
        """Keep arrays that ``backward`` will need."""
        self.saved_tensors = arrays


class _Applied:
    """Plays the role of a Primitive for one recorded application of a Function."""

    __slots__ = ("name", "vjps", "vjp_all", "fn", "ctx")

    def __init__(self, fn: type, ctx: Context) -> None:
        self.name, self.fn, self.ctx, self.vjps = fn.__name__, fn, ctx, ()
        self.vjp_all = self._vjp

    def _vjp(self, g: Any, out: Any, *args: Any) -> list:
        raw = getattr(g, "_data", g)
        grads = self.fn.backward(self.ctx, raw)
        if not isinstance(grads, (tuple, list)):
            grads = (grads,)
        if len(grads) != len(args):
            raise ValueError(
                f"{self.name}.backward returned {len(grads)} gradient(s) for {len(args)} "
                "input(s); return one per input of forward (None for inputs without one)"
            )
        checked = []
        for i, (gi, a) in enumerate(zip(grads, args)):
            if gi is not None:
                gi = np.array(getattr(gi, "_data", gi))  # a copy: user code may return saved data
                shape = np.shape(getattr(a, "_data", a))
                if gi.shape != shape and not _broadcasts_to(shape, gi.shape):
                    raise ValueError(
                        f"{self.name}.backward: gradient {i} has shape {gi.shape} but input {i} "
                        f"has shape {shape}"
                    )
            checked.append(gi)
        return checked


def _broadcasts_to(shape: tuple, target: tuple) -> bool:
    """True if an array of ``shape`` broadcasts to ``target`` (so unbroadcast can undo it)."""
    try:
        return np.broadcast_shapes(shape, target) == target
    except ValueError:
        return False


class Function:
    """Base class for custom differentiable operations (see the module docstring)."""

    @staticmethod
    def forward(ctx: Context, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("a Function subclass must define forward(ctx, *arrays)")

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        raise NotImplementedError("a Function subclass must define backward(ctx, grad)")

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Tensor:
        """Run ``forward`` on the arrays inside ``args`` and record the op for backward."""
        ctx = Context()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        arrays = [a.data if isinstance(a, Tensor) else a for a in args]
        out = Tensor._from_op(np.asarray(cls.forward(ctx, *arrays, **kwargs)))
        if autograd.is_grad_enabled() and any(ctx.needs_input_grad):
            out.requires_grad = True
            out.op = cls.__name__
            out.parents = tuple(a for a in args if isinstance(a, Tensor))
            # The backward driver compares this with the sum of the parents' versions.
            version_sum = sum(p._version for p in out.parents)
            needs_grad = [i for i, need in enumerate(ctx.needs_input_grad) if need]
            out._ctx = (_Applied(cls, ctx), args, {}, needs_grad, version_sum)
        return out
