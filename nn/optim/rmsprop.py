"""``RMSprop`` and ``Adagrad``: a step size per parameter from its squared gradients.

Both divide each gradient by the square root of an average of its past squares, so a
parameter whose gradients are large takes smaller steps and one whose gradients are
small takes larger ones. Adagrad adds up *all* past squares (its steps only shrink);
RMSprop keeps a running average that forgets (its steps adapt both ways). Adam is
RMSprop plus momentum with bias correction.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from nn.optim.optimizer import Optimizer


class RMSprop(Optimizer):
    """RMSprop (PyTorch's rule). With v the running average of g^2::

        g = g + lambda * theta                   (L2 weight decay)
        v = alpha * v + (1 - alpha) * g^2
        d = sqrt(v) + eps     (centered: sqrt(v - mean(g)^2) + eps)
        b = mu * b + g / d;  theta = theta - lr * b      (momentum mu > 0)
        theta = theta - lr * g / d                          (otherwise)
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0,
                 centered: bool = False) -> None:
        super().__init__(params, {"lr": lr, "alpha": alpha, "eps": eps,
                                  "weight_decay": weight_decay, "momentum": momentum,
                                  "centered": centered})

    def _validate(self, group: dict[str, Any]) -> None:
        super()._validate(group)
        if not 0.0 <= group["alpha"] <= 1.0 or group["momentum"] < 0 or group["eps"] < 0:
            raise ValueError(f"RMSprop: alpha must be in [0, 1] and momentum, eps >= 0, got "
                             f"{group['alpha']!r}, {group['momentum']!r}, {group['eps']!r}")

    def _update(self, theta: np.ndarray, g: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        alpha = group["alpha"]
        if group["weight_decay"]:
            g = g + group["weight_decay"] * theta
        v = state.get("square_avg", 0.0) * alpha + (1 - alpha) * g * g  # PyTorch's order
        state["square_avg"] = v
        if group["centered"]:
            mean = state.get("grad_avg", 0.0) * alpha + (1 - alpha) * g
            state["grad_avg"] = mean
            v = v - mean * mean
        step = g / (np.sqrt(v) + group["eps"])
        if group["momentum"]:
            step = state.get("momentum_buffer", 0.0) * group["momentum"] + step
            state["momentum_buffer"] = step
        theta -= group["lr"] * step


class Adagrad(Optimizer):
    """Adagrad (PyTorch's rule). With s the sum of all past g^2::

        lr_t = lr / (1 + (t - 1) * lr_decay)
        g = g + lambda * theta;  s = s + g^2;  theta = theta - lr_t * g / (sqrt(s) + eps)
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10) -> None:
        super().__init__(params, {"lr": lr, "lr_decay": lr_decay, "weight_decay": weight_decay,
                                  "initial_accumulator_value": initial_accumulator_value,
                                  "eps": eps})

    def _update(self, theta: np.ndarray, g: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        if group["weight_decay"]:
            g = g + group["weight_decay"] * theta
        total = state.get("sum", group["initial_accumulator_value"]) + g * g
        state["sum"] = total
        lr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        theta -= lr * g / (np.sqrt(total) + group["eps"])
