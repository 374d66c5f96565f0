"""``functional_call``: run a module with other parameters and buffers, as
``torch.func.functional_call`` (exported by ``tinygrad_dk.func``).

The module's own tensors are swapped out for the call and put back afterwards, also
when its forward pass raises. Written for any object with ``named_parameters`` and
``named_buffers`` (the engine does not import ``nn``).
"""

from __future__ import annotations

from typing import Any

__all__ = ["functional_call"]


def _owner(module: Any, dotted: str) -> tuple[Any, str]:
    """The object holding ``dotted``'s last part, and that part (``"0.weight"`` ->
    (module[0], "weight")); lists of modules or parameters are indexed."""
    *path, last = dotted.split(".")
    obj = module
    for part in path:
        obj = obj[int(part)] if isinstance(obj, (list, tuple)) or (
            part.isdigit() and not hasattr(obj, part)) else getattr(obj, part)
    return obj, last


_ABSENT = object()  # an attribute functional_call adds (strict=False) and removes again


def _get(owner: Any, name: str) -> Any:
    return owner[int(name)] if isinstance(owner, list) else getattr(owner, name, _ABSENT)


def _put(owner: Any, name: str, value: Any) -> None:
    """Swap without the module's registration rules (a plain Tensor for a Parameter must
    not unregister it): straight into the instance dict."""
    if isinstance(owner, list):
        owner[int(name)] = value
    elif value is _ABSENT:
        object.__delattr__(owner, name)
    else:
        object.__setattr__(owner, name, value)


def functional_call(module: Any, parameter_and_buffer_dicts: Any, args: Any = None,
                    kwargs: dict | None = None, *, tie_weights: bool = True,
                    strict: bool = False) -> Any:
    """``module(*args, **kwargs)`` with some parameters and buffers replaced by the given
    tensors (dotted names, as ``named_parameters``), put back afterwards, also when the
    forward pass raises. Gradients then flow to the given tensors, which is what
    ``grad`` and ``vmap`` of a model need. ``tie_weights``: a parameter shared under two
    names is replaced under both; ``strict``: every parameter and buffer must be given.
    """
    dicts = parameter_and_buffer_dicts
    dicts = (dicts,) if isinstance(dicts, dict) else tuple(dicts)
    new: dict[str, Any] = {}
    for d in dicts:
        repeated = sorted(set(new) & set(d))
        if repeated:
            raise ValueError(f"{repeated} appeared in multiple dictionaries; behavior of "
                             "functional call is ambiguous")
        new.update(d)
    known = dict(module.named_parameters()) | dict(module.named_buffers())
    everything = [*_all_names(module, "named_parameters"), *_all_names(module, "named_buffers")]
    if strict:
        missing = sorted({n for n, _ in everything} - set(new))
        unexpected = sorted(set(new) - {n for n, _ in everything})
        if missing or unexpected:
            raise RuntimeError(f"Error(s) in reparametrizing for {type(module).__name__}: "
                               f"missing key(s) {missing}, unexpected key(s) {unexpected}")
    if tie_weights:  # every name of a shared tensor follows the one given
        for name, tensor in everything:
            for given, value in list(new.items()):
                if name not in new and given in known and known[given] is tensor:
                    new[name] = value
    saved = []
    swapped: dict[tuple[int, str], str] = {}  # (owner, attribute) -> the name that set it
    try:
        for name, value in new.items():
            owner, attr = _owner(module, name)
            first = swapped.setdefault((id(owner), attr), name)
            if first != name and new[first] is not value:  # one tensor, two names, two values
                raise ValueError(f"functional_call got multiple values for keys "
                                 f"{sorted([first, name])}, which are tied (one tensor under "
                                 "both names); give a value for only one of them")
            saved.append((owner, attr, _get(owner, attr)))
            _put(owner, attr, value)
        args = args if isinstance(args, tuple) else (() if args is None else (args,))
        return module(*args, **(kwargs or {}))
    finally:
        for owner, attr, old in reversed(saved):
            _put(owner, attr, old)


def _all_names(module: Any, method: str) -> list[tuple[str, Any]]:
    """Every (name, tensor), shared tensors under each of their names when the module
    can list them so (``_all_named_parameters``)."""
    if method == "named_parameters" and hasattr(module, "_all_named_parameters"):
        return list(module._all_named_parameters())
    return list(getattr(module, method)())
