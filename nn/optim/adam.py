"""``Adam`` and ``AdamW``: momentum plus a step size per parameter."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from nn.optim.optimizer import Optimizer


def decay(theta: np.ndarray, g: np.ndarray, group: dict[str, Any],
          decoupled: bool) -> np.ndarray:
    """Weight decay in the Adam family; returns the gradient to use.

    Plain (Adam): lambda * theta joins the gradient (L2), so Adam's scaling weakens it
    for parameters with large gradients. Decoupled (AdamW, and NAdam or RAdam with
    ``decoupled_weight_decay=True``): the weights shrink directly, by lr * lambda.
    """
    lam = group["weight_decay"]
    if lam and decoupled:
        theta *= 1 - group["lr"] * lam
    elif lam:
        g = g + lam * theta
    return g


def moments(state: dict[str, Any], theta: np.ndarray, *names: str) -> list[np.ndarray]:
    """The running averages kept in ``state`` under ``names``: zeros at the first step,
    then updated in place, step after step."""
    for name in names:
        if name not in state:
            state[name] = np.zeros_like(theta)
    return [state[name] for name in names]


def lerp_(m: np.ndarray, g: np.ndarray, weight: float) -> None:
    """m = m + weight (g - m) in place: PyTorch's ``exp_avg.lerp_(grad, 1 - beta1)``,
    the running average, in the same rounding order (for weight >= 0.5 PyTorch
    computes g - (g - m)(1 - weight))."""
    if weight < 0.5:
        m += weight * (g - m)
    else:
        m[...] = g - (g - m) * (1 - weight)


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

    def _update(self, theta: np.ndarray, g: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        lr, (beta1, beta2) = group["lr"], group["betas"]
        g = decay(theta, g, group, self._decoupled)
        m, v = moments(state, theta, "exp_avg", "exp_avg_sq")
        t = state["step"]
        tmp = self._scratch(theta)  # the one temporary, reused by every parameter
        # m = beta1 m + (1 - beta1) g
        m *= beta1
        m += np.multiply(g, 1 - beta1, out=tmp)
        # v = beta2 v + (1 - beta2) g g, multiplied in PyTorch's order
        v *= beta2
        np.multiply(g, 1 - beta2, out=tmp)
        v += np.multiply(tmp, g, out=tmp)
        # theta = theta - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
        denom = np.sqrt(v, out=tmp)
        denom /= math.sqrt(1 - beta2**t)
        denom += group["eps"]
        step = np.divide(m, denom, out=tmp)
        step *= lr / (1 - beta1**t)
        theta -= step


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
