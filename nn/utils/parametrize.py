"""``nn.utils.parametrize``, as ``torch.nn.utils.parametrize``: a tensor of a module
computed from other tensors each time it is read.

    parametrize.register_parametrization(layer, "weight", Symmetric())
    layer.weight        # Symmetric()(layer.parametrizations.weight.original), fresh each read

What happens at registration (PyTorch's mechanism, done the same way here):

* the parameter ``layer.weight`` moves to ``layer.parametrizations.weight.original``
  (the same Parameter object, so an optimizer that holds it keeps training it); when the
  parametrization has ``right_inverse``, ``original`` is set to ``right_inverse(weight)``
  first, and if that returns several tensors they become ``original0``, ``original1``, ...;
* the module's class is swapped for a subclass, ``ParametrizedLinear``, with a *property*
  ``weight``: reading it runs the parametrizations in order (so the gradient reaches the
  originals), assigning to it runs ``right_inverse``;
* state-dict keys follow: ``parametrizations.weight.original`` (and the parametrizations'
  own buffers, e.g. ``parametrizations.weight.0._u``).

``cached()`` computes each parametrized tensor once inside its ``with`` block (e.g. an RNN
that reads its weight at every time step); ``remove_parametrizations`` puts a plain
parameter back.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from nn.containers import ModuleList
from nn.containers_extra import ModuleDict
from nn.module import Module
from tinygrad_dk import Parameter, Tensor, no_grad

__all__ = ["register_parametrization", "remove_parametrizations", "is_parametrized",
           "cached", "type_before_parametrizations", "transfer_parametrizations_and_params",
           "ParametrizationList"]

_cache_depth = 0  # how many cached() blocks are open
_cache: dict[tuple[int, str], Tensor] = {}


@contextlib.contextmanager
def cached() -> Iterator[None]:
    """Inside the block, each parametrized tensor is computed on its first read and reused
    (one graph node instead of one per read); the cache is emptied when the outermost block
    ends. Blocks may be nested."""
    global _cache_depth
    _cache_depth += 1
    try:
        yield
    finally:
        _cache_depth -= 1
        if _cache_depth == 0:
            _cache.clear()


def _set_tensor(target: Tensor, value: Any) -> None:
    """Write ``value`` into ``target`` in place (PyTorch's ``set_``: shape and dtype may
    change); the object stays the same, so optimizers holding it keep training it."""
    target.data = np.array(value.numpy() if isinstance(value, Tensor) else value, copy=True)


def _register(module: Module, name: str, tensor: Tensor) -> None:
    """A parameter stays a parameter, anything else becomes a buffer (as PyTorch)."""
    if isinstance(tensor, Parameter) or (tensor.requires_grad and tensor.is_leaf):
        module.register_parameter(name, tensor)
    else:
        module.register_buffer(name, tensor)


def _same_kind(like: Tensor, value: Tensor) -> Tensor:
    """``value`` as a Parameter if ``like`` is one (with its requires_grad), else as it is."""
    if isinstance(like, Parameter) or like.requires_grad:
        return Parameter(np.array(value.numpy(), copy=True), requires_grad=like.requires_grad)
    return value.detach()


def _check_same(what: str, name: str, before: Any, after: Any, fix: str) -> None:
    """The dtype/shape checks of registration and right_inverse, one error wording."""
    if not isinstance(after, Tensor):
        raise ValueError(f"{what} must return a Tensor, got {type(after).__name__}")
    for attr in ("dtype", "shape"):
        if getattr(after, attr) != getattr(before, attr):
            raise ValueError(
                f"{what} may not change the {attr} of the tensor {name!r}: it was "
                f"{getattr(before, attr)}, it became {getattr(after, attr)}. {fix}")


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor (``module.parametrizations.weight``): the modules
    ``0``, ``1``, ... applied in order to the tensor(s) ``original`` (or ``original0``,
    ``original1``, ... when ``right_inverse`` returns several)."""

    def __init__(self, modules: Sequence[Module], original: Tensor, unsafe: bool = False) -> None:
        if len(modules) == 0:
            raise ValueError("ParametrizationList requires one or more modules")
        super().__init__(modules)
        self.unsafe = unsafe
        with no_grad():
            new: Any = original
            for m in reversed(list(self)):
                inverse = getattr(m, "right_inverse", None)
                if inverse is not None:
                    with contextlib.suppress(NotImplementedError):
                        new = inverse(new)
        if isinstance(new, Tensor):
            self.is_tensor, self.ntensors = True, 1
            _check_same("right_inverse (returning one tensor)", "original", original, new,
                        "Return the tensor in its original shape and dtype, or a tuple of "
                        "tensors (they become original0, original1, ...)")
            with no_grad():
                _set_tensor(original, new)
            _register(self, "original", original)
        elif isinstance(new, Sequence):
            self.is_tensor, self.ntensors = False, len(new)
            for i, part in enumerate(new):
                if not isinstance(part, Tensor):
                    raise ValueError(f"right_inverse returned a sequence whose item {i} is a "
                                     f"{type(part).__name__}; every item must be a Tensor")
                _register(self, f"original{i}", _same_kind(original, part))
        else:
            raise ValueError("right_inverse must return a Tensor or a sequence of Tensors "
                             f"(list, tuple, ...), got {type(new).__name__}")
        if not self.unsafe:
            _check_same("Registering a parametrization", "the parametrized tensor", original,
                        self(), "If that is intended, pass unsafe=True to register_parametrization")

    # the parametrizations are the parts; the originals are parameters beside them
    def _parts(self) -> list[Any]:
        return [getattr(self, n) for n in self._registry if n.isdigit()]

    def __len__(self) -> int:
        return len(self._parts())

    def _name(self, index: int) -> str:
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"ParametrizationList index {index} is out of range for {n} parts")
        return str(index % n)

    def _renumber(self, parts: list[Any]) -> None:  # after insert/del: the originals stay
        for name in [n for n in self._registry if n.isdigit()]:
            delattr(self, name)
        for i, item in enumerate(parts):
            setattr(self, str(i), item)

    def originals(self) -> list[Tensor]:
        """The tensor(s) the parametrizations start from."""
        if self.is_tensor:
            return [self.original]
        return [getattr(self, f"original{i}") for i in range(self.ntensors)]

    def right_inverse(self, value: Tensor) -> None:
        """Set the original(s) so that the parametrized tensor becomes ``value``: each
        parametrization's ``right_inverse``, last to first (``module.weight = value``)."""
        with no_grad():
            for m in reversed(self._parts()):
                if not hasattr(m, "right_inverse"):
                    raise RuntimeError(
                        f"parametrization {type(m).__name__} does not implement right_inverse, "
                        "so the parametrized tensor cannot be assigned to; define "
                        "right_inverse(self, value) in it, or assign to the original instead")
                value = m.right_inverse(value)
            if self.is_tensor:
                _check_same("right_inverse", "original", self.original, value,
                            "It must give a tensor like the original")
                _set_tensor(self.original, value)
                return
            if not isinstance(value, Sequence) or len(value) != self.ntensors:
                raise ValueError(f"right_inverse must return a sequence of {self.ntensors} "
                                 f"tensors, got {type(value).__name__}")
            for original, part in zip(self.originals(), value):
                _check_same("right_inverse", "original", original, part,
                            "It must give tensors like the originals")
                _set_tensor(original, part)

    def forward(self) -> Tensor:  # type: ignore[override]
        parts = self._parts()
        x = parts[0](*self.originals())
        for m in parts[1:]:
            x = m(x)
        return x


# --- the swapped class ------------------------------------------------------------------


def _read(name: str) -> Any:
    def get(self: Module) -> Tensor:
        plist = self.parametrizations[name]
        if _cache_depth == 0:
            return plist()
        key = (id(self), name)
        if key not in _cache:
            _cache[key] = plist()
        return _cache[key]

    def put(self: Module, value: Tensor) -> None:
        self.parametrizations[name].right_inverse(value)

    return property(get, put, doc=f"{name}, computed by module.parametrizations.{name}")


def _setattr(self: Module, name: str, value: Any) -> None:
    # a parametrized name is the class's property (its setter runs right_inverse), not an
    # attribute for Module.__setattr__ to register
    if is_parametrized(self, name):
        object.__setattr__(self, name, value)
    else:
        Module.__setattr__(self, name, value)


def _getstate(self: Module) -> Any:
    raise RuntimeError("a parametrized module cannot be pickled; save its state_dict() instead "
                       "(nn.save(model, path)) and load it into a model parametrized the same way")


def _deepcopy(self: Module, memo: dict[int, Any]) -> Module:
    # deepcopy would call _getstate; copy the instance dict directly instead (as PyTorch)
    replica = object.__new__(type(self))
    memo[id(self)] = replica
    replica.__dict__.update(copy.deepcopy(self.__dict__, memo))
    return replica


def _swap_class(module: Module) -> None:
    """Give ``module`` a class with one property per parametrized name, made afresh from the
    class it had before (so two deep copies never share a class that one of them changes);
    with no parametrization left, the original class comes back."""
    base = type_before_parametrizations(module)
    names = list(module.parametrizations) if "parametrizations" in module.__dict__ else []
    if not names:
        module.__class__ = base
        return
    body: dict[str, Any] = {name: _read(name) for name in names}
    body.update(__setattr__=_setattr, __getstate__=_getstate, __deepcopy__=_deepcopy,
                _parametrized_base=base, __module__=base.__module__)
    module.__class__ = type(f"Parametrized{base.__name__}", (base,), body)


# --- the public functions ---------------------------------------------------------------


def is_parametrized(module: Module, tensor_name: str | None = None) -> bool:
    """Whether ``module`` has a parametrization (on ``tensor_name``, if given)."""
    plists = module.__dict__.get("parametrizations")
    if not isinstance(plists, ModuleDict):
        return False
    return len(plists) > 0 if tensor_name is None else tensor_name in plists


def type_before_parametrizations(module: Module) -> type:
    """The module's class before parametrizations swapped it (``Linear`` for a
    ``ParametrizedLinear``)."""
    return type(module).__dict__.get("_parametrized_base", type(module))


def register_parametrization(module: Module, tensor_name: str, parametrization: Module,
                             *, unsafe: bool = False) -> Module:
    """Make ``module.<tensor_name>`` be ``parametrization(original)``, computed at each read
    (see the module docstring). A second call on the same name chains: the new
    parametrization is applied to the result of the first. ``unsafe=True`` allows a
    parametrization that changes the shape or dtype. Returns ``module``."""
    if not isinstance(parametrization, Module):
        raise TypeError(f"register_parametrization: the parametrization must be an nn.Module "
                        f"(a class with forward, and optionally right_inverse), got "
                        f"{type(parametrization).__name__}")
    parametrization.train(module.training)
    if is_parametrized(module, tensor_name):
        plist = module.parametrizations[tensor_name]
        if not unsafe:
            current = getattr(module, tensor_name)
            new = parametrization(current)
            fix = "If that is intended, pass unsafe=True to register_parametrization"
            _check_same("Registering a parametrization", tensor_name, current, new, fix)
            inverse = getattr(parametrization, "right_inverse", None)
            if inverse is not None:
                with contextlib.suppress(NotImplementedError):
                    _check_same("parametrization.right_inverse", tensor_name, current,
                                inverse(new), fix)
        plist.append(parametrization)
        plist.unsafe = plist.unsafe or unsafe
        return module
    registry = module.__dict__["_registry"]
    if registry.get(tensor_name) not in ("parameter", "buffer") \
            or not isinstance(module.__dict__.get(tensor_name), Tensor):
        raise ValueError(
            f"register_parametrization: module {type(module).__name__} has no parameter, "
            f"buffer or parametrized tensor named {tensor_name!r}; its parameters are "
            f"{[n for n, k in registry.items() if k == 'parameter']}")
    original = module.__dict__[tensor_name]
    plist = ParametrizationList([parametrization], original, unsafe=unsafe)
    delattr(module, tensor_name)
    if not is_parametrized(module):
        module.parametrizations = ModuleDict()
    module.parametrizations[tensor_name] = plist
    _swap_class(module)
    return module


def remove_parametrizations(module: Module, tensor_name: str,
                            leave_parametrized: bool = True) -> Module:
    """Take the parametrizations off ``module.<tensor_name>``: it becomes a plain parameter
    (or buffer) again, holding the current parametrized value (``leave_parametrized=True``)
    or the original (``False``; only when there is one original). Returns ``module``."""
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"remove_parametrizations: module {type(module).__name__} has no "
                         f"parametrization on {tensor_name!r}")
    plist = module.parametrizations[tensor_name]
    if plist.is_tensor:
        original = plist.original
        if leave_parametrized:
            with no_grad():
                _set_tensor(original, getattr(module, tensor_name))
    elif leave_parametrized:
        with no_grad():
            value = getattr(module, tensor_name)
        original = _same_kind(plist.originals()[0], value)
    else:
        raise ValueError("remove_parametrizations: leave_parametrized=False needs a single "
                         f"original, but {tensor_name!r} is computed from {plist.ntensors} "
                         "tensors (original0, ...); use leave_parametrized=True")
    del module.parametrizations[tensor_name]
    if not is_parametrized(module):
        delattr(module, "parametrizations")
    _swap_class(module)
    _register(module, tensor_name, original)
    return module


def transfer_parametrizations_and_params(from_module: Module, to_module: Module,
                                         tensor_name: str | None = None) -> Module:
    """Give ``to_module`` the parametrizations of ``from_module`` (all, or those on
    ``tensor_name``) with the same modules and copies of the originals' values. A tensor
    ``to_module`` lacks is created first. Returns ``to_module``."""
    if not is_parametrized(from_module):
        return to_module
    names = list(from_module.parametrizations) if tensor_name is None else [tensor_name]
    for name in names:
        source = from_module.parametrizations[name]
        if not hasattr(to_module, name):
            setattr(to_module, name, Parameter(getattr(from_module, name).detach()))
        for m in source:
            register_parametrization(to_module, name, m, unsafe=True)
        with no_grad():
            for mine, theirs in zip(to_module.parametrizations[name].originals(),
                                    source.originals()):
                _set_tensor(mine, theirs)
    return to_module
