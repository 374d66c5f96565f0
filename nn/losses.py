"""Loss modules, as ``torch.nn``: they keep the settings and call ``nn.functional``.

    criterion = nn.CrossEntropyLoss(weight=class_weights, label_smoothing=0.1)
    loss = criterion(model(x), y)       # same as F.cross_entropy(model(x), y, ...)

Calling a loss module is ``loss(input, target)``: prediction first, target second.
Every class takes ``reduction='mean' | 'sum' | 'none'``. The formulas (and why they
are stable) are documented on the functions in ``nn.functional``.

A loss also describes itself to the training tools (``nn.fit``, evaluation,
``cross_validate``), so they never have to guess from its name:

* ``task``: ``"classification"`` or ``"regression"``;
* ``predict(outputs)``: how the model's outputs (a numpy array) become predictions,
  e.g. the class with the largest score for cross-entropy;
* ``per_sample(input, target)``: one loss per example (what class weights need).

``describe(loss_fn)`` gives that description for a loss module, for one of the
``nn.functional`` loss functions, and, through ``FunctionLoss``, for any function
``loss_fn(outputs, targets)`` of your own.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from nn import functional as F
from nn.module import Module
from tinygrad_dk import Tensor

__all__ = ["MSELoss", "L1Loss", "HuberLoss", "BCELoss", "BCEWithLogitsLoss",
           "CrossEntropyLoss", "NLLLoss", "HingeLoss", "GaussianNLLLoss", "FunctionLoss",
           "describe"]


def _per_example(losses: Any, n: int) -> Any:
    """Per-element losses averaged over every axis but the first (the batch)."""
    if isinstance(losses, Tensor):
        return losses.reshape(n, -1).mean(axis=1) if losses.ndim > 1 else losses
    return losses  # the scalar engine: already one Value per prediction


class _Loss(Module):
    """Common part: ``reduction`` (checked at once), the description for training."""

    task = "regression"
    functional: Callable[..., Any]  # the nn.functional function this module calls

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        F.check_reduction(type(self).__name__, reduction)
        self.reduction = reduction

    def _options(self) -> dict[str, Any]:
        """Keyword arguments for ``functional`` besides ``reduction``."""
        return {}

    def forward(self, input: Any, target: Any) -> Any:
        return type(self).functional(input, target, reduction=self.reduction, **self._options())

    def per_sample(self, input: Any, target: Any) -> Any:
        """One loss per example (first axis); other axes are averaged."""
        losses = type(self).functional(input, target, reduction="none", **self._options())
        return _per_example(losses, len(target))

    def predict(self, outputs: np.ndarray) -> np.ndarray:
        """Regression: the outputs are the predictions ((N, 1) becomes (N,))."""
        outputs = np.asarray(outputs)
        return outputs[:, 0] if outputs.ndim == 2 and outputs.shape[1] == 1 else outputs

    def extra_repr(self) -> str:
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """Mean squared error, mean((input - target)^2): the usual regression loss."""

    functional = staticmethod(F.mse_loss)


class L1Loss(_Loss):
    """Mean absolute error, mean(|input - target|): regression, robust to outliers."""

    functional = staticmethod(F.l1_loss)


class HuberLoss(_Loss):
    """Quadratic for errors below ``delta``, linear above: MSE near, MAE far."""

    functional = staticmethod(F.huber_loss)

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction)
        if not delta > 0:
            raise ValueError(f"HuberLoss: delta must be positive, got {delta!r}")
        self.delta = delta

    def _options(self) -> dict[str, Any]:
        return {"delta": self.delta}

    def extra_repr(self) -> str:
        return ", ".join(s for s in (f"delta={self.delta}", super().extra_repr()) if s)


class GaussianNLLLoss(_Loss):
    """Gaussian negative log-likelihood: ``loss(mean, target, var)``, as PyTorch.

    The model predicts a mean and a variance for every target; see
    ``nn.functional.gaussian_nll_loss``. Training predicts with the means.
    """

    functional = staticmethod(F.gaussian_nll_loss)

    def __init__(self, full: bool = False, eps: float = 1e-6, reduction: str = "mean") -> None:
        super().__init__(reduction)
        if not eps > 0:
            raise ValueError(f"GaussianNLLLoss: eps must be positive, got {eps!r}")
        self.full, self.eps = bool(full), float(eps)

    def forward(self, input: Any, target: Any, var: Any) -> Any:  # type: ignore[override]
        return F.gaussian_nll_loss(input, target, var, full=self.full, eps=self.eps,
                                   reduction=self.reduction)

    def per_sample(self, input: Any, target: Any, var: Any = None) -> Any:  # type: ignore
        if var is None:
            raise TypeError("GaussianNLLLoss needs the predicted variance: "
                            "per_sample(mean, target, var)")
        losses = F.gaussian_nll_loss(input, target, var, full=self.full, eps=self.eps,
                                     reduction="none")
        return _per_example(losses, len(target))


# --- classification -------------------------------------------------------------------


class _ClassificationLoss(_Loss):
    task = "classification"
    threshold = 0.0  # one score per example: the positive class where score >= threshold
    negative = 0  # the label of the negative class

    def predict(self, outputs: np.ndarray) -> np.ndarray:
        """Several scores per example: the largest wins; one score: compare with threshold."""
        outputs = np.asarray(outputs)
        if outputs.ndim == 2 and outputs.shape[1] > 1:
            return outputs.argmax(axis=1)
        scores = outputs.reshape(len(outputs))
        return np.where(scores >= self.threshold, 1, self.negative)


class BCELoss(_ClassificationLoss):
    """Binary cross-entropy on probabilities (after a sigmoid); ``weight`` per element.

    Predicts the positive class where the probability is at least 0.5.
    """

    functional = staticmethod(F.binary_cross_entropy)
    threshold = 0.5

    def __init__(self, weight: Any = None, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.weight = weight

    def _options(self) -> dict[str, Any]:
        return {"weight": self.weight}


class BCEWithLogitsLoss(_ClassificationLoss):
    """Binary cross-entropy on raw scores, sigmoid built in (stable): prefer it to BCELoss.

    ``pos_weight`` (a number, or one per output) weighs the positive class, e.g.
    n_negative / n_positive for imbalanced data. Predicts the positive class where
    the score (logit) is at least 0, i.e. the probability at least 0.5.
    """

    functional = staticmethod(F.binary_cross_entropy_with_logits)

    def __init__(self, weight: Any = None, reduction: str = "mean",
                 pos_weight: Any = None) -> None:
        super().__init__(reduction)
        self.weight = weight
        self.pos_weight = pos_weight

    def _options(self) -> dict[str, Any]:
        return {"weight": self.weight, "pos_weight": self.pos_weight}


class CrossEntropyLoss(_ClassificationLoss):
    """Multi-class cross-entropy on logits (N, C), softmax built in.

    Targets are class labels (N,) as integers, or class probabilities (N, C).
    ``weight`` (C,) weighs classes; ``label_smoothing`` in [0, 1] softens the targets.
    Predicts the class with the largest score.
    """

    functional = staticmethod(F.cross_entropy)

    def __init__(self, weight: Any = None, reduction: str = "mean",
                 label_smoothing: float = 0.0) -> None:
        super().__init__(reduction)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(
                f"CrossEntropyLoss: label_smoothing must be in [0, 1], got {label_smoothing!r}"
            )
        self.weight = weight
        self.label_smoothing = label_smoothing

    def _options(self) -> dict[str, Any]:
        return {"weight": self.weight, "label_smoothing": self.label_smoothing}

    def extra_repr(self) -> str:
        parts = [f"label_smoothing={self.label_smoothing}"] if self.label_smoothing else []
        return ", ".join(parts + [s for s in (super().extra_repr(),) if s])


class NLLLoss(_ClassificationLoss):
    """Negative log-likelihood on log-probabilities (N, C), e.g. after ``nn.LogSoftmax(dim=1)``,
    against class labels (N,); ``weight`` (C,) weighs classes. Predicts the most likely class.
    """

    functional = staticmethod(F.nll_loss)

    def __init__(self, weight: Any = None, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.weight = weight

    def _options(self) -> dict[str, Any]:
        return {"weight": self.weight}


class HingeLoss(_ClassificationLoss):
    """Max-margin loss mean(relu(1 - y * score)) with labels y in {-1, +1}.

    Predicts +1 where the score is at least 0, else -1.
    """

    functional = staticmethod(F.hinge_loss)
    negative = -1


# --- describing any loss to the training tools -----------------------------------------


class FunctionLoss:
    """The description of a plain function ``loss_fn(outputs, targets)`` (the fallback).

    Nothing is known about such a function, so it is treated as a regression loss:
    the outputs are the predictions (pass ``predict=`` to ``fit`` for anything else).
    Per-example losses (for class weights) come from ``loss_fn(..., reduction="none")``
    when the function takes a ``reduction`` argument.
    """

    task = "regression"

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn

    def __call__(self, input: Any, target: Any) -> Any:
        return self.fn(input, target)

    def predict(self, outputs: np.ndarray) -> np.ndarray:
        return _Loss.predict(self, outputs)  # type: ignore[arg-type]

    def per_sample(self, input: Any, target: Any) -> Any:
        try:
            parameters = inspect.signature(self.fn).parameters
        except (TypeError, ValueError):
            parameters = {}
        if "reduction" in parameters or any(
                p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
            return _per_example(self.fn(input, target, reduction="none"), len(target))
        raise TypeError(
            f"class_weight needs the loss of every sample separately, but "
            f"{getattr(self.fn, '__name__', self.fn)!r} has no reduction= argument. Use a loss "
            "from nn (e.g. nn.CrossEntropyLoss()) or give your function a reduction='none' "
            "option."
        )


# Each nn.functional loss stands for its module with default settings.
_FUNCTIONS = {cls.functional: cls for cls in (MSELoss, L1Loss, HuberLoss, BCELoss,
                                               BCEWithLogitsLoss, CrossEntropyLoss, HingeLoss)}


def describe(loss_fn: Any) -> Any:
    """What the training tools need to know about ``loss_fn`` (see the module docstring)."""
    if isinstance(loss_fn, (_Loss, FunctionLoss)):
        return loss_fn
    if loss_fn in _FUNCTIONS:
        return _FUNCTIONS[loss_fn]()
    if not callable(loss_fn):
        raise TypeError(f"the loss must be callable as loss(outputs, targets), e.g. "
                        f"nn.MSELoss(); got {type(loss_fn).__name__}")
    return FunctionLoss(loss_fn)
