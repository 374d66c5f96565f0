"""`EarlyStopping`: stop training when the validation score stops improving.

Why: a network trained for long enough starts to memorise its training data. The
training loss keeps falling, but the loss on data it never trains on (the
validation set) reaches a minimum and then climbs again: the model is overfitting.
Early stopping watches the validation score after every epoch, remembers the
weights of the best epoch so far, and stops once the score has not improved for
`patience` epochs in a row. At the end it puts the best weights back, so the model
you get is the one from the best epoch, not the (worse) one from the last epoch.

`patience` exists because validation scores are noisy: one bad epoch does not
mean the model has started to overfit. `min_delta` ignores "improvements" so small
that they are just noise.

The validation set used here has influenced training (it chose the epoch), so its
score is slightly optimistic; report the final result on a separate test set.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

# Base names (without "val_") where a larger value is better. Everything ending in
# one of _SMALLER_IS_BETTER is a loss or an error, where smaller is better.
_LARGER_IS_BETTER = ("accuracy", "acc", "balanced_accuracy", "f1", "f1_score", "precision",
                     "recall", "r2", "r2_score", "auc", "roc_auc")
_SMALLER_IS_BETTER = ("loss", "error", "rmse", "mse", "mae")


def infer_mode(monitor: str) -> str:
    """'min' for losses and errors, 'max' for accuracy-like scores; else a ValueError."""
    base = monitor[4:] if monitor.startswith("val_") else monitor
    if base in _LARGER_IS_BETTER:
        return "max"
    if base.endswith(_SMALLER_IS_BETTER):
        return "min"
    raise ValueError(
        f"cannot tell whether a larger or a smaller {monitor!r} is better; pass "
        "mode='min' (for losses and errors) or mode='max' (for accuracy-like scores)."
    )


def snapshot_weights(model: Any) -> Any:
    """An independent copy of the model's weights (later training cannot change it).

    Uses `model.state_dict()` when the model has one (arrays copied once more, so
    the copy never shares memory with the live parameters); otherwise copies the
    `.data` of every parameter in `model.parameters()` (scalar `Value`s included).
    """
    if hasattr(model, "state_dict"):
        return {name: np.array(value, copy=True) for name, value in model.state_dict().items()}
    return [np.array(p.data, copy=True) if isinstance(p.data, np.ndarray) else p.data
            for p in model.parameters()]


def restore_weights(model: Any, snapshot: Any) -> None:
    """Put weights saved by `snapshot_weights` back into the model."""
    if isinstance(snapshot, dict):
        model.load_state_dict({name: np.array(v, copy=True) for name, v in snapshot.items()})
        return
    for p, value in zip(model.parameters(), snapshot, strict=True):
        p.data = np.array(value, copy=True) if isinstance(value, np.ndarray) else value


class EarlyStopping:
    """Stop `fit` when `monitor` has not improved for `patience` epochs; keep the best weights.

    Args:
        monitor: the quantity to watch, a key of `History.history`, usually
            ``"val_loss"`` or ``"val_accuracy"``. Watching the *training* loss is
            allowed but rarely useful: it hardly ever stops improving.
        patience: how many epochs in a row without improvement are tolerated. With
            the best epoch at b, training stops after epoch b + patience.
        min_delta: an epoch counts as an improvement only if it beats the best score
            by more than this (an absolute amount in the monitored unit).
        restore_best: at the end of training load the weights of the best epoch
            (exact copies, taken when that epoch ended). If False the model keeps
            the weights of the last epoch.
        mode: "min" (smaller is better), "max" (larger is better) or "auto", which
            picks "min" for names ending in loss/error/rmse/mse/mae and "max" for
            accuracy, f1, precision, recall, r2 and auc (with or without "val_").

    After `fit`: `best_epoch` (counted from 0), `best_score`, and `stopped_epoch`
    (the epoch at which training was stopped, or None if it used every epoch).
    One object may be reused for several fits; each fit starts it afresh.
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 10, min_delta: float = 0.0,
                 restore_best: bool = True, mode: str = "auto") -> None:
        if isinstance(patience, bool) or not isinstance(patience, (int, np.integer)):
            raise TypeError(f"patience must be a whole number of epochs, got {patience!r}.")
        if patience < 0:
            raise ValueError(f"patience={patience} must be 0 or more epochs.")
        if not min_delta >= 0:
            raise ValueError(f"min_delta={min_delta} must be 0 or more (an absolute amount).")
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}.")
        self.monitor = monitor
        self.patience = int(patience)
        self.min_delta = float(min_delta)
        self.restore_best = restore_best
        self.mode = infer_mode(monitor) if mode == "auto" else mode
        self.reset()

    def reset(self) -> None:
        """Forget everything from an earlier fit (fit calls this at its start)."""
        self.best_epoch: int | None = None
        self.best_score: float | None = None
        self.stopped_epoch: int | None = None
        self.best_weights: Any = None
        self.wait = 0  # epochs since the last improvement

    def is_improvement(self, score: float) -> bool:
        """Does `score` beat the best so far by more than `min_delta`? NaN never does."""
        if math.isnan(score):
            return False
        if self.best_score is None:
            return True
        if self.mode == "min":
            return score < self.best_score - self.min_delta
        return score > self.best_score + self.min_delta

    def update(self, epoch: int, logs: dict[str, float], model: Any) -> bool:
        """Look at one finished epoch; return True if training should stop now.

        On an improvement the model's weights are copied (if `restore_best`).
        """
        if self.monitor not in logs:
            raise KeyError(
                f"EarlyStopping monitors {self.monitor!r}, but the epoch only logged "
                f"{sorted(logs)}. Give fit validation_data or validation_split for "
                "'val_' quantities, and list the metric in fit(metrics=...)."
            )
        score = float(logs[self.monitor])
        if self.is_improvement(score):
            self.best_epoch, self.best_score, self.wait = epoch, score, 0
            if self.restore_best:
                self.best_weights = snapshot_weights(model)
            return False
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            return True
        return False

    def restore(self, model: Any) -> None:
        """Load the best epoch's weights into the model (if `restore_best` and known)."""
        if self.restore_best and self.best_weights is not None:
            restore_weights(model, self.best_weights)

    def __repr__(self) -> str:
        text = (f"EarlyStopping(monitor={self.monitor!r}, patience={self.patience}, "
                f"min_delta={self.min_delta}, restore_best={self.restore_best}, "
                f"mode={self.mode!r}")
        if self.best_epoch is not None:
            text += f"; best_epoch={self.best_epoch}, best_score={self.best_score:.4g}"
        if self.stopped_epoch is not None:
            text += f", stopped_epoch={self.stopped_epoch}"
        return text + ")"
