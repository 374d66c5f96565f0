"""``Module``: the base class of every layer, model and loss in ``nn``.

A module is an object that owns parameters (numbers to learn) and possibly other
modules, and computes something in ``forward``. The bookkeeping is automatic,
as in PyTorch: assigning an attribute *registers* it, so

    class TwoLayers(nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = nn.Linear(2, 8)   # a sub-module
            self.out = nn.Linear(8, 1)

        def forward(self, x):
            return self.out(self.hidden(x).relu())

knows its parameters (``model.parameters()``), their names
(``"hidden.weight"``, ``"out.bias"``, ...), how to save and load them
(``state_dict`` / ``load_state_dict``) and how to switch between training and
evaluation (``train()`` / ``eval()``).

What counts as what when assigned to an attribute:

* a **parameter**: an ``nn.Parameter``, a leaf ``Tensor`` with ``requires_grad=True``, or
  a leaf ``Value`` (one made with ``Value(x)``, not the result of a computation); the
  module only uses the parameter surface both engines share (``tinygrad_dk.Node``), so
  it never asks which engine a parameter belongs to;
* a **sub-module**: any ``Module``;
* a **list or tuple** whose items are all modules or all parameters (the scalar
  ``Neuron`` keeps its weights in a list, an ``MLP`` its layers); items are named
  by position, as PyTorch's ``ModuleList``/``ParameterList`` do: ``"layers.0.neurons.3.w.1"``.

* a **buffer**: a Tensor registered with ``register_buffer`` (state that is not
  learned but belongs in ``state_dict``, such as batch normalisation's running mean).

Everything else (numbers, strings, tensors that do not require gradients) is an
ordinary attribute. Parameters are listed in the order they were assigned.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np

import tinygrad_dk as tg
from nn.module_hooks import ModuleHooks
from tinygrad_dk import Node, Parameter, Tensor, no_grad

Learnable = Node  # a parameter: a Value or a Tensor (tinygrad_dk.Parameter is a Tensor)

_PARAM, _MODULE, _LIST, _BUFFER = "parameter", "module", "list", "buffer"


class StateDictError(RuntimeError, ValueError):
    """A state dict does not fit the model; the message lists every bad key."""


class LoadResult(NamedTuple):
    """What ``load_state_dict(strict=False)`` skipped (as PyTorch returns it)."""

    missing_keys: list[str]
    unexpected_keys: list[str]


def float_dtype(dtype: Any) -> np.dtype:
    """The dtype a layer's parameters get: ``dtype`` as given, or for None the default
    floating-point dtype (float32 unless ``tg.set_default_dtype`` changed it, as in
    PyTorch, where ``torch.set_default_dtype(torch.float64)`` makes every new layer
    float64: the usual setting for gradient checks)."""
    return tg.get_default_dtype() if dtype is None else np.dtype(dtype)


def _is_parameter(value: Any) -> bool:
    # a leaf that wants a gradient (a computed node, an output, is not learned), or an
    # nn.Parameter, which stays a parameter when frozen (requires_grad=False), as in PyTorch
    return isinstance(value, Parameter) or (
        isinstance(value, Node) and value.requires_grad and value.is_leaf)


def _kind(value: Any) -> str | None:
    """How an attribute value is registered: parameter, module, list, or not at all."""
    if isinstance(value, Module):
        return _MODULE
    if _is_parameter(value):
        return _PARAM
    if isinstance(value, (list, tuple)) and value:
        if all(isinstance(v, Module) for v in value) or all(_is_parameter(v) for v in value):
            return _LIST
    return None


class Module:
    """Base class for layers and models: subclass it, assign parts in ``__init__``,
    and write ``forward``. Calling the module (``model(x)``) runs ``forward``."""

    training: bool

    def __init__(self) -> None:
        # object.__setattr__ because our own __setattr__ needs the registry to exist.
        object.__setattr__(self, "_registry", {})
        object.__setattr__(self, "training", True)

    # --- registration ----------------------------------------------------------------

    def __setattr__(self, name: str, value: Any) -> None:
        registry = self.__dict__.get("_registry")
        if registry is None:
            raise AttributeError(
                f"cannot assign {name!r} before Module.__init__() ran; call super().__init__() "
                f"first in {type(self).__name__}.__init__"
            )
        kind = _kind(value)
        if registry.get(name) == _BUFFER and (value is None or isinstance(value, Tensor)):
            kind = _BUFFER  # a new value for a registered buffer (e.g. a running mean)
        if kind is not None:
            registry[name] = kind  # an existing name keeps its place in the order
        elif name in registry and value is not None:
            del registry[name]  # replaced by a plain attribute: no longer registered
        # value None keeps the slot (e.g. Linear(bias=False)); it is skipped when listing.
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        self._registry.pop(name, None)
        object.__delattr__(self, name)

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Keep ``tensor`` as state that is saved but not learned (as PyTorch).

        A buffer is in ``state_dict()`` (unless ``persistent=False``) and is loaded by
        ``load_state_dict``, but it is not a parameter: optimizers never see it.
        Assigning a new Tensor to the same attribute later keeps it a buffer.
        """
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"register_buffer({name!r}): expected a Tensor or None, got "
                            f"{type(tensor).__name__}; wrap arrays with Tensor(...)")
        self.__dict__["_registry"][name] = _BUFFER
        object.__setattr__(self, name, tensor)
        transient = self.__dict__.setdefault("_transient_buffers", set())
        (transient.discard if persistent else transient.add)(name)

    def _entries(self) -> Iterator[tuple[str, Any]]:
        """(name, item) for every registered parameter and sub-module, lists unrolled."""
        for name, kind in self._registry.items():
            value = self.__dict__.get(name)
            if value is None or kind == _BUFFER:
                continue
            if kind == _LIST:
                for i, item in enumerate(value):
                    if isinstance(item, (Module, Node)):  # a list may have changed
                        yield f"{name}.{i}", item
            else:
                yield name, value

    # --- walking the tree ------------------------------------------------------------

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """Direct sub-modules with their names (``"0"``, ``"hidden"``, ``"layers.2"``)."""
        seen: set[int] = set()
        for name, item in self._entries():
            if isinstance(item, Module) and id(item) not in seen:
                seen.add(id(item))
                yield name, item

    def children(self) -> Iterator[Module]:
        """Direct sub-modules."""
        for _, child in self.named_children():
            yield child

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module (name ``""``) and every module below it, each once, depth first."""
        seen: set[int] = set()
        stack: list[tuple[str, Module]] = [(prefix, self)]
        while stack:  # an explicit stack: deep models never hit the recursion limit
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            kids = [(f"{name}.{n}" if name else n, m) for n, m in module.named_children()]
            stack.extend(reversed(kids))

    def modules(self) -> Iterator[Module]:
        """This module and every module below it."""
        for _, module in self.named_modules():
            yield module

    def _all_named_parameters(self) -> Iterator[tuple[str, Learnable]]:
        """Every (dotted name, parameter) in registration order, descending into a
        sub-module where it was assigned; shared parameters appear under each name."""
        seen = {id(self)}
        stack = [("", self._entries())]  # explicit stack: no recursion limit for deep models
        while stack:
            prefix, entries = stack[-1]
            item = next(entries, None)
            if item is None:
                stack.pop()
                continue
            name = f"{prefix}{item[0]}"
            if not isinstance(item[1], Module):
                yield name, item[1]
            elif id(item[1]) not in seen:
                seen.add(id(item[1]))
                stack.append((name + ".", item[1]._entries()))

    def named_parameters(self) -> list[tuple[str, Learnable]]:
        """``[(dotted name, parameter), ...]``, each parameter once, in registration order.

        Names follow PyTorch, so ``dict(model.named_parameters())`` looks like the
        equivalent torch model's: ``"0.weight"``, ``"hidden.bias"``, ``"layers.1.neurons.0.b"``.
        """
        seen: set[int] = set()
        out = []
        for name, p in self._all_named_parameters():
            if id(p) not in seen:  # a parameter shared by two layers is trained once
                seen.add(id(p))
                out.append((name, p))
        return out

    def parameters(self) -> list[Learnable]:
        """All parameters (each once, in registration order), ready for an optimizer."""
        return [p for _, p in self.named_parameters()]

    def named_buffers(self) -> list[tuple[str, Tensor]]:
        """``[(dotted name, buffer), ...]`` of this module and every module below it."""
        out = []
        for prefix, module in self.named_modules():
            for name, kind in module._registry.items():
                value = module.__dict__.get(name)
                if kind == _BUFFER and value is not None:
                    out.append((f"{prefix}.{name}" if prefix else name, value))
        return out

    def buffers(self) -> list[Tensor]:
        """Every buffer (see ``register_buffer``)."""
        return [b for _, b in self.named_buffers()]

    def _state_entries(self) -> list[tuple[str, Node]]:
        """What ``state_dict`` holds, in PyTorch's order: module by module (depth first),
        each module's own parameters, then its persistent buffers."""
        entries = []
        for prefix, module in self.named_modules():
            dot = f"{prefix}." if prefix else ""
            entries += [(dot + name, item) for name, item in module._entries()
                        if not isinstance(item, Module)]
            transient = module.__dict__.get("_transient_buffers", ())
            for name, kind in module._registry.items():
                value = module.__dict__.get(name)
                if kind == _BUFFER and value is not None and name not in transient:
                    entries.append((dot + name, value))
        return entries

    def num_parameters(self) -> int:
        """How many numbers the model learns (a Value counts 1, a Tensor its size)."""
        return sum(p.numel() for p in self.parameters())

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Switch gradients on or off for every parameter (``False`` freezes the module)."""
        for p in self.parameters():
            p.requires_grad = bool(requires_grad)
        return self

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn(module)`` on every module (children first, as PyTorch); returns self."""
        for module in reversed(list(self.modules())):
            fn(module)
        return self

    def add_module(self, name: str, module: Module | None) -> None:
        """Register ``module`` under ``name`` (the same as assigning the attribute)."""
        setattr(self, name, module)

    def register_parameter(self, name: str, param: Node | None) -> None:
        """Register ``param`` under ``name``: the same as assigning the attribute, except
        that a frozen tensor (``requires_grad=False``) is registered too, as in PyTorch
        (assigning one makes a plain attribute)."""
        setattr(self, name, param)
        if isinstance(param, Node):
            self._registry[name] = _PARAM

    # --- devices and dtypes (PyTorch's names) ------------------------------------------

    def to(self, *args: Any, **kwargs: Any) -> Module:
        """``model.to(device)`` (only the CPU exists here: anything else is an error that
        says so) and ``model.to(dtype)`` (floating-point Tensor parameters and buffers are
        converted; a scalar model's Values stay float64). Returns self."""
        dtype = kwargs.pop("dtype", None)
        for a in [*args, kwargs.pop("device", None)]:
            if isinstance(a, (str, tg.device)):
                Tensor(np.zeros(0)).to(a)  # the engine refuses any device but the CPU
            elif a is not None:
                dtype = a
        if dtype is not None:
            with no_grad():
                for _, p in self._state_entries():
                    if hasattr(p, "to") and p.dtype.kind == "f":
                        p.data = p.to(dtype).numpy()
        return self

    def cpu(self) -> Module:
        """Returns self: everything is on the CPU."""
        return self

    def float(self) -> Module:
        """Floating-point parameters and buffers to float32."""
        return self.to(np.float32)

    def double(self) -> Module:
        """Floating-point parameters and buffers to float64 (e.g. for gradient checks)."""
        return self.to(np.float64)

    # --- training helpers ------------------------------------------------------------

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget old gradients: Tensor grads become None, Value grads 0.0.

        Backward *adds* into ``.grad``, so call this before each training step.
        (``set_to_none`` is accepted for PyTorch programs; forgetting is the same either way.)
        """
        for p in self.parameters():
            p.zero_grad()

    def train(self, mode: bool = True) -> Module:
        """Switch this module and all below it to training mode (or evaluation with False).

        Only some modules behave differently (``Dropout`` drops units only while
        training), but always switch the whole model. Returns self.
        """
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self) -> Module:
        """Evaluation mode: ``train(False)``. Use it for validation and predictions."""
        return self.train(False)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            f"{type(self).__name__} has no forward(); define forward(self, ...) in the subclass"
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        hooked = self._hooks
        if hooked is None:  # the usual case: no hooks (one check per call, see module_hooks)
            return self.forward(*args, **kwargs)
        return hooked.call(self, args, kwargs)

    # --- saving and loading ------------------------------------------------------------

    def state_dict(self) -> dict[str, np.ndarray]:
        """``{dotted name: numpy copy}`` of every parameter and buffer (a Value gives a
        shape-() float64 array).

        A copy, so later training does not change a saved snapshot; keep one to
        restore the best epoch (early stopping) or save it with ``nn.save``.
        """
        return {name: np.array(p.numpy(), copy=True) for name, p in self._state_entries()}

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> LoadResult:
        """Copy values from ``state_dict`` into the parameters and buffers (cast to each
        one's dtype).

        Values may be numpy arrays, Tensors, Values or numbers. With ``strict=True``
        every entry must be given and no other key; a wrong shape is always an
        error. Everything is checked before anything is changed, and the error lists
        every bad key at once.
        """
        for prefix, module in list(self.named_modules()):  # lazy layers: sizes (nn/lazy.py)
            before_load = getattr(module, "_before_load", None)
            if before_load is not None:
                before_load(state_dict, f"{prefix}." if prefix else "")
        own = dict(self._state_entries())
        arrays: dict[str, np.ndarray] = {}
        problems: list[str] = []
        for key, value in state_dict.items():
            if key not in own:
                continue
            arr = np.asarray(value.numpy() if isinstance(value, Node) else value)
            if arr.dtype.kind not in "biuf":
                problems.append(f"  {key}: values of dtype {arr.dtype} are not numbers")
            elif arr.shape != own[key].shape:
                problems.append(f"  {key}: shape {arr.shape} in the state dict, the model "
                                f"has {own[key].shape}")
            arrays[key] = arr
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        if strict and missing:
            problems.append("  missing keys (in the model, not in the state dict): "
                            + ", ".join(missing))
        if strict and unexpected:
            problems.append("  unexpected keys (in the state dict, not in the model): "
                            + ", ".join(unexpected))
        if problems:
            raise StateDictError(
                f"load_state_dict into {type(self).__name__}: the state dict does not fit:\n"
                + "\n".join(problems)
                + "\nCompare its keys and shapes with model.state_dict(); strict=False "
                "ignores missing and unexpected keys (not wrong shapes)"
            )
        with no_grad():
            for key, arr in arrays.items():
                own[key].copy_(arr)
        return LoadResult(missing, unexpected)

    # --- PyTorch names: misc (hooks, nn.module_hooks) ------------------------------------

    _hooks: ModuleHooks | None = None  # this module's hooks, set when one is registered

    def _hook_table(self) -> ModuleHooks:
        if self._hooks is None:
            object.__setattr__(self, "_hooks", ModuleHooks())
        return self._hooks

    def register_forward_pre_hook(self, hook: Callable[..., Any]) -> tg.RemovableHandle:
        """Call ``hook(module, args)`` before each ``forward``; a returned value replaces
        the positional arguments. Returns a handle: ``handle.remove()``."""
        table = self._hook_table()
        return table.add(self, table.forward_pre, hook, "register_forward_pre_hook")

    def register_forward_hook(self, hook: Callable[..., Any]) -> tg.RemovableHandle:
        """Call ``hook(module, args, output)`` after each ``forward`` (to watch activations);
        a returned value replaces the output. Returns a handle: ``handle.remove()``."""
        table = self._hook_table()
        return table.add(self, table.forward, hook, "register_forward_hook")

    def register_full_backward_hook(self, hook: Callable[..., Any]) -> tg.RemovableHandle:
        """Call ``hook(module, grad_input, grad_output)`` during backward (see
        ``nn.module_hooks``); a returned tuple replaces ``grad_input``. Returns a handle."""
        table = self._hook_table()
        return table.add(self, table.backward, hook, "register_full_backward_hook")

    # --- end misc ---

    # --- printing ----------------------------------------------------------------------

    def extra_repr(self) -> str:
        """The text inside the parentheses, e.g. ``in_features=2, out_features=8``."""
        return ""

    def __repr__(self) -> str:
        lines = []
        for name, child in self.named_children():
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        extra = self.extra_repr()
        if not lines:
            return f"{type(self).__name__}({extra})"
        if extra:
            lines.insert(0, "  " + extra)
        return f"{type(self).__name__}(\n" + "\n".join(lines) + "\n)"
