"""``tinygrad_dk.autograd``: PyTorch's ``torch.autograd`` names on this engine.

* ``grad(outputs, inputs, ...)``: the gradients of ``outputs`` with respect to
  ``inputs``, returned as a tuple and *not* added into anyone's ``.grad``;
  ``create_graph=True`` records them, so they can be differentiated again.
* ``backward(tensors, grad_tensors)``: the same as ``tensors.backward(grad_tensors)``.
* ``Function`` and ``gradcheck``: the engine's own (see ``tinygrad_dk.function``).
* ``functional``: Jacobians, Hessians and vector products of whole functions
  (``jacobian``, ``hessian``, ``vjp``, ``jvp``, ``vhp``, ``hvp``), as
  ``torch.autograd.functional``.

(``tinygrad_dk.grad(f)`` is something else: the gradient of a *function*, as in JAX.)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tinygrad_dk.backward import backprop
from tinygrad_dk.function import Function
from tinygrad_dk.functional import _as_gradient
from tinygrad_dk.grad_mode import enable_grad
from tinygrad_dk.gradcheck import gradcheck
from tinygrad_dk.node import Node
from tinygrad_dk.tensor import Tensor

__all__ = ["grad", "backward", "Function", "gradcheck", "functional"]


def _nodes(x: Any, what: str) -> list[Node]:
    items = [x] if isinstance(x, Node) else list(x)
    for i, item in enumerate(items):
        if not isinstance(item, Node):
            raise TypeError(f"autograd.grad: {what}[{i}] is a {type(item).__name__}, not a "
                            "Tensor; pass Tensors (or a list of them)")
    return items


def _root(outputs: list[Node], grad_outputs: Any, create_graph: bool) -> tuple[Node, Any]:
    """One node to start backward from, and its seed (several outputs are summed, each
    weighted by its grad_output, which gives the sum of their vector-Jacobian products)."""
    if grad_outputs is None or isinstance(grad_outputs, (Node, np.ndarray)):
        grad_outputs = [grad_outputs] * len(outputs) if len(outputs) > 1 else [grad_outputs]
    for i, out in enumerate(outputs):
        if not out.requires_grad:
            raise RuntimeError(
                f"autograd.grad: output {i} does not require grad (it was not computed from a "
                "tensor with requires_grad=True, or it was computed inside no_grad())"
            )
    if len(outputs) == 1:
        return outputs[0], outputs[0]._seed(grad_outputs[0], create_graph)
    with enable_grad():
        total = None
        for out, go in zip(outputs, grad_outputs, strict=True):
            term = (out if go is None else out * go).sum()
            total = term if total is None else total + term
    return total, total._seed(None, create_graph)


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None, retain_graph: bool | None = None,
         create_graph: bool = False, allow_unused: bool | None = None,
         materialize_grads: bool = False) -> tuple[Any, ...]:
    """``(d outputs / d input for each input)``, as ``torch.autograd.grad``.

    No ``.grad`` is changed. An input the outputs do not depend on is an error, unless
    ``allow_unused=True`` (its gradient is then None, or zeros with ``materialize_grads``).
    ``retain_graph`` changes nothing: the graph is always kept.
    """
    targets = _nodes(inputs, "inputs")
    for i, t in enumerate(targets):
        if not t.requires_grad:
            raise RuntimeError(f"autograd.grad: input {i} does not require grad; create it with "
                               "requires_grad=True (or call .requires_grad_())")
    root, seed = _root(_nodes(outputs, "outputs"), grad_outputs, create_graph)
    raw = backprop(root, seed, create_graph=create_graph, targets=targets)
    result = []
    for i, (g, t) in enumerate(zip(raw, targets)):
        if g is None and not (allow_unused or materialize_grads):
            raise RuntimeError(f"autograd.grad: input {i} was not used to compute the outputs, "
                               "so it has no gradient; pass allow_unused=True to get None")
        if g is None and not materialize_grads:
            result.append(None)
        elif isinstance(g, Tensor):
            result.append(g)
        else:  # copy: backprop may hand the same array to several nodes
            result.append(_as_gradient(None if g is None else np.array(g, copy=True), t))
    return tuple(result)


def backward(tensors: Any, grad_tensors: Any = None, retain_graph: bool | None = None,
             create_graph: bool = False) -> None:
    """``tensors.backward(grad_tensors)`` for one tensor or a list of them."""
    outs = _nodes(tensors, "tensors")
    gs: Sequence[Any] = [grad_tensors] if isinstance(tensors, Node) else (
        grad_tensors if grad_tensors is not None else [None] * len(outs))
    for out, g in zip(outs, gs, strict=True):
        out.backward(g, create_graph=create_graph)


# Last: functional builds on grad above (import tinygrad_dk.autograd.functional as AF).
from tinygrad_dk.autograd import functional  # noqa: E402
