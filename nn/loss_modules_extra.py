"""The loss modules of ``nn.losses_extra``'s functions, as ``torch.nn``: they keep the
settings (``beta``, ``margin``, ``weight``, ...) and call the function.

    criterion = nn.TripletMarginLoss(margin=0.5)
    loss = criterion(anchor, positive, negative)

Like the classic losses (``nn.losses``) each one describes itself to the training tools
(``task``, ``predict``, ``per_sample``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nn.losses import _ClassificationLoss, _Loss
from nn.losses_extra import (
    check_legacy,
    cosine_embedding_loss,
    hinge_embedding_loss,
    kl_div,
    margin_ranking_loss,
    multi_margin_loss,
    multilabel_soft_margin_loss,
    poisson_nll_loss,
    smooth_l1_loss,
    soft_margin_loss,
    triplet_margin_loss,
)

__all__ = ["SmoothL1Loss", "KLDivLoss", "PoissonNLLLoss", "MarginRankingLoss",
           "HingeEmbeddingLoss", "SoftMarginLoss", "MultiLabelSoftMarginLoss", "MultiMarginLoss",
           "TripletMarginLoss", "CosineEmbeddingLoss"]


class SmoothL1Loss(_Loss):
    """0.5 d^2 / beta for |d| < beta, |d| - 0.5 beta beyond: L1 with a rounded corner."""

    functional = staticmethod(smooth_l1_loss)

    def __init__(self, size_average: Any = None, reduce: Any = None, reduction: str = "mean",
                 beta: float = 1.0) -> None:
        super().__init__(reduction)
        check_legacy(type(self).__name__, size_average, reduce)
        if not beta >= 0:
            raise ValueError(f"SmoothL1Loss: beta must be >= 0, got {beta!r}")
        self.beta = beta

    def _options(self) -> dict[str, Any]:
        return {"beta": self.beta}


class PoissonNLLLoss(_Loss):
    """Poisson negative log-likelihood of counts (``log_input``, ``full``, ``eps``)."""

    functional = staticmethod(poisson_nll_loss)

    def __init__(self, log_input: bool = True, full: bool = False, size_average: Any = None,
                 eps: float = 1e-8, reduce: Any = None, reduction: str = "mean") -> None:
        super().__init__(reduction)
        check_legacy(type(self).__name__, size_average, reduce)
        self.log_input, self.full, self.eps = bool(log_input), bool(full), float(eps)

    def _options(self) -> dict[str, Any]:
        return {"log_input": self.log_input, "full": self.full, "eps": self.eps}


class KLDivLoss(_Loss):
    """KL divergence of target probabilities from log-probabilities (``log_target``);
    ``reduction='batchmean'`` gives the KL divergence per example."""

    functional = staticmethod(kl_div)

    def __init__(self, size_average: Any = None, reduce: Any = None, reduction: str = "mean",
                 log_target: bool = False) -> None:
        check_legacy("KLDivLoss", size_average, reduce)
        if reduction != "batchmean":
            super().__init__(reduction)
        else:  # the one loss with a fourth reduction
            super().__init__("mean")
            self.reduction = reduction
        self.log_target = bool(log_target)

    def _options(self) -> dict[str, Any]:
        return {"log_target": self.log_target}


class _PairLoss(_Loss):
    """Losses called as ``loss(input1, input2, target)`` with a ``margin``."""

    def __init__(self, margin: float = 0.0, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:
        super().__init__(reduction)
        check_legacy(type(self).__name__, size_average, reduce)
        self.margin = float(margin)

    def forward(self, input1: Any, input2: Any, target: Any) -> Any:  # type: ignore[override]
        return type(self).functional(input1, input2, target, margin=self.margin,
                                     reduction=self.reduction)


class MarginRankingLoss(_PairLoss):
    """max(0, -y (x1 - x2) + margin), called as ``loss(x1, x2, y)`` with y = -1/+1."""

    functional = staticmethod(margin_ranking_loss)


class CosineEmbeddingLoss(_PairLoss):
    """1 - cos(x1, x2) for y = +1, max(0, cos(x1, x2) - margin) for y = -1; called as
    ``loss(x1, x2, y)``."""

    functional = staticmethod(cosine_embedding_loss)


class HingeEmbeddingLoss(_Loss):
    """x for y = +1, max(0, margin - x) for y = -1 (x usually a distance)."""

    functional = staticmethod(hinge_embedding_loss)

    def __init__(self, margin: float = 1.0, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:
        super().__init__(reduction)
        check_legacy(type(self).__name__, size_average, reduce)
        self.margin = float(margin)

    def _options(self) -> dict[str, Any]:
        return {"margin": self.margin}


class SoftMarginLoss(_ClassificationLoss):
    """log(1 + exp(-y x)) for labels -1/+1. Predicts +1 where the score is >= 0, else -1."""

    functional = staticmethod(soft_margin_loss)
    negative = -1

    def __init__(self, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:
        super().__init__(reduction)
        check_legacy(type(self).__name__, size_average, reduce)


class MultiLabelSoftMarginLoss(_ClassificationLoss):
    """Per-label binary cross-entropy on logits (N, C) against 0/1 targets (N, C),
    averaged over the labels; ``weight`` (C,) weighs the labels."""

    functional = staticmethod(multilabel_soft_margin_loss)

    def __init__(self, weight: Any = None, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:
        super().__init__(reduction)
        check_legacy(type(self).__name__, size_average, reduce)
        self.weight = weight

    def _options(self) -> dict[str, Any]:
        return {"weight": self.weight}

    def predict(self, outputs: np.ndarray) -> np.ndarray:
        """Every label whose score is >= 0 (probability >= 0.5)."""
        return (np.asarray(outputs) >= 0).astype(np.int64)


class MultiMarginLoss(_ClassificationLoss):
    """The multi-class hinge loss on scores (N, C) with labels (N,) (``p``, ``margin``,
    ``weight``). Predicts the class with the largest score."""

    functional = staticmethod(multi_margin_loss)

    def __init__(self, p: int = 1, margin: float = 1.0, weight: Any = None,
                 size_average: Any = None, reduce: Any = None, reduction: str = "mean") -> None:
        super().__init__(reduction)
        check_legacy(type(self).__name__, size_average, reduce)
        if p not in (1, 2):
            raise ValueError(f"MultiMarginLoss: only p = 1 and p = 2 are supported, got {p!r}")
        self.p, self.margin, self.weight = p, float(margin), weight

    def _options(self) -> dict[str, Any]:
        return {"p": self.p, "margin": self.margin, "weight": self.weight}


class TripletMarginLoss(_Loss):
    """max(d(a, pos) - d(a, neg) + margin, 0), called as ``loss(anchor, positive,
    negative)`` (``margin``, ``p``, ``eps``, ``swap``)."""

    functional = staticmethod(triplet_margin_loss)

    def __init__(self, margin: float = 1.0, p: float = 2.0, eps: float = 1e-6,
                 swap: bool = False, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:
        super().__init__(reduction)
        check_legacy(type(self).__name__, size_average, reduce)
        if not margin > 0:
            raise ValueError(f"TripletMarginLoss: margin must be > 0, got {margin!r}")
        self.margin, self.p, self.eps, self.swap = float(margin), p, float(eps), bool(swap)

    def forward(self, anchor: Any, positive: Any, negative: Any) -> Any:  # type: ignore[override]
        return triplet_margin_loss(anchor, positive, negative, margin=self.margin, p=self.p,
                                   eps=self.eps, swap=self.swap, reduction=self.reduction)
