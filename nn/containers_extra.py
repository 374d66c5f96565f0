"""Modules that hold other modules (or parameters) by name: ``ModuleDict`` and
``ParameterDict``, as PyTorch's.

A model with one head per task, or one embedding per categorical column, keeps them
by name::

    self.heads = nn.ModuleDict({"price": nn.Linear(8, 1), "kind": nn.Linear(8, 3)})
    ...
    return {name: head(h) for name, head in self.heads.items()}

The entries are attributes named by their keys, so they are registered like any other
part of a module and the state-dict keys are PyTorch's (``"heads.price.weight"``).
The order is the order of insertion.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from nn.containers import ParameterList, _module
from nn.module import Module


class _NamedParts(Module):
    """A dict interface over registered attributes: ``d[key]``, ``in``, ``len``, iteration
    over the keys, ``keys``/``values``/``items``, ``update``, ``pop``, ``clear``."""

    def _check(self, item: Any, where: str) -> Any:
        raise NotImplementedError

    def _key(self, key: Any) -> str:
        if not isinstance(key, str):
            raise TypeError(f"{type(self).__name__}: keys must be strings, got "
                            f"{type(key).__name__} {key!r}")
        if not key or "." in key:
            raise KeyError(f"{type(self).__name__}: key {key!r} cannot be empty or contain "
                           "'.' (the dot separates the parts of a state-dict key)")
        if key not in self._registry and hasattr(self, key):
            raise KeyError(f"{type(self).__name__}: key {key!r} is the name of an attribute "
                           f"or method of {type(self).__name__}; choose another key")
        return key

    def __getitem__(self, key: str) -> Any:
        if key not in self._registry:
            raise KeyError(f"{type(self).__name__} has no key {key!r}; its keys are "
                           f"{list(self._registry)}")
        return getattr(self, key)

    def __setitem__(self, key: str, item: Any) -> None:
        setattr(self, self._key(key), self._check(item, f"{type(self).__name__}[{key!r}] ="))

    def __delitem__(self, key: str) -> None:
        self[key]  # noqa: B018  (the KeyError for a missing key)
        delattr(self, key)

    def __len__(self) -> int:
        return len(self._registry)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._registry))

    def __contains__(self, key: object) -> bool:
        return key in self._registry

    def keys(self) -> list[str]:
        """The keys, in the order they were added."""
        return list(self._registry)

    def values(self) -> list[Any]:
        """The entries, in the order they were added."""
        return [getattr(self, k) for k in self._registry]

    def items(self) -> list[tuple[str, Any]]:
        """(key, entry) pairs, in the order they were added."""
        return [(k, getattr(self, k)) for k in self._registry]

    def update(self, entries: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> None:
        """Add (or replace) entries from a mapping or from (key, entry) pairs."""
        pairs = entries.items() if isinstance(entries, Mapping) else entries
        for pair in pairs:
            key, item = pair
            self[key] = item

    def pop(self, key: str) -> Any:
        """Remove the entry ``key`` and return it."""
        item = self[key]
        del self[key]
        return item

    def clear(self) -> None:
        """Remove every entry."""
        for key in list(self._registry):
            delattr(self, key)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"a {type(self).__name__} has no forward(): pick entries by "
                                  "key in your model's forward (self.heads['price'](x))")


class ModuleDict(_NamedParts):
    """Modules by name (see the module docstring): ``nn.ModuleDict({"a": nn.Linear(2, 2)})``."""

    def __init__(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]] | None
                 = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def _check(self, item: Any, where: str) -> Any:
        return _module(item, where)


class ParameterDict(_NamedParts):
    """Parameters by name: state-dict keys ``"params.<key>"``. Tensors that are not
    parameters yet become ``nn.Parameter`` (requires_grad=True), as in ``ParameterList``."""

    def __init__(self, parameters: Mapping[str, Any] | Iterable[tuple[str, Any]] | None
                 = None) -> None:
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    _check = ParameterList._check
