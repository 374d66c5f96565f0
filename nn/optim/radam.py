"""``RAdam``: Adam whose adaptive step is switched on gradually (rectified)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from nn.optim.adam import decay, lerp_, moments
from nn.optim.optimizer import Optimizer


class RAdam(Optimizer):
    """Rectified Adam (Liu et al.; PyTorch's rule). In the first steps the estimate v of
    g^2 rests on few gradients and its variance is large, which is why plain Adam
    often needs a learning-rate warm-up. RAdam measures that (rho_t, the length of
    the average) and takes plain momentum steps while rho_t <= 5::

        m = beta1 m + (1 - beta1) g,   v = beta2 v + (1 - beta2) g^2
        rho_inf = 2 / (1 - beta2) - 1,  rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)
        m_hat = m / (1 - beta1^t)
        rho_t > 5:  theta -= lr m_hat r_t sqrt(1 - beta2^t) / (sqrt(v) + eps)
        otherwise:  theta -= lr m_hat

    with r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t)).
    ``weight_decay`` as in ``NAdam`` (``decoupled_weight_decay``).
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, decoupled_weight_decay: bool = False) -> None:
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps,
                                  "weight_decay": weight_decay,
                                  "decoupled_weight_decay": bool(decoupled_weight_decay)})

    def _update(self, theta: np.ndarray, g: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        lr, (beta1, beta2), t = group["lr"], group["betas"], state["step"]
        g = decay(theta, g, group, group["decoupled_weight_decay"])
        m, v = moments(state, theta, "exp_avg", "exp_avg_sq")
        lerp_(m, g, 1 - beta1)
        v *= beta2
        v += (1 - beta2) * g * g
        correction2 = 1 - beta2**t
        m_hat = m / (1 - beta1**t)
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * t * beta2**t / correction2
        if rho_t > 5.0:
            rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                             / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            adaptive = math.sqrt(correction2) / (np.sqrt(v) + group["eps"])
            theta -= m_hat * lr * adaptive * rect
        else:
            theta -= m_hat * lr
