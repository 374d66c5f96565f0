"""Modules that hold other modules (or parameters) in order: ``ModuleList``, ``ParameterList``,
and the list behaviour ``Sequential`` shares with them.

A Python list of layers assigned to a module is registered already (its items are
named ``"layers.0"``, ``"layers.1"``, ...); ``nn.ModuleList`` is PyTorch's explicit form
of it, for models that build their layers in a loop::

    self.hidden = nn.ModuleList([nn.Linear(8, 8) for _ in range(3)])
    ...
    for layer in self.hidden:
        x = layer(x).relu()

The parts are attributes named ``"0"``, ``"1"``, ..., so the state-dict keys are
PyTorch's (``"hidden.0.weight"``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from nn.module import Module
from tinygrad_dk import Node, Parameter


def _module(item: Any, where: str) -> Module:
    if not isinstance(item, Module):
        raise TypeError(f"{where}: expected an nn.Module, got {type(item).__name__}; did you "
                        "pass a class instead of an instance (nn.ReLU instead of nn.ReLU())?")
    return item


class ModuleSequence(Module):
    """Ordered parts named "0", "1", ...: indexing, ``len``, iteration, append/insert/del."""

    def _check(self, item: Any, where: str) -> Any:
        return _module(item, where)

    def _parts(self) -> list[Any]:
        return [getattr(self, name) for name in self._registry]

    def _new(self, parts: list[Any]) -> ModuleSequence:
        """A container of the same kind holding ``parts`` (what a slice gives)."""
        return type(self)(parts)

    def __len__(self) -> int:
        return len(self._registry)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._parts())

    def __getitem__(self, index: int | slice) -> Any:
        parts = self._parts()
        return self._new(parts[index]) if isinstance(index, slice) else parts[index]

    def __setitem__(self, index: int, item: Any) -> None:
        """Replace a part: ``model[2] = nn.Linear(8, 3)`` (it keeps the name "2")."""
        setattr(self, self._name(index), self._check(item, f"{type(self).__name__}[...] ="))

    def __delitem__(self, index: int) -> None:
        parts = self._parts()
        del parts[int(self._name(index))]
        self._renumber(parts)

    def _name(self, index: int) -> str:
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"{type(self).__name__} index {index} is out of range for {n} parts")
        return list(self._registry)[index % n]

    def _renumber(self, parts: list[Any]) -> None:
        for name in list(self._registry):
            delattr(self, name)
        for i, item in enumerate(parts):
            setattr(self, str(i), item)

    def append(self, item: Any) -> ModuleSequence:
        """Add a part at the end; returns self."""
        setattr(self, str(len(self)), self._check(item, f"{type(self).__name__}.append"))
        return self

    def extend(self, items: Iterable[Any]) -> ModuleSequence:
        """Append every item; returns self."""
        for item in items:
            self.append(item)
        return self

    def insert(self, index: int, item: Any) -> ModuleSequence:
        """Put ``item`` before position ``index``; the parts after it are renumbered."""
        parts = self._parts()
        parts.insert(index, self._check(item, f"{type(self).__name__}.insert"))
        self._renumber(parts)
        return self


class ModuleList(ModuleSequence):
    """A list of modules that the model registers (see the module docstring)."""

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        self.extend(modules or [])

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("a ModuleList has no forward(): loop over it in your model's "
                                  "forward (for layer in self.layers: x = layer(x)), or use "
                                  "nn.Sequential, which runs its parts in order")


class ParameterList(ModuleSequence):
    """A list of parameters that the model registers (``"params.0"``, ``"params.1"``, ...).

    Tensors that are not parameters yet become ``nn.Parameter`` (requires_grad=True).
    """

    def __init__(self, values: Iterable[Any] | None = None) -> None:
        super().__init__()
        self.extend(values or [])

    def _check(self, item: Any, where: str) -> Any:
        if isinstance(item, Parameter) or (isinstance(item, Node) and item.is_leaf
                                           and item.requires_grad):
            return item
        return Parameter(item)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("a ParameterList has no forward(): use its parameters in your "
                                  "model's forward")
