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

from tinygrad_dk.primitive import Primitive, raw
from tinygrad_dk.tensor import Tensor


class Context:
    """Scratch space shared by ``forward`` and ``backward`` of one application."""

    def __init__(self) -> None:
        self.saved_tensors: tuple[Any, ...] = ()
        self.needs_input_grad: tuple[bool, ...] = ()

    def save_for_backward(self, *arrays: Any) -> None:
        """Keep arrays that ``backward`` will need."""
        self.saved_tensors = arrays


def _broadcasts_to(shape: tuple, target: tuple) -> bool:
    """True if an array of ``shape`` broadcasts to ``target`` (so unbroadcast can undo it)."""
    try:
        return np.broadcast_shapes(shape, target) == target
    except ValueError:
        return False


def _checked_grads(name: str, grads: Any, args: tuple) -> list:
    """The gradients ``backward`` returned, one per input, as arrays of fitting shapes."""
    if not isinstance(grads, (tuple, list)):
        grads = (grads,)
    if len(grads) != len(args):
        raise ValueError(
            f"{name}.backward returned {len(grads)} gradient(s) for {len(args)} input(s); "
            "return one per input of forward (None for inputs without one)"
        )
    checked = []
    for i, (gi, a) in enumerate(zip(grads, args)):
        if gi is not None:
            gi = np.array(raw(gi))  # a copy: user code may return data it saved
            shape = np.shape(raw(a))
            if gi.shape != shape and not _broadcasts_to(shape, gi.shape):
                raise ValueError(f"{name}.backward: gradient {i} has shape {gi.shape} but "
                                 f"input {i} has shape {shape}")
        checked.append(gi)
    return checked


class Function:
    """Base class for custom differentiable operations (see the module docstring).

    Each ``apply`` makes a one-off ``Primitive`` whose forward calls your ``forward``
    and whose derivative calls your ``backward``, both with the same context.
    """

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
        name = cls.__name__

        def forward(*arrays: Any) -> np.ndarray:
            return np.asarray(cls.forward(ctx, *arrays, **kwargs))

        def vjp_all(g: Any, out: Any, *inputs: Any) -> list:
            # backward works on numpy arrays, so it is not recorded: no second derivatives
            return _checked_grads(name, cls.backward(ctx, raw(g)), inputs)

        out = Primitive(name, forward, vjp_all=vjp_all)(*args)
        return out if isinstance(out, Tensor) else Tensor._from_op(np.asarray(out))
