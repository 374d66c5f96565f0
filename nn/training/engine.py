"""How one batch goes through a model and its loss, for either engine.

`fit` trains two kinds of model with the same loop:

* Tensor models (`nn.Linear`, `nn.Sequential`, ...): the whole batch is one
  Tensor of shape (batch, features) and one forward pass computes every output.
* Scalar models (`nn.MLP` built from `Value`s): the model takes one sample at a
  time, a list of floats. A batch forward is simply
  ``[model(list(row)) for row in X_batch]``, and the loss function receives that
  list of Values (or of lists of Values, for several outputs) and the targets as
  a list of floats. This is slow, but every number can be followed by hand.

That calling convention is the only difference, so it is all this module knows
about engines (`engine_for` is the one place that tells them apart). What a loss
*is* (its task, how outputs become predictions, its per-sample losses) the loss
says itself: see `nn.losses.describe`.

Class weights turn the batch loss into a *weighted mean* of per-sample losses::

    loss = sum_i w_i * loss_i / sum_i w_i

the same normalisation that PyTorch's `CrossEntropyLoss(weight=...)` uses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import numpy as np

from nn.losses import describe
from tinygrad_dk import Node, Tensor, Value


def loss_name(loss_fn: Any) -> str:
    """A readable name: the function's name or the loss module's class name."""
    return getattr(loss_fn, "__name__", type(loss_fn).__name__)


class TensorEngine:
    """Batches are numpy arrays wrapped in Tensors; the loss is a 1-element Tensor."""

    def __init__(self, model: Any, dtype: np.dtype) -> None:
        self.model, self.dtype = model, dtype

    def prepare(self, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Floats take the parameters' dtype (float32 data with float32 weights)."""
        if X.dtype != self.dtype:  # integer features are computed in floating point too
            X = X.astype(self.dtype)
        if y.dtype.kind == "f" and y.dtype != self.dtype:
            y = y.astype(self.dtype)
        return X, y

    def forward(self, xb: np.ndarray) -> Any:
        return self.model(Tensor(xb))

    def targets(self, yb: np.ndarray) -> Any:
        return Tensor(yb)

    def outputs(self, out: Any) -> np.ndarray:
        return np.asarray(out.numpy() if isinstance(out, Node) else out)

    def weighted_mean(self, per_sample: Any, w: np.ndarray) -> Any:
        w = w.astype(per_sample.dtype)
        return (per_sample * Tensor(w)).sum() / float(w.sum())


class ScalarEngine:
    """Samples go through the model one by one as lists of floats; the loss is a Value."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def prepare(self, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        X = X.astype(np.float64).reshape(len(X), -1)  # one list of floats per sample
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]  # one target per sample, matching a model with one output
        return X, y

    def forward(self, xb: np.ndarray) -> list[Any]:
        return [self.model(row.tolist()) for row in xb]

    def targets(self, yb: np.ndarray) -> list[Any]:
        return yb.tolist()

    def outputs(self, out: list[Any]) -> np.ndarray:
        return np.array([[v.data for v in o] if isinstance(o, (list, tuple)) else o.data
                         for o in out], dtype=np.float64)

    def weighted_mean(self, per_sample: list[Value], w: np.ndarray) -> Value:
        total = per_sample[0] * float(w[0])
        for loss, weight in zip(per_sample[1:], w[1:].tolist()):
            total = total + loss * weight
        return total / float(w.sum())


def engine_for(model: Any) -> TensorEngine | ScalarEngine:
    """ScalarEngine if the model's parameters are Values, else TensorEngine."""
    parameters = list(model.parameters()) if hasattr(model, "parameters") else []
    if not parameters:
        raise ValueError(
            f"{type(model).__name__} has no parameters (model.parameters() is empty), so "
            "there is nothing to train."
        )
    first = parameters[0]
    if not isinstance(first, Node):
        raise TypeError(
            f"{type(model).__name__}.parameters() yields {type(first).__name__}; fit "
            "trains models whose parameters are tinygrad_dk Tensors or Values."
        )
    if isinstance(first, Value):  # the one place where the two engines are told apart
        return ScalarEngine(model)
    return TensorEngine(model, first.dtype if first.dtype.kind == "f" else np.dtype(np.float32))


class Batch(NamedTuple):
    """One batch: its row indices, the model's outputs and the loss (with its graph)."""

    rows: np.ndarray
    outputs: Any
    loss: Any


class Job:
    """A model, its loss and its engine: what training and evaluation share."""

    def __init__(self, model: Any, loss_fn: Any) -> None:
        self.model, self.loss_fn = model, loss_fn
        self.loss = describe(loss_fn)  # task, predict, per_sample
        self.engine = engine_for(model)

    def batch_loss(self, out: Any, yb: np.ndarray, wb: np.ndarray | None) -> Any:
        """The batch loss as one number-node (weighted by ``wb`` if given)."""
        target = self.engine.targets(yb)
        if wb is None:
            loss = self.loss_fn(out, target)
            if not isinstance(loss, Node) or loss.numel() != 1:
                shape = getattr(loss, "shape", type(loss).__name__)
                raise TypeError(
                    f"{loss_name(self.loss_fn)} returned {shape}, not a single number; fit "
                    "needs the mean loss of the batch (reduction='mean')."
                )
            return loss
        per_sample = self.loss.per_sample(out, target)
        n = len(yb)
        if len(per_sample) != n:
            raise ValueError(
                f"{loss_name(self.loss_fn)} gave {len(per_sample)} per-sample losses for a "
                f"batch of {n}; expected one loss per sample."
            )
        return self.engine.weighted_mean(per_sample, wb)

    def batches(self, X: np.ndarray, y: np.ndarray, w: np.ndarray | None,
                batch_size: int | None, order: np.ndarray | None = None,
                before_each: Callable[[], Any] | None = None) -> Iterator[Batch]:
        """The one batch loop: rows in ``order`` (default: as they are), forward, loss.

        ``before_each`` runs before each batch's forward pass: training passes
        ``optimizer.zero_grad``, so that the step is PyTorch's zero_grad, forward, loss,
        backward, step, and the last step's gradients are freed before the forward
        pass allocates its arrays, not kept alive beside them.
        """
        n = len(X)
        step = n if batch_size is None else min(int(batch_size), n)
        for start in range(0, n, step):
            if order is None:  # rows as they are: slices are views, no copy of the data
                rows, part = np.arange(start, min(start + step, n)), slice(start, start + step)
            else:
                rows = part = order[start:start + step]
            if before_each is not None:
                before_each()
            out = self.engine.forward(X[part])
            yield Batch(rows, out, self.batch_loss(out, y[part], None if w is None else w[part]))
            del out  # the caller is done with the batch: its graph goes before the next forward


def value_of(loss: Any) -> float:
    """A loss node's number.

    ``item()``, not ``numpy()``: an array handed out of a recorded graph is watched for
    writes until backward (``tinygrad_dk.saved_data``), which costs a copy and a compare
    per batch; a Python number needs no watching.
    """
    return float(loss.item())
