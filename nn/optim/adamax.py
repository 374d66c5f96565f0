"""``Adamax``: Adam with the infinity norm in place of the root mean square."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from nn.optim.optimizer import Optimizer, check_number


def check_betas(name: str, group: dict[str, Any]) -> None:
    """The betas of the Adam family: two numbers in [0, 1); eps >= 0."""
    betas = group["betas"]
    for beta in betas:
        check_number(name, "betas", beta)
    if len(betas) != 2 or not all(0.0 <= b < 1.0 for b in betas):
        raise ValueError(f"{name}: betas must be two numbers in [0, 1), got {betas!r}")
    if not group["eps"] >= 0:
        raise ValueError(f"{name}: eps must be >= 0, got {group['eps']!r}")


def lerp_(m: np.ndarray, g: np.ndarray, weight: float) -> None:
    """m = m + weight (g - m) in place: PyTorch's ``exp_avg.lerp_(grad, 1 - beta1)``,
    the running average, in the same rounding order (for weight >= 0.5 PyTorch
    computes g - (g - m)(1 - weight))."""
    if weight < 0.5:
        m += weight * (g - m)
    else:
        m[...] = g - (g - m) * (1 - weight)


class Adamax(Optimizer):
    """Adamax (Kingma and Ba): Adam whose per-parameter scale is a decaying maximum of
    |g| instead of a root mean square (PyTorch's rule)::

        g = g + lambda * theta                          (L2 weight decay)
        m = beta1 * m + (1 - beta1) * g
        u = max(beta2 * u, |g| + eps)
        theta = theta - lr / (1 - beta1^t) * m / u

    The maximum needs no bias correction and is never 0 (eps), so steps stay near
    ``lr`` even for rare, large gradients.
    """

    def __init__(self, params: Iterable[Any], lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps,
                                  "weight_decay": weight_decay})

    def _validate(self, group: dict[str, Any]) -> None:
        super()._validate(group)
        check_betas(type(self).__name__, group)

    def _update(self, theta: np.ndarray, g: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        lr, (beta1, beta2), lam = group["lr"], group["betas"], group["weight_decay"]
        if lam:
            g = g + lam * theta
        if "exp_avg" not in state:
            state["exp_avg"], state["exp_inf"] = np.zeros_like(theta), np.zeros_like(theta)
        m, u = state["exp_avg"], state["exp_inf"]
        lerp_(m, g, 1 - beta1)
        u *= beta2
        np.maximum(u, np.abs(g) + group["eps"], out=u)
        theta -= (lr / (1 - beta1 ** state["step"])) * (m / u)
