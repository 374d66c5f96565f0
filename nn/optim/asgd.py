"""``ASGD``: SGD that also keeps the running average of the weights."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from nn.optim.optimizer import Optimizer


class ASGD(Optimizer):
    """Averaged SGD (Polyak and Juditsky; PyTorch's rule). Plain SGD steps with a
    slowly shrinking step size eta, plus the average ``ax`` of the weights seen since
    step ``t0``, kept in ``optimizer.state[id(p)]["ax"]`` (the average is the model to
    evaluate with)::

        g = g + lambda_wd * theta
        theta = theta (1 - lambd eta) - eta g
        ax = theta (while t <= t0), else ax + mu (theta - ax)
        eta = lr / (1 + lambd lr t)^alpha,   mu = 1 / max(1, t - t0)
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, lambd: float = 1e-4,
                 alpha: float = 0.75, t0: float = 1e6, weight_decay: float = 0.0) -> None:
        super().__init__(params, {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0,
                                  "weight_decay": weight_decay})

    def _update(self, theta: np.ndarray, g: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        lr, lambd, lam, t = group["lr"], group["lambd"], group["weight_decay"], state["step"]
        if "ax" not in state:
            state.update(eta=float(np.float32(lr)), mu=1.0, ax=np.zeros_like(theta))
        if lam:
            g = g + lam * theta
        eta = state["eta"]
        theta *= 1 - lambd * eta
        theta -= eta * g
        if state["mu"] != 1:
            state["ax"] += (theta - state["ax"]) * state["mu"]
        else:
            state["ax"][...] = theta
        # eta and mu live in PyTorch as 0-d tensors of its default dtype, float32: rounded
        state["eta"] = float(np.float32(lr / ((1 + lambd * lr * t) ** group["alpha"])))
        state["mu"] = float(np.float32(1 / max(1, t - group["t0"])))
