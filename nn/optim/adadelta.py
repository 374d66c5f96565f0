"""``Adadelta``: steps whose size comes from the past steps themselves."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from nn.optim.optimizer import Optimizer


class Adadelta(Optimizer):
    """Adadelta (Zeiler; PyTorch's rule). Two running averages, of g^2 and of the
    squared steps; their ratio gives every parameter a step in the units of the
    parameter itself, so ``lr`` = 1.0 (the default) usually works::

        g = g + lambda * theta                           (L2 weight decay)
        s = rho s + (1 - rho) g^2
        delta = sqrt(a + eps) / sqrt(s + eps) * g
        a = rho a + (1 - rho) delta^2
        theta = theta - lr * delta
    """

    def __init__(self, params: Iterable[Any], lr: float = 1.0, rho: float = 0.9,
                 eps: float = 1e-6, weight_decay: float = 0.0) -> None:
        super().__init__(params, {"lr": lr, "rho": rho, "eps": eps,
                                  "weight_decay": weight_decay})

    def _validate(self, group: dict[str, Any]) -> None:
        super()._validate(group)
        if not 0.0 <= group["rho"] <= 1.0:
            raise ValueError(f"Adadelta: rho must be in [0, 1], got {group['rho']!r}")
        if not group["eps"] >= 0:
            raise ValueError(f"Adadelta: eps must be >= 0, got {group['eps']!r}")

    def _update(self, theta: np.ndarray, g: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        rho, eps, lam = group["rho"], group["eps"], group["weight_decay"]
        if lam:
            g = g + lam * theta
        if "square_avg" not in state:
            state["square_avg"], state["acc_delta"] = np.zeros_like(theta), np.zeros_like(theta)
        s, a = state["square_avg"], state["acc_delta"]
        s *= rho
        s += (1 - rho) * g * g
        delta = np.sqrt(a + eps) / np.sqrt(s + eps) * g
        a *= rho
        a += (1 - rho) * delta * delta
        theta -= group["lr"] * delta
