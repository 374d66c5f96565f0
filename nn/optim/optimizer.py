"""``Optimizer``: what every update rule shares (how to use one: see ``nn.optim``).

Optimizers work on Tensor parameters and on scalar ``Value`` parameters alike, through
the parameter surface both engines share (``tinygrad_dk.Node``): ``p.numpy()`` and
``p.grad_numpy()`` give the value and its gradient as numpy arrays (None: no
gradient, the parameter is skipped), ``p.copy_(new)`` writes the update back. The
update formulas are written once, on numpy arrays.

Updates happen in place, as PyTorch's: the parameter's own array is changed, state
such as momentum or Adam's moments lives across steps and is updated in place with
numpy's ``out=`` arguments, and the one temporary an update needs comes from
``_scratch``, a buffer that every parameter reuses. So plain SGD, SGD with momentum,
Adam and AdamW add no fresh memory (and no page faults) to a training step, only
arithmetic; the rarer options (weight decay added to the gradient, dampening,
Nesterov) take one more temporary array.

The learning rate can change during training: ``opt.lr = 0.01`` or, as in PyTorch,
``opt.param_groups[0]["lr"] = 0.01`` (what schedulers such as ``StepLR`` do).
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np

from tinygrad_dk import Node, quiet


class Optimizer:
    """Base class: holds ``param_groups`` and per-parameter ``state``.

    ``params`` is an iterable of parameters, or (as PyTorch) of dicts
    ``{"params": [...], "lr": ...}`` giving some parameters their own settings.
    """

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        name = type(self).__name__
        if isinstance(params, Node):
            raise TypeError(f"{name}: params must be an iterable of parameters, e.g. "
                            "model.parameters() or [w, b], not a single parameter")
        items = list(params)
        if not items:
            raise ValueError(
                f"{name}: got an empty list of parameters; pass model.parameters() of a model "
                "that has parameters (or a list of Tensors with requires_grad=True)"
            )
        groups = items if isinstance(items[0], dict) else [{"params": items}]
        self.defaults = defaults
        self.param_groups: list[dict[str, Any]] = []
        for group in groups:
            self._add_group(group)
        self.state: dict[int, dict[str, Any]] = {}  # by id(p): momentum buffers, moments
        self._scratch_buffers: dict[Any, np.ndarray] = {}  # by dtype: see _scratch
        self._scratch_views: dict[tuple, np.ndarray] = {}  # by (dtype, shape)

    def _add_group(self, group: dict[str, Any]) -> None:
        """Check a parameter group and append it: every parameter once, in one group."""
        name = type(self).__name__
        if not isinstance(group, dict) or "params" not in group:
            raise TypeError(f"{name}: a parameter group is a dict with a 'params' list, e.g. "
                            "{'params': model.parameters(), 'lr': 0.01}")
        params = group["params"]
        params = [params] if isinstance(params, Node) else list(params)
        for p in params:
            if not isinstance(p, Node):
                raise TypeError(
                    f"{name}: parameters must be Tensors or Values, got {type(p).__name__}"
                )
        unique = list({id(p): p for p in params}.values())
        if len(unique) < len(params):
            # Stepping a parameter twice per step(), silently, would double its learning
            # rate; PyTorch warns here too. Each one is kept once.
            warnings.warn(
                f"{name}: {len(params) - len(unique)} parameter(s) appear more than once in "
                "the list (e.g. model.parameters() + model.parameters()); each is updated "
                "once per step(). Pass every parameter once", UserWarning, stacklevel=4)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in unique):
            raise ValueError(
                f"{name}: some parameters appear in more than one parameter group; a "
                "parameter can have only one learning rate. Put each parameter in exactly "
                "one group")
        group = {**self.defaults, **group, "params": unique}
        self._validate(group)
        self.param_groups.append(group)

    def _validate(self, group: dict[str, Any]) -> None:
        """Every setting a number of the right range (a clear error, not a TypeError)."""
        name = type(self).__name__
        for key in ("lr", "momentum", "dampening", "weight_decay", "eps"):
            if key in group:
                check_number(name, key, group[key])
        if not group["lr"] >= 0:
            raise ValueError(f"{name}: learning rate lr must be >= 0, got {group['lr']!r}")
        if group.get("weight_decay", 0) < 0:
            raise ValueError(f"{name}: weight_decay must be >= 0, got {group['weight_decay']!r}")
        if "betas" in group:  # the Adam family
            check_betas(name, group)

    @property
    def lr(self) -> float:
        """The learning rate (of the first group); setting it changes every group."""
        return self.param_groups[0]["lr"]

    @lr.setter
    def lr(self, value: float) -> None:
        check_number(type(self).__name__, "lr", value)
        if not value >= 0:
            raise ValueError(f"{type(self).__name__}: learning rate lr must be >= 0, got {value!r}")
        for group in self.param_groups:
            group["lr"] = value

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients: Tensors get ``grad = None`` (as PyTorch), Values 0.0.

        (``set_to_none`` is accepted for PyTorch programs; clearing is the same either way.)
        """
        for group in self.param_groups:
            for p in group["params"]:
                p.zero_grad()

    @quiet
    def step(self) -> None:
        """Update every parameter that has a gradient, once.

        An inf or nan gradient gives inf or nan weights, quietly (IEEE's answer, no
        numpy warning: ``quiet``); ``fit`` stops with a clear error when the loss turns
        non-finite. The updates are numpy arithmetic on the parameters' arrays, so
        nothing is recorded and ``no_grad()`` is not needed.
        """
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad_numpy()
                if g is None:
                    continue
                state = self.state.get(id(p))
                if state is None:
                    state = self.state[id(p)] = {"step": 0}
                state["step"] += 1
                # For a Tensor, p.numpy() is the parameter's own array, which _update
                # changes in place; copy_ then only records that the data changed. (A
                # Value gives a 0-d copy, which copy_ writes back.)
                theta = p.numpy()
                if not theta.flags.writeable:  # e.g. a broadcast view: update a copy
                    theta = theta.copy()
                self._update(theta, g, state, group)
                p.copy_(theta)

    def _update(self, theta: np.ndarray, g: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        """Update one parameter's array ``theta`` in place from its gradient ``g``."""
        raise NotImplementedError

    def _scratch(self, like: np.ndarray) -> np.ndarray:
        """A temporary array of ``like``'s shape, dtype and memory order, for one
        update's arithmetic.

        It is a view of one buffer per dtype, as large as the largest parameter, which
        every parameter's update reuses: after the first step, updates allocate nothing.
        Its contents are garbage until written; it is overwritten by the next update.
        """
        order = "F" if like.flags.f_contiguous else "C"  # like's layout (nn.Linear: "F")
        view = self._scratch_views.get((like.dtype, like.shape, order))
        if view is None:
            buffer = self._scratch_buffers.get(like.dtype)
            if buffer is None or buffer.size < like.size:  # grow it: older views are stale
                buffer = self._scratch_buffers[like.dtype] = np.empty(like.size, like.dtype)
                self._scratch_views = {k: v for k, v in self._scratch_views.items()
                                       if k[0] != like.dtype}
            view = self._scratch_views[like.dtype, like.shape, order] = \
                buffer[:like.size].reshape(like.shape, order=order)
        return view

    # --- PyTorch names: nntrain (saving and restoring an optimizer) ---

    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state as PyTorch lays it out: ``{"state": {i: {...}},
        "param_groups": [{settings..., "params": [i, ...]}]}``, parameters numbered in
        the order of the groups. Arrays are copies, so later steps do not change it."""
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            ids = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append({**{k: v for k, v in group.items() if k != "params"}, "params": ids})
        state = {index[key]: {k: v.copy() if isinstance(v, np.ndarray) else v
                              for k, v in s.items()}
                 for key, s in self.state.items() if key in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what ``state_dict`` saved (of an optimizer of the same parameters)."""
        name = type(self).__name__
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups) or any(
                len(g["params"]) != len(mine["params"])
                for g, mine in zip(groups, self.param_groups)):
            raise ValueError(f"{name}.load_state_dict: the saved state has groups of "
                             f"{[len(g['params']) for g in groups]} parameters, this optimizer "
                             f"{[len(g['params']) for g in self.param_groups]}; load it into an "
                             "optimizer made from the same model's parameters")
        params = {}
        for saved, mine in zip(groups, self.param_groups):
            params.update(zip(saved["params"], mine["params"]))
            mine.update({k: v for k, v in saved.items() if k != "params"})
        self.state = {}
        for i, s in state_dict["state"].items():
            p = params[int(i)]
            self.state[id(p)] = {k: np.array(v, dtype=p.numpy().dtype) if isinstance(
                v, np.ndarray) else v for k, v in s.items()}

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v}" for k, v in self.param_groups[0].items() if k != "params")
        n = sum(len(g["params"]) for g in self.param_groups)
        return f"{type(self).__name__}({n} parameters, {settings})"


def check_number(name: str, key: str, value: Any) -> None:
    """A clear error for a setting that is not a real number (a string, None, a list)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isnan(value):
        hint = f" (write {key}={value.strip()} without quotes)" if isinstance(value, str) else ""
        raise TypeError(f"{name}: {key} must be a number, got {value!r} "
                        f"({type(value).__name__}){hint}")


def check_betas(name: str, group: dict[str, Any]) -> None:
    """The betas of the Adam family: two numbers in [0, 1); eps >= 0."""
    betas = group["betas"]
    for beta in betas:
        check_number(name, "betas", beta)
    if len(betas) != 2 or not all(0.0 <= b < 1.0 for b in betas):
        raise ValueError(f"{name}: betas must be two numbers in [0, 1), got {betas!r}")
    if not group["eps"] >= 0:
        raise ValueError(f"{name}: eps must be >= 0, got {group['eps']!r}")
