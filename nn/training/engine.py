"""How one batch goes through a model: forward pass and loss, for either engine.

`fit` trains two kinds of model with the same loop:

* Tensor models (`nn.Linear`, `nn.Sequential`, ...): the whole batch is one
  Tensor of shape (batch, features) and one forward pass computes every output.
* Scalar models (`nn.MLP` built from `Value`s): the model takes one sample at a
  time, a list of floats. A batch forward is simply
  ``[model(list(row)) for row in X_batch]``, and the loss function receives that
  list of Values (or of lists of Values, for several outputs) and the targets as
  a list of floats. This is slow, but every number can be followed by hand.

Class weights turn the batch loss into a *weighted mean* of per-sample losses::

    loss = sum_i w_i * loss_i / sum_i w_i

the same normalisation that PyTorch's `CrossEntropyLoss(weight=...)` uses. For
Tensor models the per-sample losses come from the loss with reduction='none';
for scalar models from calling the loss on one sample at a time.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from tinygrad_dk import Tensor, Value


def loss_name(loss_fn: Any) -> str:
    """A readable name: the function's name or the loss module's class name."""
    if inspect.isfunction(loss_fn) or inspect.ismethod(loss_fn) or inspect.isbuiltin(loss_fn):
        return loss_fn.__name__
    return type(loss_fn).__name__


class TensorEngine:
    """Batches are numpy arrays wrapped in Tensors; the loss is a 1-element Tensor."""

    scalar = False

    def __init__(self, model: Any, loss_fn: Any, dtype: np.dtype) -> None:
        self.model, self.loss_fn, self.dtype = model, loss_fn, dtype

    def prepare(self, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Floats take the parameters' dtype (float32 data with float32 weights)."""
        X = X.astype(self.dtype) if X.dtype != self.dtype else X
        if y.dtype.kind == "f" and y.dtype != self.dtype:
            y = y.astype(self.dtype)
        if X.dtype.kind != "f":  # integer features: compute in floating point
            X = X.astype(self.dtype)
        return X, y

    def forward(self, xb: np.ndarray) -> Any:
        return self.model(Tensor(xb))

    def outputs(self, out: Any) -> np.ndarray:
        return np.asarray(out.data if isinstance(out, Tensor) else out)

    def loss(self, out: Any, yb: np.ndarray, wb: np.ndarray | None) -> Any:
        """The batch loss as a Tensor of one element (weighted if wb is given)."""
        target = Tensor(yb)
        if wb is None:
            loss = self.loss_fn(out, target)
            if not isinstance(loss, Tensor) or loss.size != 1:
                shape = getattr(loss, "shape", type(loss).__name__)
                raise TypeError(
                    f"{loss_name(self.loss_fn)} returned {shape}, not a single-number Tensor; "
                    "fit needs the mean loss of the batch (reduction='mean')."
                )
            return loss
        per_sample = self._per_sample_losses(out, target)
        n = len(yb)
        if per_sample.ndim == 0 or per_sample.shape[0] != n:
            raise ValueError(
                f"{loss_name(self.loss_fn)} with reduction='none' gave shape "
                f"{per_sample.shape} for a batch of {n}; expected one loss per sample."
            )
        per_sample = per_sample.reshape(n, -1).mean(axis=1)  # several outputs: mean per sample
        w = wb.astype(per_sample.dtype)
        return (per_sample * Tensor(w)).sum() / float(w.sum())

    def _per_sample_losses(self, out: Any, target: Tensor) -> Any:
        loss_fn = self.loss_fn
        if hasattr(loss_fn, "reduction"):  # a loss module: switch its reduction for a moment
            previous = loss_fn.reduction
            loss_fn.reduction = "none"
            try:
                return loss_fn(out, target)
            finally:
                loss_fn.reduction = previous
        try:
            parameters = inspect.signature(loss_fn).parameters
        except (TypeError, ValueError):
            parameters = {}
        takes_reduction = "reduction" in parameters or any(
            p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
        if takes_reduction:
            return loss_fn(out, target, reduction="none")
        raise TypeError(
            f"class_weight needs the loss of every sample separately, but "
            f"{loss_name(loss_fn)} has neither a .reduction attribute nor a reduction= "
            "argument. Use a loss from nn (e.g. nn.CrossEntropyLoss() or "
            "nn.functional.cross_entropy) or give your loss a reduction='none' option."
        )

    @staticmethod
    def value(loss: Any) -> float:
        return float(np.asarray(loss.data).reshape(-1)[0])


class ScalarEngine:
    """Samples go through the model one by one as lists of floats; the loss is a Value."""

    scalar = True

    def __init__(self, model: Any, loss_fn: Any) -> None:
        self.model, self.loss_fn = model, loss_fn

    def prepare(self, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        X = X.astype(np.float64).reshape(len(X), -1)  # one list of floats per sample
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]  # one target per sample, matching a model with one output
        return X, y

    def forward(self, xb: np.ndarray) -> list[Any]:
        return [self.model(row.tolist()) for row in xb]

    def outputs(self, out: list[Any]) -> np.ndarray:
        return np.array([[v.data for v in o] if isinstance(o, (list, tuple)) else o.data
                         for o in out], dtype=np.float64)

    def loss(self, out: list[Any], yb: np.ndarray, wb: np.ndarray | None) -> Value:
        targets = yb.tolist()
        if wb is None:
            return self._check(self.loss_fn(out, targets))
        total = sum(float(w) * self._check(self.loss_fn([o], [t]))
                    for o, t, w in zip(out, targets, wb))
        return total / float(wb.sum())

    def _check(self, loss: Any) -> Value:
        if not isinstance(loss, Value):
            raise TypeError(
                f"{loss_name(self.loss_fn)} returned {type(loss).__name__}, not a Value; for "
                "a scalar model fit needs the loss as one Value (e.g. the mean over the batch)."
            )
        return loss

    @staticmethod
    def value(loss: Value) -> float:
        return float(loss.data)


def engine_for(model: Any, loss_fn: Any) -> TensorEngine | ScalarEngine:
    """ScalarEngine if the model's parameters are Values, else TensorEngine."""
    parameters = list(model.parameters()) if hasattr(model, "parameters") else []
    if not parameters:
        raise ValueError(
            f"{type(model).__name__} has no parameters (model.parameters() is empty), so "
            "there is nothing to train."
        )
    if isinstance(parameters[0], Value):
        return ScalarEngine(model, loss_fn)
    if isinstance(parameters[0], Tensor):
        dtype = parameters[0].dtype if parameters[0].dtype.kind == "f" else np.dtype(np.float32)
        return TensorEngine(model, loss_fn, dtype)
    raise TypeError(
        f"{type(model).__name__}.parameters() yields {type(parameters[0]).__name__}; fit "
        "trains models whose parameters are tinygrad_dk Tensors or Values."
    )
