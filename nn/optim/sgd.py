"""``SGD``: stochastic gradient descent, with momentum, Nesterov and weight decay."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from nn.optim.optimizer import Optimizer


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
                b = np.array(g, copy=True)  # own memory, as PyTorch
            else:
                b = mu * state["momentum_buffer"] + (1 - group["dampening"]) * g
            state["momentum_buffer"] = b
            g = g + mu * b if group["nesterov"] else b
        if theta.flags.writeable and theta.ndim:
            theta -= group["lr"] * g  # in place, as PyTorch: no new array per step
            return theta
        return theta - group["lr"] * g
