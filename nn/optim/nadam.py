"""``NAdam``: Adam with Nesterov momentum."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from nn.optim.adam import decay, lerp_, moments
from nn.optim.optimizer import Optimizer


class NAdam(Optimizer):
    """NAdam (Dozat): Adam that looks one step ahead with its momentum, as Nesterov's
    SGD does (PyTorch's rule, with its momentum schedule)::

        mu_t = beta1 (1 - 0.5 * 0.96^(t * momentum_decay))      (momentum warms up)
        m = beta1 m + (1 - beta1) g,   v = beta2 v + (1 - beta2) g^2
        d = sqrt(v / (1 - beta2^t)) + eps
        theta -= lr (1 - mu_t) / (1 - prod_{i<=t} mu_i) * g / d
        theta -= lr mu_{t+1} / (1 - prod_{i<=t+1} mu_i) * m / d

    ``weight_decay`` adds lambda * theta to g (or, with ``decoupled_weight_decay=True``,
    shrinks theta by lr * lambda first, as AdamW).
    """

    def __init__(self, params: Iterable[Any], lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False) -> None:
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps,
                                  "weight_decay": weight_decay, "momentum_decay": momentum_decay,
                                  "decoupled_weight_decay": bool(decoupled_weight_decay)})

    def _validate(self, group: dict[str, Any]) -> None:
        super()._validate(group)
        if not group["momentum_decay"] >= 0:
            raise ValueError(f"NAdam: momentum_decay must be >= 0, got "
                             f"{group['momentum_decay']!r}")

    def _update(self, theta: np.ndarray, g: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        lr, (beta1, beta2) = group["lr"], group["betas"]
        t, psi = state["step"], group["momentum_decay"]
        g = decay(theta, g, group, group["decoupled_weight_decay"])
        m, v = moments(state, theta, "exp_avg", "exp_avg_sq")
        state.setdefault("mu_product", 1.0)
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * psi))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
        # PyTorch keeps the product of the mu's as a 0-d tensor of its default dtype,
        # float32, so the product is rounded to float32 at every step; so is it here
        mu_product = state["mu_product"] = float(np.float32(state["mu_product"]) * np.float32(mu))
        lerp_(m, g, 1 - beta1)
        v *= beta2
        v += (1 - beta2) * g * g
        denom = np.sqrt(v / (1 - beta2**t)) + group["eps"]
        theta += (-lr * (1.0 - mu) / (1.0 - mu_product)) * (g / denom)
        theta += (-lr * mu_next / (1.0 - mu_product * mu_next)) * (m / denom)
