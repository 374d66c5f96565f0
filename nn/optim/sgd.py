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

    def _update(self, theta: np.ndarray, g: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        if group["weight_decay"]:
            g = g + group["weight_decay"] * theta
        mu, dampening = group["momentum"], group["dampening"]
        if mu:
            b = state.get("momentum_buffer")
            if b is None:  # the first step: b = g, in memory of its own (as PyTorch)
                b = state["momentum_buffer"] = np.array(g, copy=True)
            else:  # b = mu * b + (1 - dampening) * g, in place: b lives across steps
                b *= mu
                b += (1 - dampening) * g if dampening else g
            g = g + mu * b if group["nesterov"] else b
        # theta = theta - lr * g, in place, with lr * g in the shared scratch buffer
        step = np.multiply(g, group["lr"], out=self._scratch(theta))
        theta -= step
