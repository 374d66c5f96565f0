"""Weight normalisation (Salimans and Kingma, 2016), as ``torch.nn.utils.weight_norm``:
a weight written as a length ``g`` times a direction ``v / ||v||``, so that the optimizer
learns the size and the direction of each output unit's weights separately.

    layer = nn.utils.weight_norm(nn.Linear(20, 40))     # parameters weight_g, weight_v
    layer = nn.utils.parametrizations.weight_norm(nn.Linear(20, 40))   # the newer form

This is the older, hook-based form: ``weight`` is recomputed from ``weight_g`` and
``weight_v`` by a forward pre-hook before each call. The norm (``norm_except_dim``) and
the weight (``weight_from_g_v``) are defined here once; the parametrization form in
``nn.utils.parametrizations`` uses the same two functions.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nn.module import Module
from tinygrad_dk import Parameter, Tensor, no_grad

__all__ = ["weight_norm", "remove_weight_norm", "norm_except_dim", "weight_from_g_v"]


def _other_dims(v: Tensor, dim: int | None) -> tuple[int, ...] | None:
    """The dims the norm runs over: all but ``dim``; None (every dim) for dim None or -1
    (PyTorch's weight norm reads -1 as "the whole tensor", not as the last dim)."""
    if dim is None or dim == -1:
        return None
    if not -v.ndim <= dim < v.ndim:
        raise IndexError(f"weight_norm: dim={dim} is out of range for a weight of shape "
                         f"{tuple(v.shape)}; use a dim in [0, {v.ndim - 1}], or None (or -1) "
                         "for one norm of the whole tensor")
    dim %= v.ndim
    return tuple(d for d in range(v.ndim) if d != dim)


def norm_except_dim(v: Tensor, dim: int | None) -> Tensor:
    """The Euclidean norm of ``v`` over every dim but ``dim``, kept as length-1 dims (shape
    (out, 1) for a Linear weight and dim 0); for dim None or -1 the norm of the whole
    tensor (shape ())."""
    dims = _other_dims(v, dim)
    if dims is None:
        return v.norm()
    return v.norm(2, dim=dims, keepdim=True)


def weight_from_g_v(g: Tensor, v: Tensor, dim: int | None) -> Tensor:
    """``g * v / ||v||`` with the norm over every dim but ``dim``: each slice along ``dim``
    has length |g|, whatever the size of v."""
    return v * (g / norm_except_dim(v, dim))


class WeightNorm:
    """The forward pre-hook of ``weight_norm``: sets ``module.<name>`` from ``<name>_g`` and
    ``<name>_v`` before each forward."""

    def __init__(self, name: str, dim: int | None) -> None:
        self.name, self.dim = name, dim
        self.handle: Any = None

    def compute_weight(self, module: Module) -> Tensor:
        return weight_from_g_v(getattr(module, self.name + "_g"),
                               getattr(module, self.name + "_v"), self.dim)

    def __call__(self, module: Module, inputs: Any) -> None:
        setattr(module, self.name, self.compute_weight(module))

    def remove(self, module: Module) -> None:
        with no_grad():
            weight = self.compute_weight(module)
        delattr(module, self.name)
        delattr(module, self.name + "_g")
        delattr(module, self.name + "_v")
        module.register_parameter(self.name, Parameter(weight.numpy()))
        self.handle.remove()


def hooks_of(module: Module, kind: type) -> list[Any]:
    """The forward pre-hooks of ``module`` that are instances of ``kind`` (WeightNorm,
    SpectralNorm)."""
    table = module.__dict__.get("_hooks")
    return [] if table is None else [h for h in table.forward_pre.values() if isinstance(h, kind)]


def remove_hook(module: Module, kind: type, name: str, what: str) -> Module:
    """Undo the ``kind`` hook (WeightNorm, SpectralNorm) on the parameter ``name``; an error
    naming ``what`` (weight_norm, spectral_norm) when there is none."""
    for hook in hooks_of(module, kind):
        if hook.name == name:
            hook.remove(module)
            return module
    raise ValueError(f"remove_{what}: {what} of {name!r} not found in {type(module).__name__}")


def plain_parameter(module: Module, name: str, what: str) -> Tensor:
    """``module.<name>`` if it is a parameter; otherwise an error naming what there is."""
    params = [n for n, k in module.__dict__["_registry"].items() if k == "parameter"]
    if name not in params or not isinstance(module.__dict__.get(name), Tensor):
        raise ValueError(f"{what}: module {type(module).__name__} has no parameter named "
                         f"{name!r}; its parameters are {params}")
    return module.__dict__[name]


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Replace the parameter ``name`` by ``<name>_g`` (the norms, one per slice along ``dim``)
    and ``<name>_v`` (the direction); ``module.<name>`` is recomputed as ``g * v / ||v||``
    before each forward. ``dim=None`` uses one norm for the whole tensor. Returns ``module``."""
    if any(h.name == name for h in hooks_of(module, WeightNorm)):
        raise RuntimeError(f"weight_norm: the parameter {name!r} of {type(module).__name__} "
                           "has weight_norm already (two would normalise twice); call "
                           "nn.utils.remove_weight_norm(module) first")
    weight = plain_parameter(module, name, "weight_norm")
    hook = WeightNorm(name, dim)
    g = norm_except_dim(weight.detach(), dim)
    delattr(module, name)
    module.register_parameter(name + "_g", Parameter(np.array(g.numpy(), copy=True)))
    module.register_parameter(name + "_v", Parameter(np.array(weight.numpy(), copy=True)))
    hook(module, ())
    hook.handle = module.register_forward_pre_hook(hook)
    return module


def remove_weight_norm(module: Module, name: str = "weight") -> Module:
    """Undo ``weight_norm``: ``name`` becomes one parameter again, holding the current
    weight. Returns ``module``."""
    return remove_hook(module, WeightNorm, name, "weight_norm")
