"""The machinery of ``nn.utils.prune`` (see there): ``BasePruningMethod`` (the
reparametrization ``<name>_orig * <name>_mask`` and its forward pre-hook),
``PruningContainer`` (pruning again what is left), PyTorch's checks of ``amount`` and
``dim``, and finding a module's pruning hook."""

from __future__ import annotations

import numbers
from abc import ABC, abstractmethod
from typing import Any

import numpy as np

import tinygrad_dk as tg
from nn.module import Module
from nn.module_hooks import remove_forward_pre_hook
from nn.utils.parametrize import is_parametrized
from tinygrad_dk import Tensor, no_grad


class PruningShapeError(ValueError, AssertionError):
    """A mask or importance scores of the wrong shape (PyTorch raises AssertionError)."""


def array_of(t: Any) -> np.ndarray:
    """The numbers of ``t`` (a Tensor or array-like) as a numpy array (a constant)."""
    return t.detach().numpy() if isinstance(t, Tensor) else np.asarray(t)


# --- amount and dim: checked as PyTorch ------------------------------------------------------


def check_amount(amount: Any) -> None:
    """At construction: a fraction in [0, 1] or a non-negative count."""
    if not isinstance(amount, numbers.Real):
        raise TypeError(f"Invalid type for amount: {amount!r}. Must be int or float "
                        "(a fraction of the weights, or how many to prune)")
    if (amount < 0) if isinstance(amount, numbers.Integral) else not 0.0 <= amount <= 1.0:
        raise ValueError(f"amount={amount} should either be a float in the range [0, 1] or a "
                         "non-negative integer (0.3 prunes 30%, 3 prunes three)")


def how_many(amount: numbers.Real, size: int) -> int:
    """How many of ``size`` units (weights or channels) ``amount`` prunes."""
    if isinstance(amount, numbers.Integral):
        if amount > size:
            raise ValueError(f"amount={amount} should be smaller than the number of parameters "
                             f"to prune={size}; give at most {size}, or a fraction")
        return int(amount)
    return round(amount * size)  # Python's round (half to even), as PyTorch


def check_scores(scores: Any, t: Any, what: str) -> None:
    """Importance scores must have the shape of the tensor ``t`` they rank (``what``)."""
    if tuple(np.shape(scores)) != tuple(np.shape(t)):
        raise PruningShapeError(f"importance_scores should have the same shape as {what}, got "
                                f"{tuple(np.shape(scores))} vs {tuple(np.shape(t))}")


def channel_dim(t: np.ndarray, dim: int) -> int:
    """``dim`` as a non-negative axis of ``t``, which must have channels (2 or more dims)."""
    if t.ndim <= 1:
        raise ValueError(f"Structured pruning can only be applied to multidimensional tensors. "
                         f"Found tensor of shape {t.shape} with {t.ndim} dims; prune a 1-d "
                         "tensor (a bias) with an unstructured method")
    if not -t.ndim <= dim < t.ndim:
        raise IndexError(f"Invalid index {dim} for tensor of size {t.shape}: dim must be in "
                         f"[{-t.ndim}, {t.ndim - 1}]")
    return dim % t.ndim


def channel_index(shape: tuple, dim: int, keep: np.ndarray) -> tuple:
    """The index that selects the channels ``keep`` (bools or positions) along ``dim``."""
    return (slice(None),) * dim + (keep,) + (slice(None),) * (len(shape) - dim - 1)


# --- the methods -------------------------------------------------------------------------------


class BasePruningMethod(ABC):
    """The base of every pruning method: a subclass says which weights go in
    ``compute_mask`` (and its ``PRUNING_TYPE``: "unstructured", "structured" or "global",
    which tells ``PruningContainer`` what a second pruning may look at). An instance is
    the forward pre-hook that recomputes ``module.<name>`` from ``<name>_orig`` and
    ``<name>_mask``."""

    PRUNING_TYPE: str
    _tensor_name: str | None = None  # the tensor it prunes, set by apply()

    def __call__(self, module: Module, inputs: Any) -> None:
        setattr(module, self._tensor_name, self.apply_mask(module))

    @abstractmethod
    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        """The mask (same shape as ``t``, the importance scores) that prunes on top of
        ``default_mask`` (the mask of earlier prunings, ones at first)."""

    def apply_mask(self, module: Module) -> Tensor:
        """``<name>_orig * <name>_mask`` of ``module``: the pruned tensor."""
        if self._tensor_name is None:
            raise RuntimeError(f"Module {type(module).__name__} has to be pruned: call "
                               f"{type(self).__name__}.apply(module, name, ...) first")
        mask = getattr(module, self._tensor_name + "_mask")
        orig = getattr(module, self._tensor_name + "_orig")
        return mask.to(orig.dtype) * orig

    @classmethod
    def apply(cls, module: Module, name: str, *args: Any, importance_scores: Any = None,
              **kwargs: Any) -> BasePruningMethod:
        """Prune ``module.<name>`` with ``cls(*args, **kwargs)``, on top of any earlier
        pruning of it, and return the hook now in charge (the method, or a container)."""
        old = pruning_hook(module, name)
        method = cls(*args, **kwargs)
        method._tensor_name = name
        orig = getattr(module, name) if old is not None else _parameter(module, name)
        scores = orig if importance_scores is None else importance_scores
        check_scores(scores, orig, f"parameter {name} of {type(module).__name__}")
        with no_grad():  # masks are constants
            if old is None:
                mask = method.compute_mask(scores, default_mask=tg.ones_like(orig))
            else:
                default = getattr(module, name + "_mask").detach().clone()
                mask = combine_masks(method, scores, default)
        _check_mask(mask, orig, method)
        # the mask is right: only now change the module (an error above leaves it as it was)
        if old is None:
            module.register_parameter(name + "_orig", orig)
            delattr(module, name)
            hook = method
        else:
            remove_forward_pre_hook(module, old)
            hook = old if isinstance(old, PruningContainer) else PruningContainer(old)
            hook.add_pruning_method(method)
        module.register_buffer(name + "_mask", mask)
        setattr(module, name, hook.apply_mask(module))
        module.register_forward_pre_hook(hook)
        return hook

    def prune(self, t: Tensor, default_mask: Tensor | None = None,
              importance_scores: Tensor | None = None) -> Tensor:
        """``t`` times this method's mask (no module involved; differentiable in ``t``)."""
        scores = t if importance_scores is None else importance_scores
        check_scores(scores, t, "tensor t")
        with no_grad():
            mask = self.compute_mask(scores, default_mask=tg.ones_like(t)
                                     if default_mask is None else default_mask)
        return t * mask

    def remove(self, module: Module) -> None:
        """Make the pruning permanent: ``<name>`` becomes a Parameter again holding the
        pruned values (the zeros stay); ``<name>_orig``, ``<name>_mask`` go."""
        name = self._tensor_name
        if name is None:
            raise RuntimeError(f"Module {type(module).__name__} has to be pruned before "
                               "pruning can be removed")
        weight = self.apply_mask(module)
        if name in module.__dict__:
            delattr(module, name)
        orig = getattr(module, name + "_orig")
        orig.data = weight.data  # the same Parameter object: optimizers keep training it
        delattr(module, name + "_orig")
        delattr(module, name + "_mask")
        module.register_parameter(name, orig)  # a parameter even when frozen


class PruningContainer(BasePruningMethod):
    """The prunings applied one after another to one tensor (iterative pruning). Its
    mask is the latest method's mask computed on what earlier prunings left: for an
    unstructured method the weights still unpruned, for a structured one the channels
    still unpruned, for a "global" one (``CustomFromMask``) everything."""

    def __init__(self, *methods: BasePruningMethod) -> None:
        self._pruning_methods: tuple[BasePruningMethod, ...] = ()
        if methods:
            self._tensor_name = methods[0]._tensor_name
        for method in methods:
            self.add_pruning_method(method)

    def add_pruning_method(self, method: BasePruningMethod) -> None:
        """Append ``method``, which must prune the same tensor."""
        if not isinstance(method, BasePruningMethod) and method is not None:
            raise TypeError(f"{type(method)} is not a BasePruningMethod subclass")
        if method is not None and self._tensor_name != method._tensor_name:
            raise ValueError(f"Can only add pruning methods acting on the parameter named "
                             f"'{self._tensor_name}' to PruningContainer {self}. Found "
                             f"'{method._tensor_name}'")
        self._pruning_methods += (method,)

    def __len__(self) -> int:
        return len(self._pruning_methods)

    def __iter__(self) -> Any:
        return iter(self._pruning_methods)

    def __getitem__(self, idx: Any) -> Any:
        return self._pruning_methods[idx]

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        """The latest method's mask, on top of ``default_mask`` (see the class)."""
        return combine_masks(self._pruning_methods[-1], t, default_mask)


def combine_masks(method: BasePruningMethod, t: Any, mask: Any) -> Tensor:
    """``mask`` with ``method`` applied to the part that earlier prunings left (a method's
    amount counts within that part: 50% then 50% leaves 25%)."""
    scores, old = array_of(t), array_of(mask)
    kind = method.PRUNING_TYPE
    if kind == "unstructured":
        part: Any = old == 1  # the weights still there
    elif kind == "structured":
        if not hasattr(method, "dim"):
            raise AttributeError('Pruning methods of PRUNING_TYPE "structured" need to have '
                                 "the attribute `dim` defined.")
        dim = channel_dim(scores, method.dim)
        others = tuple(d for d in range(old.ndim) if d != dim)
        part = channel_index(old.shape, dim, old.sum(axis=others) != 0)  # the channels still there
    elif kind == "global":
        part = (slice(None),) * old.ndim
    else:
        raise ValueError(f"Unrecognized PRUNING_TYPE {kind!r}; use 'unstructured', "
                         "'structured' or 'global'")
    new = old.astype(scores.dtype)  # a copy
    partial = method.compute_mask(Tensor(scores[part]), default_mask=Tensor(new[part]))
    new[part] = array_of(partial)
    return Tensor(new)


# --- the hooks of a module -----------------------------------------------------------------


def pruning_hook(module: Module, name: str) -> BasePruningMethod | None:
    """The pruning hook of ``module.<name>``, or None. (The hooks are read from
    ``module._hooks``, as PyTorch's prune reads ``module._forward_pre_hooks``.)"""
    table = module._hooks
    found = [h for h in (table.forward_pre.values() if table else ())
             if isinstance(h, BasePruningMethod) and h._tensor_name == name]
    if len(found) > 1:
        raise RuntimeError(f"Avoid adding multiple pruning hooks to the same tensor {name} of "
                           f"module {type(module).__name__}. Use a PruningContainer.")
    return found[0] if found else None


def _parameter(module: Module, name: str) -> Tensor:
    """``module.<name>``, which must be a Tensor parameter (what pruning can act on)."""
    params = dict(module._entries())
    if not isinstance(params.get(name), Tensor):
        have = [n for n, p in params.items() if isinstance(p, Tensor)]
        fix = (f"; {name!r} is parametrized: prune the original instead, (module."
               f"parametrizations.{name}, 'original')" if is_parametrized(module, name) else "")
        raise AttributeError(f"prune: {type(module).__name__} has no Tensor parameter {name!r}"
                             f" to prune; its parameters are {have}{fix}")
    return params[name]


def _check_mask(mask: Any, orig: Tensor, method: BasePruningMethod) -> None:
    if not isinstance(mask, Tensor) or mask.shape != orig.shape:
        got = type(mask).__name__ + (f" of shape {mask.shape}" if hasattr(mask, "shape") else "")
        raise TypeError(f"{type(method).__name__}.compute_mask returned {got}; it must return "
                        f"a Tensor of the pruned tensor's shape {orig.shape}")
