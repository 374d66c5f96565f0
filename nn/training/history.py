"""`History`: what happened during training, one number per epoch.

`fit` returns a History. Its `.history` dict holds a list per quantity, one entry
per epoch, in the spirit of Keras' `History.history`::

    {"loss": [0.69, 0.41, ...], "val_loss": [0.70, 0.45, ...],
     "accuracy": [0.55, 0.81, ...], "val_accuracy": [0.52, 0.79, ...]}

Plotting `loss` against `val_loss` is the classic way to *see* overfitting: the
training loss keeps falling while the validation loss turns around and rises.

Epochs are counted from 0 in `.epochs`, `.best_epoch` and `.stopped_epoch`, so they
index the lists directly: `h.history["val_loss"][h.best_epoch]` is the best score.
"""

from __future__ import annotations

import math
from typing import Any


class History:
    """Per-epoch record of the training and validation loss and metrics.

    Attributes:
        history: dict from a name (``"loss"``, ``"val_loss"``, ``"accuracy"``,
            ``"val_accuracy"``, ...) to a list with one float per epoch.
        epochs: the epoch numbers that ran, counted from 0: ``[0, 1, 2, ...]``.
        monitor: the quantity `best_epoch` is chosen by.
        mode: ``"min"`` or ``"max"``: whether a smaller or a larger `monitor` is better.
        stopped_epoch: the epoch at which early stopping ended training, or None if
            training ran for all the requested epochs.
        step_losses: the loss of every gradient step (one per batch, measured on
            that batch just before its update, in training mode). Full-batch
            gradient descent takes one step per epoch, mini-batch SGD many, so
            plotting these against the step number shows how the two differ.
    """

    def __init__(self, monitor: str = "loss", mode: str = "min") -> None:
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}.")
        self.history: dict[str, list[float]] = {}
        self.epochs: list[int] = []
        self.monitor = monitor
        self.mode = mode
        self.stopped_epoch: int | None = None
        self.step_losses: list[float] = []
        self._best_epoch: int | None = None  # set by fit when early stopping chose it

    def record(self, epoch: int, logs: dict[str, float]) -> None:
        """Append one epoch's numbers; every epoch must report the same names."""
        if self.epochs and set(logs) != set(self.history):
            raise ValueError(
                f"epoch {epoch} reported {sorted(logs)} but earlier epochs reported "
                f"{sorted(self.history)}; every epoch must log the same quantities."
            )
        self.epochs.append(int(epoch))
        for name, value in logs.items():
            self.history.setdefault(name, []).append(float(value))

    @property
    def best_epoch(self) -> int | None:
        """Epoch (from 0) with the best `monitor` value; None before any epoch ran.

        With early stopping this is the epoch whose weights were kept (early
        stopping's own choice, which respects its `min_delta`). Otherwise it is the
        epoch with the lowest (mode "min") or highest (mode "max") monitored value;
        NaN values never win, and ties go to the earliest epoch.
        """
        if self._best_epoch is not None:
            return self._best_epoch
        values = self.history.get(self.monitor)
        if not values:
            return None
        sign = 1.0 if self.mode == "min" else -1.0
        best_index, best_value = None, math.inf
        for index, value in enumerate(values):
            if not math.isnan(value) and sign * value < best_value:
                best_index, best_value = index, sign * value
        return None if best_index is None else self.epochs[best_index]

    def __getitem__(self, name: str) -> list[float]:
        """`h["val_loss"]` is short for `h.history["val_loss"]`."""
        return self.history[name]

    def __len__(self) -> int:
        """Number of epochs recorded."""
        return len(self.epochs)

    def __repr__(self) -> str:
        if not self.epochs:
            return "History(no epochs)"
        last = ", ".join(f"{name}={_fmt(values[-1])}" for name, values in self.history.items())
        best = self.best_epoch
        stop = "" if self.stopped_epoch is None else f", stopped_epoch={self.stopped_epoch}"
        return (f"History(epochs={len(self.epochs)}, best_epoch={best} by {self.monitor}"
                f"{stop}; last: {last})")

    def as_dict(self) -> dict[str, Any]:
        """Everything as plain Python data (for json.dump or a pandas DataFrame)."""
        return {"history": {k: list(v) for k, v in self.history.items()},
                "epochs": list(self.epochs), "monitor": self.monitor, "mode": self.mode,
                "best_epoch": self.best_epoch, "stopped_epoch": self.stopped_epoch}


def _fmt(value: float) -> str:
    return f"{value:.4g}"
