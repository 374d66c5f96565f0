"""Module hooks, as PyTorch's: functions that watch (or change) what a layer computes.

    def show(module, inputs, output):
        print(type(module).__name__, output.shape, float(output.abs().mean()))

    handle = model[0].register_forward_hook(show)   # runs after each forward of model[0]
    ...
    handle.remove()

* ``register_forward_pre_hook(fn)``: ``fn(module, args)`` runs before ``forward``; a
  returned value (a tuple, or one value) replaces the positional arguments.
* ``register_forward_hook(fn)``: ``fn(module, args, output)`` runs after ``forward``; a
  returned value replaces the output.
* ``register_full_backward_hook(fn)``: ``fn(module, grad_input, grad_output)`` runs during
  ``backward()`` once the gradients of the module's tensor inputs are known (tuples: one
  entry per positional Tensor argument, and per Tensor in the output; None where there is
  no gradient); a returned tuple replaces ``grad_input``. When no input needs a gradient
  (the first layer gets data), it runs at the end of the backward pass, with ``grad_input``
  all None. A module called with more than one input that needs a gradient is not
  supported (hook those tensors with ``register_hook`` instead).

Every ``register_*`` returns a handle whose ``remove()`` takes the hook off. A module
without hooks pays one attribute check per call (``Module.__call__``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import tinygrad_dk as tg
from tinygrad_dk import RemovableHandle, Tensor, hooks


class ModuleHooks:
    """The hooks of one module (``module._hooks``), each kind in registration order."""

    def __init__(self) -> None:
        self.forward_pre: dict[int, Callable[..., Any]] = {}
        self.forward: dict[int, Callable[..., Any]] = {}
        self.backward: dict[int, Callable[..., Any]] = {}

    def add(self, module: Any, kind: dict[int, Callable[..., Any]],
            fn: Callable[..., Any], what: str) -> RemovableHandle:
        if not callable(fn):
            raise TypeError(f"{what}: expected a function, got {type(fn).__name__}")
        handle = RemovableHandle(kind, lambda: self._drop_if_empty(module))
        kind[handle.id] = fn
        return handle

    def _drop_if_empty(self, module: Any) -> None:
        if not (self.forward_pre or self.forward or self.backward) \
                and module.__dict__.get("_hooks") is self:
            del module.__dict__["_hooks"]  # back to the class's None: calls are fast again

    def call(self, module: Any, args: tuple, kwargs: dict) -> Any:
        """``module(*args, **kwargs)`` with the hooks."""
        for fn in list(self.forward_pre.values()):
            result = fn(module, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        watch = _BackwardWatch(module, self) if self.backward and tg.is_grad_enabled() else None
        if watch is not None:
            args = watch.inputs(args)
        output = module.forward(*args, **kwargs)
        for fn in list(self.forward.values()):
            result = fn(module, args, output)
            if result is not None:
                output = result
        return output if watch is None else watch.outputs(output)


def remove_forward_pre_hook(module: Any, hook: Callable[..., Any]) -> None:
    """Take ``hook`` off ``module``'s forward pre-hooks, as its handle's ``remove()`` would:
    for code that finds its hook among the module's instead of keeping the handle
    (``nn.utils.prune``, as PyTorch's; its hooks go along when a pruned module is copied,
    a handle would not)."""
    table = module._hooks
    if table is not None:
        for key in [k for k, fn in table.forward_pre.items() if fn is hook]:
            del table.forward_pre[key]
        table._drop_if_empty(module)


def _wants_grad(a: Any) -> bool:
    return isinstance(a, Tensor) and a.requires_grad


class _BackwardWatch:
    """One call's backward hook: each input and output that needs a gradient passes through
    an identity node (``view_as``) with a gradient hook, which collects ``grad_output`` and
    hands ``grad_input`` to the module's backward hooks."""

    def __init__(self, module: Any, owner: ModuleHooks) -> None:
        self.module, self.owner = module, owner
        self.positions: list[int] = []  # which positional arguments are Tensors
        self.input_at: int | None = None  # the one among them that needs a gradient
        self.grad_outputs: list[Any] = []

    def inputs(self, args: tuple) -> tuple:
        self.positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        wanted = [i for i in self.positions if args[i].requires_grad]
        if len(wanted) > 1:
            raise NotImplementedError(
                f"register_full_backward_hook: {type(self.module).__name__} was called with "
                f"{len(wanted)} inputs that require grad; only one is supported here. Watch "
                "those tensors with tensor.register_hook(fn) instead"
            )
        if not wanted:
            return args
        self.input_at = i = wanted[0]
        x = args[i].view_as(args[i])
        x.register_hook(self._input_gradient)
        return args[:i] + (x,) + args[i + 1:]

    def outputs(self, output: Any) -> Any:
        many = isinstance(output, (tuple, list))
        items = list(output) if many else [output]
        self.grad_outputs = [None] * sum(isinstance(o, Tensor) for o in items)
        k = 0
        for j, o in enumerate(items):
            if isinstance(o, Tensor):
                if o.requires_grad:
                    items[j] = o.view_as(o)
                    items[j].register_hook(self._output_gradient(k))
                k += 1
        return type(output)(items) if many else items[0]

    def _output_gradient(self, k: int) -> Callable[[Any], None]:
        def collect(g: Any) -> None:
            first = all(o is None for o in self.grad_outputs)
            self.grad_outputs[k] = g
            if self.input_at is None and first:  # no input to wait for: run at the end
                hooks.after_pass(lambda: self._run(None))
        return collect

    def _input_gradient(self, g: Any) -> Any:
        return self._run(g)

    def _run(self, g: Any) -> Any:
        """Call the module's backward hooks; the (possibly replaced) input gradient."""
        for fn in list(self.owner.backward.values()):
            grad_input = tuple(g if i == self.input_at else None for i in self.positions)
            result = fn(self.module, grad_input, tuple(self.grad_outputs))
            if result is not None:
                if not isinstance(result, (tuple, list)) or len(result) != len(grad_input):
                    raise TypeError(
                        f"a backward hook of {type(self.module).__name__} returned "
                        f"{type(result).__name__}; return None or a tuple like grad_input "
                        f"({len(grad_input)} entries)"
                    )
                if self.input_at is not None:
                    g = result[self.positions.index(self.input_at)]
        self.grad_outputs = [None] * len(self.grad_outputs)  # ready for the next pass
        return g
