"""``Rprop``: steps from the signs of the gradients alone."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from nn.optim.optimizer import Optimizer, check_number


class Rprop(Optimizer):
    """Resilient backpropagation (Riedmiller and Braun; PyTorch's rule), for full-batch
    training. Each parameter has its own step size, which grows by ``etas[1]`` while
    its gradient keeps its sign and shrinks by ``etas[0]`` when the sign flips (a
    minimum was jumped over); the size of the gradient is ignored::

        s = s * eta+ (same sign as last step), s * eta- (flipped), s (a zero)
        s = clip(s, *step_sizes)
        theta = theta - sign(g) * s       (no move, and g forgotten, after a flip)

    The step sizes start at ``lr``. (PyTorch's Rprop has no weight decay.)
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-2,
                 etas: tuple[float, float] = (0.5, 1.2),
                 step_sizes: tuple[float, float] = (1e-6, 50.0)) -> None:
        super().__init__(params, {"lr": lr, "etas": tuple(etas),
                                  "step_sizes": tuple(step_sizes)})

    def _validate(self, group: dict[str, Any]) -> None:
        super()._validate(group)
        for key in ("etas", "step_sizes"):
            for value in group[key]:
                check_number("Rprop", key, value)
        minus, plus = group["etas"]
        if not 0.0 < minus < 1.0 < plus:
            raise ValueError(f"Rprop: etas must be (eta-, eta+) with 0 < eta- < 1 < eta+, got "
                             f"{group['etas']!r}")

    def _update(self, theta: np.ndarray, g: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        minus, plus = group["etas"]
        if "prev" not in state:
            state["prev"] = np.zeros_like(theta)
            state["step_size"] = np.full_like(theta, group["lr"])
        prev, size = state["prev"], state["step_size"]
        agree = np.sign(g * prev)
        factor = np.where(agree > 0, plus, np.where(agree < 0, minus, 1.0)).astype(theta.dtype)
        size *= factor
        np.clip(size, *group["step_sizes"], out=size)
        g = np.where(agree < 0, 0, g)  # after a flip: no move now, and no flip next time
        theta -= np.sign(g) * size
        prev[...] = g
