"""Optimizers: turn gradients into parameter updates, with PyTorch's exact rules.

    opt = optim.Adam(model.parameters(), lr=1e-3)
    for x, y in loader:
        opt.zero_grad()                  # gradients accumulate, so clear them first
        loss = F.mse_loss(model(x), y)
        loss.backward()
        opt.step()                       # update every parameter in place

They work on Tensor parameters (``p.data`` an array, ``p.grad`` a Tensor or None;
parameters without a gradient are skipped) and on scalar ``Value`` parameters
(``p.data`` and ``p.grad`` floats) alike: the update formulas below are written
once and run on numpy arrays or Python floats.

The learning rate can change during training: ``opt.lr = 0.01`` or, as in PyTorch,
``opt.param_groups[0]["lr"] = 0.01`` (what schedulers such as ``StepLR`` do).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from tinygrad_dk import Tensor, Value

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "StepLR", "LambdaLR"]


def _grad_of(p: Any) -> Any:
    """The gradient as an array or float, or None when there is none."""
    if isinstance(p, Value):
        return p.grad
    g = p.grad
    return None if g is None else np.asarray(g.data)


def _write(p: Any, new: Any) -> None:
    """Store the updated value in place, keeping the parameter's dtype."""
    if isinstance(p, Value):
        p.data = float(new)
    else:
        p.data = np.asarray(new, dtype=p.data.dtype)


class Optimizer:
    """Base class: holds ``param_groups`` and per-parameter ``state``.

    ``params`` is an iterable of parameters, or (as PyTorch) of dicts
    ``{"params": [...], "lr": ...}`` giving some parameters their own settings.
    """

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        name = type(self).__name__
        if isinstance(params, (Tensor, Value)):
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
            group = {**defaults, **group, "params": list(group["params"])}
            self._validate(group)
            for p in group["params"]:
                if not isinstance(p, (Tensor, Value)):
                    raise TypeError(
                        f"{name}: parameters must be Tensors or Values, got {type(p).__name__}"
                    )
            self.param_groups.append(group)
        self.state: dict[int, dict[str, Any]] = {}  # by id(p): momentum buffers, moments

    def _validate(self, group: dict[str, Any]) -> None:
        name = type(self).__name__
        if not group["lr"] >= 0:
            raise ValueError(f"{name}: learning rate lr must be >= 0, got {group['lr']!r}")
        if group.get("weight_decay", 0) < 0:
            raise ValueError(f"{name}: weight_decay must be >= 0, got {group['weight_decay']!r}")

    @property
    def lr(self) -> float:
        """The learning rate (of the first group); setting it changes every group."""
        return self.param_groups[0]["lr"]

    @lr.setter
    def lr(self, value: float) -> None:
        if not value >= 0:
            raise ValueError(f"{type(self).__name__}: learning rate lr must be >= 0, got {value!r}")
        for group in self.param_groups:
            group["lr"] = value

    def zero_grad(self) -> None:
        """Clear the gradients: Tensors get ``grad = None`` (as PyTorch), Values 0.0."""
        for group in self.param_groups:
            for p in group["params"]:
                p.grad = 0.0 if isinstance(p, Value) else None

    def step(self) -> None:
        """Update every parameter that has a gradient, once."""
        for group in self.param_groups:
            for p in group["params"]:
                g = _grad_of(p)
                if g is None:
                    continue
                state = self.state.setdefault(id(p), {"step": 0})
                state["step"] += 1
                _write(p, self._update(p.data, g, state, group))

    def _update(self, theta: Any, g: Any, state: dict[str, Any], group: dict[str, Any]) -> Any:
        raise NotImplementedError

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v}" for k, v in self.param_groups[0].items() if k != "params")
        n = sum(len(g["params"]) for g in self.param_groups)
        return f"{type(self).__name__}({n} parameters, {settings})"


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum (PyTorch's rule).

    With g the gradient, lambda = weight_decay, mu = momentum, tau = dampening::

        g = g + lambda * theta                 (L2 weight decay)
        b = g at the first step, then mu * b + (1 - tau) * g
        g = g + mu * b  (nesterov)   or   g = b
        theta = theta - lr * g

    Momentum keeps a running direction b, which smooths noisy gradients and speeds
    up travel along long shallow valleys; Nesterov looks one step ahead.
    """

    def __init__(self, params: Iterable[Any], lr: float, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0,
                 nesterov: bool = False) -> None:
        super().__init__(params, {"lr": lr, "momentum": momentum, "dampening": dampening,
                                  "weight_decay": weight_decay, "nesterov": nesterov})

    def _validate(self, group: dict[str, Any]) -> None:
        super()._validate(group)
        if group["momentum"] < 0:
            raise ValueError(f"SGD: momentum must be >= 0, got {group['momentum']!r}")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("SGD: nesterov=True needs momentum > 0 and dampening = 0")

    def _update(self, theta: Any, g: Any, state: dict[str, Any], group: dict[str, Any]) -> Any:
        if group["weight_decay"]:
            g = g + group["weight_decay"] * theta
        mu = group["momentum"]
        if mu:
            if "momentum_buffer" not in state:
                b = g.copy() if isinstance(g, np.ndarray) else g  # own memory, as PyTorch
            else:
                b = mu * state["momentum_buffer"] + (1 - group["dampening"]) * g
            state["momentum_buffer"] = b
            g = g + mu * b if group["nesterov"] else b
        if isinstance(theta, np.ndarray) and theta.flags.writeable:
            theta -= group["lr"] * g  # in place, as PyTorch: no new array per step
            return theta
        return theta - group["lr"] * g


class Adam(Optimizer):
    """Adam: momentum plus a per-parameter step size (PyTorch's rule).

    With t the step number, m and v running averages of g and g^2::

        g = g + lambda * theta                          (L2 weight decay)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g^2
        theta = theta - lr * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)

    Dividing by sqrt(v) gives every parameter a step of about ``lr`` whatever the
    scale of its gradient. The (1 - beta^t) factors correct m and v, which start
    at 0 and would otherwise be too small in the first steps.
    """

    _decoupled = False

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps,
                                  "weight_decay": weight_decay})

    def _validate(self, group: dict[str, Any]) -> None:
        super()._validate(group)
        name = type(self).__name__
        betas = group["betas"]
        if len(betas) != 2 or not all(0.0 <= b < 1.0 for b in betas):
            raise ValueError(f"{name}: betas must be two numbers in [0, 1), got {betas!r}")
        if not group["eps"] >= 0:
            raise ValueError(f"{name}: eps must be >= 0, got {group['eps']!r}")

    def _update(self, theta: Any, g: Any, state: dict[str, Any], group: dict[str, Any]) -> Any:
        lr, (beta1, beta2), lam = group["lr"], group["betas"], group["weight_decay"]
        if lam and self._decoupled:
            theta = theta * (1 - lr * lam)  # AdamW: shrink the weights directly
        elif lam:
            g = g + lam * theta  # Adam: weight decay as part of the gradient
        t = state["step"]
        m = state.get("exp_avg", 0.0) * beta1 + (1 - beta1) * g
        v = state.get("exp_avg_sq", 0.0) * beta2 + (1 - beta2) * (g * g)
        state["exp_avg"], state["exp_avg_sq"] = m, v
        step_size = lr / (1 - beta1**t)
        denom = np.sqrt(v) / math.sqrt(1 - beta2**t) + group["eps"]
        return theta - step_size * (m / denom)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter; PyTorch's rule).

    Instead of adding lambda * theta to the gradient (where Adam's scaling would
    weaken it for parameters with large gradients), each step first shrinks the
    weights directly: theta = theta - lr * lambda * theta, then takes the Adam step.
    """

    _decoupled = True

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.01) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)


# --- learning-rate schedulers -------------------------------------------------------------


class LambdaLR:
    """Set lr = initial_lr * lr_lambda(epoch) after every ``step()`` (call once per epoch)."""

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float]) -> None:
        self.optimizer = optimizer
        self.lr_lambda = lr_lambda
        self.base_lrs = [group["lr"] for group in optimizer.param_groups]
        self.last_epoch = 0
        self._apply()

    def _apply(self) -> None:
        for group, base in zip(self.optimizer.param_groups, self.base_lrs):
            group["lr"] = base * self.lr_lambda(self.last_epoch)

    def step(self) -> None:
        """Move to the next epoch and set its learning rate."""
        self.last_epoch += 1
        self._apply()

    def get_last_lr(self) -> list[float]:
        """The learning rate of every parameter group now."""
        return [group["lr"] for group in self.optimizer.param_groups]


class StepLR(LambdaLR):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        if step_size < 1:
            raise ValueError(f"StepLR: step_size must be a positive integer, got {step_size!r}")
        super().__init__(optimizer, lambda epoch: gamma ** (epoch // step_size))
