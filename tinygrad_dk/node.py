"""``Node``: what a ``Value`` and a ``Tensor`` have in common.

Both engines build the same kind of graph (every node knows its ``parents`` and the
name of its ``op``), backpropagate with the same policy (``tinygrad_dk.backward``)
and offer the same small *parameter surface*, the few things that ``nn`` (modules,
optimizers, saving, early stopping) and ``viz`` need from a number to be learned:

=================  ==========================================  =====================
                   Value                                       Tensor
=================  ==========================================  =====================
``numel()``        1                                           number of elements
``numpy()``        a 0-d float64 array (a copy)                the array itself
``grad_numpy()``   the gradient as a 0-d array                 ``grad.data`` or None
``zero_grad()``    ``grad = 0.0``                              ``grad = None``
``copy_(values)``  ``data = float(values)``                    write into ``data``
=================  ==========================================  =====================

So a training loop written against these names never asks which engine it has.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_dk.backward import backprop


class Node:
    """Base class of ``Value`` and ``Tensor`` (it holds no data of its own).

    Each engine provides ``parents``, ``op``, ``label``, ``requires_grad``,
    ``shape``, ``ndim`` and ``dtype``, and the hooks the backward pass calls:
    ``_backward(pass_)`` (hand this node's gradient to its parents),
    ``_add_grad(g, pass_)`` (receive a gradient), ``_reset_grad()`` and
    ``_reset_grads(nodes)`` (forget one node's or many nodes' gradients), ``_raw_grad()``
    and ``_set_raw_grad(g)``, and ``_seed(gradient, create_graph)``.
    """

    __slots__ = ()

    parents: tuple
    op: str
    label: str
    requires_grad: bool

    @property
    def is_leaf(self) -> bool:
        """True for a node that was not computed from others (a parameter, input or constant)."""
        return not self.parents

    @property
    def grad_fn(self) -> GradFn | None:
        """The operation that computed this node (PyTorch's ``grad_fn``); None for a leaf."""
        return GradFn(self) if self.parents else None

    # --- the parameter surface ---------------------------------------------------------

    def numel(self) -> int:
        """How many numbers this node holds (1 for a Value)."""
        return int(np.prod(self.shape, dtype=np.int64))

    def numpy(self) -> np.ndarray:
        """The data as a numpy array."""
        raise NotImplementedError

    def item(self) -> float | int | bool:
        """The single number this node holds, as a Python number (PyTorch's ``item()``)."""
        raise NotImplementedError

    def grad_numpy(self) -> np.ndarray | None:
        """The gradient as a numpy array of the data's shape, or None when there is none."""
        raise NotImplementedError

    def zero_grad(self) -> None:
        """Forget the gradient (backward adds into it, so clear it before each step)."""
        self._reset_grad()

    def copy_(self, values: Any) -> Node:
        """Write ``values`` into this node's data in place, keeping its dtype; returns self."""
        raise NotImplementedError

    # --- backward ---------------------------------------------------------------------

    def backward(self, gradient: Any = None, retain_graph: bool | None = None,
                 create_graph: bool = False) -> None:
        """Backpropagate from this node: every leaf that requires grad adds d(self)/d(leaf)
        into its ``.grad``; computed nodes show this pass's gradient.

        ``gradient`` is the upstream gradient, needed when ``self`` has more than one
        element. ``create_graph=True`` records the backward pass too, so the gradients
        can be differentiated again (Tensors only). ``retain_graph`` is accepted for
        PyTorch programs and changes nothing: the graph is always kept, so backward()
        may run through it again.
        """
        if not self.requires_grad:
            raise RuntimeError(
                f"backward(): this {type(self).__name__} does not require grad, so there is "
                "nothing to differentiate. Create the inputs with requires_grad=True (and do "
                "not compute inside no_grad()); a constant has no gradient"
            )
        backprop(self, self._seed(gradient, create_graph), create_graph=create_graph)

    def _before_backward(self) -> None:
        """Called once before a backward pass from this node (Tensors check for writes)."""

    def _seed(self, gradient: Any, create_graph: bool) -> Any:
        """The starting gradient d(self)/d(self), checked against ``gradient``."""
        raise NotImplementedError


class GradFn:
    """What ``t.grad_fn`` shows: the operation that computed ``t`` (``<MulBackward>``).

    ``next_functions`` lists the inputs' own ``grad_fn`` (None for a leaf), as PyTorch.
    """

    _NAMES = {"+": "Add", "-": "Sub", "*": "Mul", "/": "Div", "**": "Pow", "@": "MatMul"}

    def __init__(self, node: Node) -> None:
        self.op = node.op
        self._parents = node.parents

    def name(self) -> str:
        """PyTorch-style name: ``MulBackward`` for ``*``, ``ExpBackward`` for exp."""
        op = self._NAMES.get(self.op, self.op[:1].upper() + self.op[1:])
        return f"{op}Backward"

    @property
    def next_functions(self) -> tuple[tuple[GradFn | None, int], ...]:
        return tuple((p.grad_fn, 0) for p in self._parents)

    def __repr__(self) -> str:
        return f"<{self.name()}>"
