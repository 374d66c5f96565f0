"""Full-batch gradient descent vs mini-batch SGD: the same network, two ways to step.

An epoch is one pass over the training data. How many gradient steps it holds
depends on the batch size:

* full batch (`nn.fit(..., batch_size=None)`): each step uses all n training rows.
  The gradient is exact, the loss falls smoothly, but there is one step per epoch.
* mini-batch SGD (`batch_size=32`): each step uses 32 random rows. The gradient is
  a noisy estimate of the full one, but there are n/32 steps per epoch.

The two plots tell different stories:

* per epoch (the same amount of data read, about the same computation), SGD is far
  ahead: it took 14 steps for each one of full-batch descent;
* per gradient step, the two curves lie almost on top of each other: a noisy step
  computed from 32 rows is nearly as good as an exact step from all 426 rows, at
  1/13 of the cost. The jitter in SGD's curve is the price of cheap steps (and the
  noise can even help to escape poor regions).

Data: breast cancer (569 tumours, 30 measurements, malignant or benign), scaled
with a StandardScaler fitted on the training part only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

import nn
import tinygrad_dk as tg
import viz
from demos._common import print_table, save_figure
from nn import data, optim

OUTPUTS = ("full_batch_vs_sgd_epochs.png", "full_batch_vs_sgd_steps.png")


def make_model() -> nn.Module:
    return nn.Sequential(nn.Linear(30, 16), nn.ReLU(), nn.Linear(16, 1))


def train(batch_size: int | None, X: np.ndarray, y: np.ndarray, X_val: np.ndarray,
          y_val: np.ndarray, epochs: int, seed: int) -> tuple[nn.Module, Any, list[float]]:
    """Train a fresh model (same starting weights every time) and keep every loss."""
    tg.manual_seed(seed)
    model = make_model()
    history = nn.fit(model, nn.BCEWithLogitsLoss(), optim.SGD(model.parameters(), lr=0.05), X, y,
                     epochs=epochs, batch_size=batch_size, validation_data=(X_val, y_val),
                     metrics=["accuracy"], progress=False, seed=seed)
    return model, history, history.step_losses  # one loss per gradient step


def run(out_dir: Path, quick: bool, seed: int = 0) -> dict[str, Any]:
    X, y = data.load_breast_cancer()
    X_train, X_val, y_train, y_val = data.train_test_split(X, y, test_size=0.25, stratify=y,
                                                           seed=seed)
    scaler = data.StandardScaler().fit(X_train)
    X_train, X_val = scaler.transform(X_train), scaler.transform(X_val)
    # the model outputs one column (N, 1); the loss wants targets of the same shape
    y_train, y_val = y_train.reshape(-1, 1).astype(float), y_val.reshape(-1, 1).astype(float)
    epochs = 15 if quick else 40

    results, per_epoch, per_step = [], {}, {}
    for name, batch_size in (("full batch", None), ("SGD, batch 32", 32)):
        model, history, steps = train(batch_size, X_train, y_train, X_val, y_val, epochs,
                                       seed)
        per_epoch[name] = history["loss"]
        per_step[name] = steps
        results.append((name, len(steps), len(steps) // epochs, history["loss"][-1],
                        history["val_loss"][-1], history["val_accuracy"][-1]))

    print(f"Breast cancer, {len(X_train)} training rows, {epochs} epochs, SGD lr = 0.05:")
    print_table(["training", "steps", "steps/epoch", "train loss", "val loss", "val accuracy"],
                results)

    for curves, unit in ((per_epoch, "epoch"), (per_step, "gradient step")):
        fig = viz.plot_loss_curves(curves, overlay=True, xlabel=unit)
        fig.axes[0].set_title(f"training loss per {unit}")
        if unit == "gradient step":
            fig.axes[0].set_xscale("log")  # 40 full-batch steps next to 560 SGD steps
        save_figure(fig, out_dir, f"full_batch_vs_sgd_{unit.split()[-1]}s.png")
    full, sgd = results
    return {
        "full_batch_val_loss": full[4], "sgd_val_loss": sgd[4],
        "full_batch_val_accuracy": full[5], "sgd_val_accuracy": sgd[5],
    }
