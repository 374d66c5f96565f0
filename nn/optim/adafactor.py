"""``Adafactor``: Adam-like steps with a factored second moment (little memory)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from nn.optim.adam import lerp_, moments
from nn.optim.optimizer import Optimizer, check_number


class Adafactor(Optimizer):
    """Adafactor (Shazeer and Stern; PyTorch 2.5's rule, no momentum). For a matrix
    gradient (the last two axes), the running average of g^2 is kept only as its row
    means r and column means c, whose outer product r c / mean(r) estimates it:
    O(rows + cols) memory instead of O(rows * cols). Vectors keep the full average v::

        beta2_t = 1 - t^beta2_decay         (the averages forget less and less)
        rho_t = min(lr, 1 / sqrt(t)),  alpha = max(eps2, rms(theta)) * rho_t
        theta = theta (1 - lr * weight_decay)
        r, c (or v) = lerp toward mean(g^2, rows / cols) (or g^2) by 1 - beta2_t
        u = g / sqrt(max(estimate, eps1^2))
        theta = theta - alpha / max(1, rms(u) / d) * u

    The step is relative to the size of the weights (alpha) and clipped to rms d, so
    ``lr`` is an upper bound of the relative step, not a step length. eps1 None is
    the dtype's machine epsilon.
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, beta2_decay: float = -0.8,
                 eps: tuple[float | None, float] = (None, 1e-3), d: float = 1.0,
                 weight_decay: float = 0.0, *, foreach: bool | None = None,
                 maximize: bool = False) -> None:
        super().__init__(params, {"lr": lr, "beta2_decay": beta2_decay, "eps": tuple(eps),
                                  "d": d, "weight_decay": weight_decay, "foreach": foreach,
                                  "maximize": bool(maximize)})

    def _validate(self, group: dict[str, Any]) -> None:
        """PyTorch's ranges, with the setting named (eps is a pair here)."""
        eps1, eps2 = group["eps"]
        for key, value in (("lr", group["lr"]), ("beta2_decay", group["beta2_decay"]),
                           ("eps[1]", eps2), ("d", group["d"]),
                           ("weight_decay", group["weight_decay"])):
            check_number("Adafactor", key, value)
        checks = [(group["lr"] >= 0, f"learning rate lr must be >= 0, got {group['lr']}"),
                  (group["beta2_decay"] <= 0, "beta2_decay must be <= 0 (the average's "
                   f"forgetting 1 - t^beta2_decay must shrink), got {group['beta2_decay']}"),
                  (eps1 is None or eps1 >= 0, f"eps[0] must be None or >= 0, got {eps1}"),
                  (eps2 >= 0, f"eps[1] must be >= 0, got {eps2}"),
                  (group["d"] >= 1, f"the clipping threshold d must be >= 1, got {group['d']}"),
                  (group["weight_decay"] >= 0,
                   f"weight_decay must be >= 0, got {group['weight_decay']}")]
        for ok, message in checks:
            if not ok:
                raise ValueError(f"Adafactor: {message}")

    def _update(self, theta: np.ndarray, g: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        if theta.size == 0:
            return  # nothing to update (PyTorch's rms divides by the size 0 here and fails)
        lr, t = group["lr"], float(state["step"])
        eps1, eps2 = group["eps"]
        eps1 = np.finfo(theta.dtype).eps if eps1 is None else eps1
        if group["maximize"]:
            g = -g
        forget = t ** group["beta2_decay"]  # 1 - beta2_t
        rho = min(lr, 1 / t**0.5)
        alpha = max(eps2, float(np.linalg.norm(theta.ravel())) / theta.size**0.5) * rho
        if group["weight_decay"]:
            theta *= 1 - lr * group["weight_decay"]
        tmp = self._scratch(theta)  # the one temporary: g^2, then the estimate, then u
        squared = np.multiply(g, g, out=tmp)
        if g.ndim > 1:
            if "row_var" not in state:
                state["row_var"] = np.zeros(g.shape[:-1] + (1,), g.dtype)
                state["col_var"] = np.zeros(g.shape[:-2] + (1, g.shape[-1]), g.dtype)
            row, col = state["row_var"], state["col_var"]
            lerp_(row, squared.mean(axis=-1, keepdims=True), forget)
            lerp_(col, squared.mean(axis=-2, keepdims=True), forget)
            estimate = np.matmul(row, col, out=tmp)
            estimate /= np.maximum(row.mean(axis=-2, keepdims=True), eps1)
        else:
            (variance,) = moments(state, theta, "variance")
            lerp_(variance, squared, forget)
            estimate = variance  # (only read below: the clamp writes into tmp)
        update = np.sqrt(np.maximum(estimate, eps1 * eps1, out=tmp), out=tmp)
        update = np.divide(g, update, out=tmp)
        rms = float(np.linalg.norm(update.ravel())) / (update.size**0.5 * group["d"])
        update *= alpha / max(1.0, rms)
        theta -= update
