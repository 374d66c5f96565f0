"""Gradient hooks: ``t.register_hook(fn)``, to watch (or change) a gradient as backward
computes it, as PyTorch's ``Tensor.register_hook``.

    h = hidden.register_hook(lambda g: print("grad of hidden:", g.abs().mean()))
    loss.backward()                # prints while the gradient passes through `hidden`
    h.remove()

The rules are PyTorch's:

* on a **computed** tensor the hook gets the tensor's gradient once it is complete (every
  consumer has added its share), before it travels on to the inputs; a hook that returns
  a tensor (or array) replaces the gradient, for the inputs and for ``t.grad``;
* on a **leaf** (a parameter, an input) the hook gets the gradient of this backward pass
  before it is added into ``.grad``; a returned value is added instead;
* several hooks on one tensor run in the order they were registered, each getting what
  the one before returned; ``handle.remove()`` takes a hook off.

A hook runs inside the backward pass: with ``backward(create_graph=True)`` it gets the
recorded gradient (a Tensor in the graph), otherwise a copy it may keep.

The hooks live on their tensor (``_hooks``, a field that stays unset until the first
``register_hook``, so making a tensor costs nothing more). A training step must not pay
for hooks nobody registered: ``HOOKED`` keeps a weak reference to each tensor that has
hooks, ``backward.backprop`` asks once per pass whether it is empty (``if HOOKED``) and
only otherwise takes ``walk`` below instead of its usual loop. The references are weak
so that a hooked tensor is freed like any other (a hook's function often refers back to
its tensor: a cycle, which Python's collector frees, unless a registry held the
function). Leaves' hooks run at the end of the pass, after the computed tensors' hooks.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from tinygrad_dk.quiet import quiet

#: id(tensor) -> a weak reference to it, for each tensor that has hooks now
HOOKED: dict[int, weakref.ref] = {}
#: functions a hook asked to run once the current backward pass is over (``after_pass``)
_AFTER_PASS: list[Callable[[], None]] = []
_next_id = itertools.count()


class RemovableHandle:
    """What ``register_hook`` (and the module hooks) return: ``handle.remove()`` takes the
    hook off again. Also a context manager: the hook is removed at the end of a ``with``."""

    def __init__(self, hooks: dict[int, Any], on_empty: Callable[[], None] | None = None) -> None:
        self.id = next(_next_id)
        self._hooks = hooks
        self._on_empty = on_empty

    def remove(self) -> None:
        """Take the hook off (nothing happens when it is already off)."""
        self._hooks.pop(self.id, None)
        if not self._hooks and self._on_empty is not None:
            self._on_empty()

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


def register_hook(tensor: Any, hook: Callable[[Any], Any]) -> RemovableHandle:
    """Call ``hook(grad)`` whenever backward computes ``tensor``'s gradient (module docstring)."""
    if not callable(hook):
        raise TypeError(f"register_hook: expected a function of the gradient, got "
                        f"{type(hook).__name__}")
    if not tensor.requires_grad:
        raise RuntimeError(
            "register_hook: cannot register a hook on a tensor that doesn't require gradient "
            "(no gradient will ever reach it); create it with requires_grad=True, or hook a "
            "tensor computed from one"
        )
    hooks = getattr(tensor, "_hooks", None)
    if hooks is None:
        hooks = tensor._hooks = {}  # handle id -> hook, in the order of registration
    key = id(tensor)
    if key not in HOOKED:
        # the weak reference's callback forgets the tensor when it is freed (its id may
        # then be reused by a new tensor)
        HOOKED[key] = weakref.ref(tensor, lambda ref: _forget(key, ref))
    ref = HOOKED[key]
    handle = RemovableHandle(hooks, lambda: _forget(key, ref))  # the last one removed
    hooks[handle.id] = hook
    return handle


def _forget(key: int, ref: weakref.ref) -> None:
    if HOOKED.get(key) is ref:
        del HOOKED[key]


def after_pass(fn: Callable[[], None]) -> None:
    """From inside a hook: call ``fn()`` once this backward pass has handed every gradient on
    (``nn.Module``'s backward hooks use it when no input of the module needs a gradient)."""
    _AFTER_PASS.append(fn)


def _run(node: Any, g: Any, create_graph: bool) -> Any:
    """Hand ``g``, the gradient of ``node``, through its hooks; what the last one gave back."""
    for hook in list(node._hooks.values()):
        shown = g if hasattr(g, "_data") else type(node)._from_op(np.array(g, copy=True))
        new = hook(shown)
        if new is None:
            continue
        data = new._data if hasattr(new, "_data") else np.asarray(new)
        if data.shape != node.shape:
            raise RuntimeError(
                f"a gradient hook returned a gradient of shape {data.shape} for a tensor of "
                f"shape {node.shape}; a hook may change the numbers, not the shape"
            )
        if create_graph:
            g = new if hasattr(new, "_data") else type(node)._from_op(data)
        else:
            g = data.astype(node.dtype, copy=False)
    return g


@quiet  # as backward's own walk: inf and nan are valid gradients
def walk(root: Any, seed: Any, order: list, computed: list, pass_: Any) -> None:
    """``backward._walk`` with the hooks: run a node's hooks on its complete gradient before
    it goes on; collect each hooked leaf's gradient of this pass, hook it, then add it."""
    _AFTER_PASS.clear()
    leaves = [(leaf, leaf._grad) for leaf in order
              if not leaf.parents and id(leaf) in HOOKED and leaf.requires_grad]
    for leaf, _ in leaves:
        leaf._grad = None  # collect this pass's gradient alone
    root._add_grad(seed, pass_)
    for node in reversed(computed):
        if id(node) in HOOKED and node._grad is not None:
            node._grad = _run(node, node._grad, pass_.create_graph)
        node._backward(pass_)
    for leaf, before in leaves:
        this_pass, leaf._grad = leaf._grad, before
        if this_pass is not None:
            g = _run(leaf, this_pass, pass_.create_graph)
            leaf._accumulate(g if pass_.create_graph or not hasattr(g, "_data") else g._data,
                             pass_.owners)
    while _AFTER_PASS:
        _AFTER_PASS.pop(0)()
