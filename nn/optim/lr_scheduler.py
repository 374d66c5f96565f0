"""Learning-rate schedulers (``torch.optim.lr_scheduler``): change lr as training goes.

    scheduler = optim.lr_scheduler.StepLR(opt, step_size=30, gamma=0.1)
    for epoch in range(100):
        train_one_epoch(...)
        scheduler.step()                 # once per epoch, after the optimizer steps
"""

from __future__ import annotations

from collections.abc import Callable

from nn.optim.optimizer import Optimizer

__all__ = ["LambdaLR", "StepLR"]


class LambdaLR:
    """Set lr = initial_lr * lr_lambda(epoch) after every ``step()`` (call once per epoch)."""

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float]) -> None:
        self.optimizer = optimizer
        self.lr_lambda = lr_lambda
        self.base_lrs = [group["lr"] for group in optimizer.param_groups]
        self.last_epoch = 0
        self._apply()

    def _apply(self) -> None:
        for group, base in zip(self.optimizer.param_groups, self.base_lrs):
            group["lr"] = base * self.lr_lambda(self.last_epoch)

    def step(self) -> None:
        """Move to the next epoch and set its learning rate."""
        self.last_epoch += 1
        self._apply()

    def get_last_lr(self) -> list[float]:
        """The learning rate of every parameter group now."""
        return [group["lr"] for group in self.optimizer.param_groups]


class StepLR(LambdaLR):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        if step_size < 1:
            raise ValueError(f"StepLR: step_size must be a positive integer, got {step_size!r}")
        super().__init__(optimizer, lambda epoch: gamma ** (epoch // step_size))
