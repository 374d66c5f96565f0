"""``Adamax``: Adam with the infinity norm in place of the root mean square."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from nn.optim.adam import decay, lerp_, moments
from nn.optim.optimizer import Optimizer


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

    def _update(self, theta: np.ndarray, g: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        lr, (beta1, beta2) = group["lr"], group["betas"]
        g = decay(theta, g, group, decoupled=False)
        m, u = moments(state, theta, "exp_avg", "exp_inf")
        lerp_(m, g, 1 - beta1)
        u *= beta2
        np.maximum(u, np.abs(g) + group["eps"], out=u)
        theta -= (lr / (1 - beta1 ** state["step"])) * (m / u)
