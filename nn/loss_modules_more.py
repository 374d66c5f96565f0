"""The loss modules of ``nn.functional_more``'s losses, as ``torch.nn``:
``TripletMarginWithDistanceLoss`` and ``MultiLabelMarginLoss``.

    criterion = nn.TripletMarginWithDistanceLoss(
        distance_function=lambda a, b: 1 - F.cosine_similarity(a, b), margin=0.5)
    loss = criterion(anchor, positive, negative)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nn.functional_more import multilabel_margin_loss, triplet_margin_with_distance_loss
from nn.losses import _ClassificationLoss, _Loss
from nn.losses_extra import check_legacy

__all__ = ["TripletMarginWithDistanceLoss", "MultiLabelMarginLoss"]


class TripletMarginWithDistanceLoss(_Loss):
    """max(d(a, pos) - d(a, neg) + margin, 0) for a ``distance_function`` of your choice
    (default: the Euclidean ``pairwise_distance``), called as ``loss(anchor, positive,
    negative)``; ``swap`` uses the harder of d(a, neg) and d(pos, neg)."""

    functional = staticmethod(triplet_margin_with_distance_loss)

    def __init__(self, *, distance_function: Any = None, margin: float = 1.0,
                 swap: bool = False, reduction: str = "mean") -> None:
        super().__init__(reduction)
        if not margin > 0:
            raise ValueError(f"TripletMarginWithDistanceLoss: margin must be > 0, got "
                             f"{margin!r}")
        self.distance_function, self.margin, self.swap = distance_function, margin, bool(swap)

    def forward(self, anchor: Any, positive: Any, negative: Any) -> Any:  # type: ignore[override]
        return triplet_margin_with_distance_loss(
            anchor, positive, negative, distance_function=self.distance_function,
            margin=self.margin, swap=self.swap, reduction=self.reduction)


class MultiLabelMarginLoss(_ClassificationLoss):
    """The multi-label hinge loss on scores (N, C), the true classes of each example
    listed first in ``target`` (N, C) and padded with -1 (``[2, 0, -1, -1]``)."""

    functional = staticmethod(multilabel_margin_loss)

    def __init__(self, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:
        super().__init__(reduction)
        check_legacy(type(self).__name__, size_average, reduce)

    def predict(self, outputs: np.ndarray) -> np.ndarray:
        """The class with the largest score (the loss ranks true classes above the others,
        with no fixed threshold, so the top class is the one certain answer)."""
        return np.asarray(outputs).argmax(axis=-1)
