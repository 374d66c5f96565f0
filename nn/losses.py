"""Loss modules, as ``torch.nn``: they keep the settings and call ``nn.functional``.

    criterion = nn.CrossEntropyLoss(weight=class_weights, label_smoothing=0.1)
    loss = criterion(model(x), y)       # same as F.cross_entropy(model(x), y, ...)

Calling a loss module is ``loss(input, target)``: prediction first, target second.
Every class takes ``reduction='mean' | 'sum' | 'none'``. The formulas (and why they
are stable) are documented on the functions in ``nn.functional``.
"""

from __future__ import annotations

from typing import Any

from nn import functional as F
from nn.module import Module

__all__ = ["MSELoss", "L1Loss", "HuberLoss", "BCELoss", "BCEWithLogitsLoss",
           "CrossEntropyLoss", "HingeLoss"]


class _Loss(Module):
    """Common part: store ``reduction`` (checked at once, not at the first call)."""

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(
                f"{type(self).__name__}: reduction must be 'mean', 'sum' or 'none', got "
                f"{reduction!r}"
            )
        self.reduction = reduction

    def extra_repr(self) -> str:
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """Mean squared error, mean((input - target)^2): the usual regression loss."""

    def forward(self, input: Any, target: Any) -> Any:
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error, mean(|input - target|): regression, robust to outliers."""

    def forward(self, input: Any, target: Any) -> Any:
        return F.l1_loss(input, target, reduction=self.reduction)


class HuberLoss(_Loss):
    """Quadratic for errors below ``delta``, linear above: MSE near, MAE far."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction)
        if not delta > 0:
            raise ValueError(f"HuberLoss: delta must be positive, got {delta!r}")
        self.delta = delta

    def forward(self, input: Any, target: Any) -> Any:
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)

    def extra_repr(self) -> str:
        return ", ".join(s for s in (f"delta={self.delta}", super().extra_repr()) if s)


class BCELoss(_Loss):
    """Binary cross-entropy on probabilities (after a sigmoid); ``weight`` per element."""

    def __init__(self, weight: Any = None, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.weight = weight

    def forward(self, input: Any, target: Any) -> Any:
        return F.binary_cross_entropy(input, target, weight=self.weight,
                                      reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy on raw scores, sigmoid built in (stable): prefer it to BCELoss.

    ``pos_weight`` (a number, or one per output) weighs the positive class, e.g.
    n_negative / n_positive for imbalanced data.
    """

    def __init__(self, weight: Any = None, reduction: str = "mean",
                 pos_weight: Any = None) -> None:
        super().__init__(reduction)
        self.weight = weight
        self.pos_weight = pos_weight

    def forward(self, input: Any, target: Any) -> Any:
        return F.binary_cross_entropy_with_logits(
            input, target, weight=self.weight, reduction=self.reduction,
            pos_weight=self.pos_weight,
        )


class CrossEntropyLoss(_Loss):
    """Multi-class cross-entropy on logits (N, C), softmax built in.

    Targets are class labels (N,) as integers, or class probabilities (N, C).
    ``weight`` (C,) weighs classes; ``label_smoothing`` in [0, 1] softens the targets.
    """

    def __init__(self, weight: Any = None, reduction: str = "mean",
                 label_smoothing: float = 0.0) -> None:
        super().__init__(reduction)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(
                f"CrossEntropyLoss: label_smoothing must be in [0, 1], got {label_smoothing!r}"
            )
        self.weight = weight
        self.label_smoothing = label_smoothing

    def forward(self, input: Any, target: Any) -> Any:
        return F.cross_entropy(input, target, weight=self.weight,
                               label_smoothing=self.label_smoothing, reduction=self.reduction)

    def extra_repr(self) -> str:
        parts = [f"label_smoothing={self.label_smoothing}"] if self.label_smoothing else []
        return ", ".join(parts + [s for s in (super().extra_repr(),) if s])


class HingeLoss(_Loss):
    """Max-margin loss mean(relu(1 - y * score)) with labels y in {-1, +1}."""

    def forward(self, input: Any, target: Any) -> Any:
        return F.hinge_loss(input, target, reduction=self.reduction)
