"""``nn.utils.prune``, as ``torch.nn.utils.prune``: set weights to zero for good.

A trained network has many weights it does not need: pruning zeroes the least important
ones (model compression; the "lottery ticket" idea), usually followed by a little more
training of the weights that are left::

    import nn.utils.prune as prune
    prune.l1_unstructured(model[0], "weight", amount=0.5)  # the 50% smallest |w| -> 0
    ...train...                                             # the zeros stay zeros
    prune.remove(model[0], "weight")                        # make it permanent

How it works (PyTorch's reparametrization, with PyTorch's names, so state dicts load both
ways): pruning ``weight`` moves the Parameter to ``weight_orig`` (the optimizer keeps
training it), adds a buffer ``weight_mask`` (1 keep, 0 pruned) and makes ``weight`` a plain
attribute ``weight_orig * weight_mask``, recomputed by a forward pre-hook before every
forward. So gradients reach ``weight_orig`` masked, and an optimizer step on
``weight_orig`` never brings a pruned weight back into the forward pass. Pruning the
same tensor again acts only on the weights still unpruned (``PruningContainer``).

``amount`` is a fraction (a float in [0, 1], rounded as Python's ``round``) or a count
(an int). Ties: where several weights are equally unimportant (equal |w|, or channels of
equal norm) and only some of them go, the earlier ones in memory order are pruned first.
PyTorch picks among ties with its ``topk``, whose choice is an accident of its sorting
code, so on ties the positions may differ from PyTorch's (the counts never do).
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np

import tinygrad_dk as tg
from nn.module import Module
from nn.module_hooks import remove_forward_pre_hook
from nn.utils.prune_base import (
    BasePruningMethod,
    PruningContainer,
    PruningShapeError,
    array_of,
    channel_dim,
    channel_index,
    check_amount,
    check_scores,
    combine_masks,
    how_many,
    pruning_hook,
)
from tinygrad_dk import Tensor

__all__ = ["BasePruningMethod", "PruningContainer", "Identity", "RandomUnstructured",
           "L1Unstructured", "RandomStructured", "LnStructured", "CustomFromMask",
           "identity", "random_unstructured", "l1_unstructured", "random_structured",
           "ln_structured", "global_unstructured", "custom_from_mask", "remove", "is_pruned"]


class Identity(BasePruningMethod):
    """Prunes nothing (a mask of ones): the reparametrization alone."""

    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        return default_mask

    @classmethod
    def apply(cls, module: Module, name: str) -> BasePruningMethod:  # type: ignore[override]
        return super().apply(module, name)


def _unstructured_mask(default_mask: Any, order: np.ndarray, count: int) -> Tensor:
    """``default_mask`` with the first ``count`` positions of ``order`` set to 0."""
    mask = np.array(array_of(default_mask))  # a copy
    mask.flat[order[:count]] = 0
    return Tensor(mask)


class RandomUnstructured(BasePruningMethod):
    """Prunes ``amount`` weights chosen at random (from the engine's generator:
    ``tg.manual_seed`` makes it reproducible)."""

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount: numbers.Real) -> None:
        check_amount(amount)
        self.amount = amount

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        size = int(np.size(array_of(t)))
        count = how_many(self.amount, size)
        if count == 0:
            return _unstructured_mask(default_mask, np.zeros(0, int), 0)
        draws = tg.rand(size, dtype=np.float64).numpy()
        return _unstructured_mask(default_mask, np.argsort(-draws, kind="stable"), count)

    @classmethod
    def apply(cls, module: Module, name: str,  # type: ignore[override]
              amount: numbers.Real) -> BasePruningMethod:
        return super().apply(module, name, amount=amount)


class L1Unstructured(BasePruningMethod):
    """Prunes the ``amount`` weights of smallest |w| (or smallest |importance score|)."""

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount: numbers.Real) -> None:
        check_amount(amount)
        self.amount = amount

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        magnitude = np.abs(array_of(t)).reshape(-1)
        count = how_many(self.amount, magnitude.size)
        # smallest first; among equal ones the earlier (stable sort; see the module docstring)
        return _unstructured_mask(default_mask, np.argsort(magnitude, kind="stable"), count)

    @classmethod
    def apply(cls, module: Module, name: str, amount: numbers.Real,  # type: ignore[override]
              importance_scores: Tensor | None = None) -> BasePruningMethod:
        return super().apply(module, name, amount=amount, importance_scores=importance_scores)


class _Structured(BasePruningMethod):
    """Prunes ``amount`` whole channels along ``dim``; a subclass says which (``_keep``)."""

    PRUNING_TYPE = "structured"

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        scores = array_of(t)
        dim = channel_dim(scores, self.dim)
        channels = scores.shape[dim]
        count = how_many(self.amount, channels)
        if count == 0:
            return default_mask
        mask = np.zeros(scores.shape, dtype=scores.dtype)  # ones on the channels kept
        mask[channel_index(scores.shape, dim, self._keep(scores, dim, count))] = 1
        return Tensor(mask * array_of(default_mask).astype(mask.dtype))

    def _keep(self, scores: np.ndarray, dim: int, count: int) -> np.ndarray:
        """Which channels along ``dim`` stay (indices or a boolean mask), ``count`` going."""
        raise NotImplementedError


class RandomStructured(_Structured):
    """Prunes ``amount`` whole channels along ``dim`` (rows of a Linear weight for dim=0,
    output channels of a Conv2d for dim=0), chosen at random."""

    def __init__(self, amount: numbers.Real, dim: int = -1) -> None:
        check_amount(amount)
        self.amount, self.dim = amount, dim

    def _keep(self, scores: np.ndarray, dim: int, count: int) -> np.ndarray:
        draws = tg.rand(scores.shape[dim], dtype=np.float64).numpy()
        return draws > np.sort(draws)[count - 1]  # all but the `count` smallest draws

    @classmethod
    def apply(cls, module: Module, name: str, amount: numbers.Real,  # type: ignore[override]
              dim: int = -1) -> BasePruningMethod:
        return super().apply(module, name, amount=amount, dim=dim)


class LnStructured(_Structured):
    """Prunes the ``amount`` channels along ``dim`` of smallest L``n`` norm (``n`` as
    ``p`` of ``tg.norm``: 1, 2 or "fro", inf, -inf, 0, any other number)."""

    def __init__(self, amount: numbers.Real, n: Any, dim: int = -1) -> None:
        check_amount(amount)
        self.amount, self.n, self.dim = amount, n, dim

    def _keep(self, scores: np.ndarray, dim: int, count: int) -> np.ndarray:
        others = [d for d in range(scores.ndim) if d != dim]
        norms = tg.norm(Tensor(scores), p=self.n, dim=others).numpy()
        # keep the largest norms; among equal ones the earlier (stable sort)
        return np.argsort(-norms, kind="stable")[:len(norms) - count]

    @classmethod
    def apply(cls, module: Module, name: str, amount: numbers.Real, n: Any,  # type: ignore[override]
              dim: int, importance_scores: Tensor | None = None) -> BasePruningMethod:
        return super().apply(module, name, amount=amount, n=n, dim=dim,
                             importance_scores=importance_scores)


class CustomFromMask(BasePruningMethod):
    """Prunes where the given ``mask`` is 0 (on top of any earlier pruning)."""

    PRUNING_TYPE = "global"

    def __init__(self, mask: Any) -> None:
        self.mask = mask

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        mask, default = array_of(self.mask), array_of(default_mask)
        if mask.shape != default.shape:
            raise PruningShapeError(f"default_mask shape {default.shape} must match self.mask "
                                    f"shape {mask.shape}: give a mask of the tensor's shape")
        return Tensor(default * mask.astype(default.dtype))

    @classmethod
    def apply(cls, module: Module, name: str, mask: Any) -> BasePruningMethod:  # type: ignore[override]
        return super().apply(module, name, mask=mask)


# --- the functions (each returns the module) -------------------------------------------------


def identity(module: Module, name: str) -> Module:
    """The pruning reparametrization of ``module.<name>`` with a mask of ones."""
    Identity.apply(module, name)
    return module


def random_unstructured(module: Module, name: str, amount: numbers.Real) -> Module:
    """Prune ``amount`` of the unpruned weights of ``module.<name>``, chosen at random."""
    RandomUnstructured.apply(module, name, amount)
    return module


def l1_unstructured(module: Module, name: str, amount: numbers.Real,
                    importance_scores: Tensor | None = None) -> Module:
    """Prune the ``amount`` unpruned weights of ``module.<name>`` of smallest |w|."""
    L1Unstructured.apply(module, name, amount=amount, importance_scores=importance_scores)
    return module


def random_structured(module: Module, name: str, amount: numbers.Real, dim: int) -> Module:
    """Prune ``amount`` unpruned channels along ``dim``, chosen at random."""
    RandomStructured.apply(module, name, amount, dim)
    return module


def ln_structured(module: Module, name: str, amount: numbers.Real, n: Any, dim: int,
                  importance_scores: Tensor | None = None) -> Module:
    """Prune the ``amount`` unpruned channels along ``dim`` of smallest L``n`` norm."""
    LnStructured.apply(module, name, amount, n, dim, importance_scores=importance_scores)
    return module


def custom_from_mask(module: Module, name: str, mask: Any) -> Module:
    """Prune ``module.<name>`` where ``mask`` is 0."""
    CustomFromMask.apply(module, name, mask)
    return module


def global_unstructured(parameters: Iterable[tuple[Module, str]], pruning_method: type,
                        importance_scores: dict | None = None, **kwargs: Any) -> None:
    """Prune several tensors as one: ``pruning_method(**kwargs)`` (an unstructured method,
    e.g. ``L1Unstructured`` with ``amount=``) chooses among all their unpruned weights
    together, so one threshold holds across layers (a layer may lose more than another).

    ``parameters``: ``(module, name)`` pairs; ``importance_scores``: a dict from such a
    pair to scores of the tensor's shape (default: the tensor itself)."""
    if not isinstance(parameters, Iterable):
        raise TypeError("global_unstructured(): parameters is not an Iterable; give "
                        "(module, name) pairs, e.g. [(model[0], 'weight'), (model[2], 'weight')]")
    parameters = [(module, name) for module, name in parameters]  # pairs as tuples: dict keys
    if not parameters:
        raise ValueError("global_unstructured(): no (module, name) pairs given; give e.g. "
                         "[(model[0], 'weight'), (model[2], 'weight')]")
    scores = {} if importance_scores is None else importance_scores
    if not isinstance(scores, dict):
        raise TypeError("global_unstructured(): importance_scores must be of type dict, from "
                        "(module, name) to a Tensor")
    tensors = [getattr(module, name) for module, name in parameters]
    for (module, name), t in zip(parameters, tensors):
        check_scores(scores.get((module, name), t), t,
                     f"parameter {name} of {type(module).__name__}")
    flat = np.concatenate([array_of(scores.get(pair, t)).reshape(-1)
                           for pair, t in zip(parameters, tensors)])
    default = np.concatenate([array_of(getattr(module, name + "_mask", tg.ones_like(t))).reshape(-1)
                              for (module, name), t in zip(parameters, tensors)])
    method = pruning_method(**kwargs)
    if method.PRUNING_TYPE != "unstructured":
        raise TypeError(f'Only "unstructured" PRUNING_TYPE supported for the `pruning_method`. '
                        f"Found method {pruning_method} of type {method.PRUNING_TYPE}")
    # the method on the weights still unpruned, as a PruningContainer's next method
    final = array_of(combine_masks(method, flat, default))
    start = 0
    for (module, name), t in zip(parameters, tensors):
        custom_from_mask(module, name, mask=Tensor(final[start:start + t.numel()].reshape(t.shape)))
        start += t.numel()


def remove(module: Module, name: str) -> Module:
    """Make the pruning of ``module.<name>`` permanent (see ``BasePruningMethod.remove``)."""
    hook = pruning_hook(module, name)
    if hook is None:
        raise ValueError(f"Parameter '{name}' of module {type(module).__name__} has to be pruned "
                         "before pruning can be removed")
    hook.remove(module)
    remove_forward_pre_hook(module, hook)
    return module


def is_pruned(module: Module) -> bool:
    """Whether ``module`` or any module inside it has a pruning hook."""
    return any(isinstance(hook, BasePruningMethod)
               for m in module.modules() if m._hooks
               for hook in m._hooks.forward_pre.values())
