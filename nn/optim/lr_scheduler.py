"""Learning-rate schedulers (``torch.optim.lr_scheduler``): change lr as training goes.

    scheduler = optim.lr_scheduler.StepLR(opt, step_size=30, gamma=0.1)
    for epoch in range(100):
        train_one_epoch(...)
        scheduler.step()                 # once per epoch, after the optimizer steps

Each epoch-based scheduler is a rule ``lr(epoch) = base_lr * factor(epoch)`` (PyTorch's
values; the cosine is its closed form). ``ReduceLROnPlateau`` instead watches a number
you give it (``scheduler.step(val_loss)``) and lowers lr when it stops improving.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Iterable

from nn.optim.optimizer import Optimizer

__all__ = ["LambdaLR", "StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR",
           "ReduceLROnPlateau"]


class LambdaLR:
    """Set lr = initial_lr * lr_lambda(epoch) after every ``step()`` (call once per epoch)."""

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float]) -> None:
        self.optimizer = optimizer
        self.lr_lambda = lr_lambda
        self.base_lrs = [group["lr"] for group in optimizer.param_groups]
        self.last_epoch = 0
        self._apply()

    def _lr(self, base: float, epoch: int) -> float:
        return base * self.lr_lambda(epoch)

    def _apply(self) -> None:
        for group, base in zip(self.optimizer.param_groups, self.base_lrs):
            group["lr"] = self._lr(base, self.last_epoch)

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


class MultiStepLR(LambdaLR):
    """Multiply the learning rate by ``gamma`` at each epoch listed in ``milestones``."""

    def __init__(self, optimizer: Optimizer, milestones: Iterable[int], gamma: float = 0.1
                 ) -> None:
        points = sorted(int(m) for m in milestones)
        super().__init__(optimizer, lambda epoch: gamma ** bisect.bisect_right(points, epoch))


class ExponentialLR(LambdaLR):
    """Multiply the learning rate by ``gamma`` every epoch."""

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        super().__init__(optimizer, lambda epoch: gamma ** epoch)


class CosineAnnealingLR(LambdaLR):
    """Lower lr from its start to ``eta_min`` along half a cosine over ``T_max`` epochs:
    ``eta_min + (base - eta_min) (1 + cos(pi epoch / T_max)) / 2``."""

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:  # noqa: N803
        if T_max < 1:
            raise ValueError(f"CosineAnnealingLR: T_max must be a positive integer, got {T_max!r}")
        self.T_max, self.eta_min = int(T_max), float(eta_min)
        super().__init__(optimizer, lambda epoch: 1.0)

    def _lr(self, base: float, epoch: int) -> float:
        cosine = (1 + math.cos(math.pi * epoch / self.T_max)) / 2
        return self.eta_min + (base - self.eta_min) * cosine


class ReduceLROnPlateau:
    """Multiply lr by ``factor`` once the watched number has not improved for more than
    ``patience`` calls of ``step(number)`` (PyTorch's rule, with ``threshold``,
    ``cooldown`` and ``min_lr``). ``mode="min"`` for a loss, ``"max"`` for an accuracy."""

    def __init__(self, optimizer: Optimizer, mode: str = "min", factor: float = 0.1,
                 patience: int = 10, threshold: float = 1e-4, threshold_mode: str = "rel",
                 cooldown: int = 0, min_lr: float = 0.0, eps: float = 1e-8) -> None:
        if mode not in ("min", "max") or threshold_mode not in ("rel", "abs"):
            raise ValueError(f"ReduceLROnPlateau: mode must be 'min' or 'max' and threshold_mode "
                             f"'rel' or 'abs', got {mode!r} and {threshold_mode!r}")
        if not 0 < factor < 1:
            raise ValueError(f"ReduceLROnPlateau: factor must be in (0, 1), got {factor!r}")
        self.optimizer, self.mode, self.factor, self.patience = optimizer, mode, factor, patience
        self.threshold, self.threshold_mode, self.cooldown = threshold, threshold_mode, cooldown
        self.min_lr, self.eps = float(min_lr), eps
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = self.cooldown_counter = self.last_epoch = 0

    def _is_better(self, value: float) -> bool:
        rel = self.threshold_mode == "rel"
        if self.mode == "min":
            return value < (self.best * (1 - self.threshold) if rel else self.best - self.threshold)
        return value > (self.best * (1 + self.threshold) if rel else self.best + self.threshold)

    def step(self, metrics: float) -> None:
        """Report this epoch's number (e.g. the validation loss)."""
        value = float(metrics)
        self.last_epoch += 1
        if self._is_better(value):
            self.best, self.num_bad_epochs = value, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for group in self.optimizer.param_groups:
                new = max(group["lr"] * self.factor, self.min_lr)
                if group["lr"] - new > self.eps:
                    group["lr"] = new
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0

    def get_last_lr(self) -> list[float]:
        """The learning rate of every parameter group now."""
        return [group["lr"] for group in self.optimizer.param_groups]
