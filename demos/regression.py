"""Regression on the diabetes data: feature scaling, outliers, and how to score a fit.

442 patients, 10 measurements each (age, sex, body-mass index, blood pressure and
six blood-serum values, unscaled), and a number to predict: how far the disease
progressed a year later (25..346). The network ends in one output with no
activation (a linear output: the target can be any number in a wide range), and
the loss measures how far off it is. Two lessons:

1. Feature scaling. The raw features live on very different scales (sex is 1 or 2,
   one serum value is in the hundreds). A weight update that suits one feature is
   far too big for another: on raw features SGD jumps wildly (the loss reaches
   10^9), kills its ReLUs and ends up no better than predicting the mean for
   everyone (R^2 near 0 or below, depending on the seed).
   A `StandardScaler` (fitted on the training rows only) gives every feature mean
   0 and standard deviation 1, and the same SGD learns.
2. MSE vs MAE with outliers. We corrupt 5% of the training targets (a typing error
   that adds 1000). MSE squares errors, so those few rows dominate its gradient and
   drag every prediction up. MAE (`nn.L1Loss`) grows only linearly with the error,
   so the outliers pull no harder than any other row: it is robust.

When the output must stay inside bounds (never negative, between 0 and 1, ...),
the output activation matters: see the `bounded_outputs` and `tanh_output` demos.

Scores on the test set, in the target's own units:

    R^2  = 1 - sum (y - y_hat)^2 / sum (y - mean y)^2   1 is perfect, 0 = predicting the mean
    RMSE = sqrt(mean (y - y_hat)^2)                     typical error, big errors weigh more
    MAE  = mean |y - y_hat|                             typical error, all errors weigh alike
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

import nn
import tinygrad_dk as tg
import viz
from demos._common import print_table, save_figure
from nn import data, metrics, optim
from tinygrad_dk import Tensor

OUTPUTS = ("regression_scaling.png",)


def make_model(output: nn.Module | None = None) -> nn.Module:
    layers = [nn.Linear(10, 16), nn.ReLU(), nn.Linear(16, 1)]
    return nn.Sequential(*layers, *([output] if output is not None else []))


def train(model: nn.Module, loss_fn: Any, X: np.ndarray, y: np.ndarray, epochs: int,
          lr: float, seed: int) -> Any:
    """Mini-batch SGD; returns the History, or None if the loss blew up to inf/NaN."""
    try:
        return nn.fit(model, loss_fn, optim.SGD(model.parameters(), lr=lr, momentum=0.9),
                      X, y.reshape(-1, 1), epochs=epochs, batch_size=32, progress=False, seed=seed)
    except FloatingPointError as err:  # nn.fit's TrainingDivergedError
        print(f"  training diverged: {str(err).splitlines()[0]}")
        return None


def predict(model: nn.Module, X: np.ndarray) -> np.ndarray:
    with tg.no_grad():
        return model(Tensor(X)).numpy().reshape(-1)


def scores(name: str, y_true: np.ndarray, y_pred: np.ndarray) -> tuple[str, float, float, float]:
    if not np.all(np.isfinite(y_pred)):
        return (name, float("nan"), float("nan"), float("nan"))
    return (name, metrics.r2_score(y_true, y_pred), metrics.rmse(y_true, y_pred),
            metrics.mean_absolute_error(y_true, y_pred))


def run(out_dir: Path, quick: bool, seed: int = 0) -> dict[str, Any]:
    X, y = data.load_diabetes()
    X_train, X_test, y_train, y_test = data.train_test_split(X, y, test_size=0.25, seed=seed)
    epochs = 20 if quick else 50
    # The target is standardised for training (SGD likes numbers near 1) and turned
    # back into disease-progression units for the scores.
    y_scaler = data.StandardScaler().fit(y_train.reshape(-1, 1))

    def to_units(pred: np.ndarray) -> np.ndarray:
        return y_scaler.inverse_transform(pred.reshape(-1, 1)).reshape(-1)

    y_train_s = y_scaler.transform(y_train.reshape(-1, 1)).reshape(-1)
    x_scaler = data.StandardScaler().fit(X_train)
    X_train_s, X_test_s = x_scaler.transform(X_train), x_scaler.transform(X_test)
    print(f"Diabetes: {len(X_train)} training and {len(X_test)} test patients")
    print("feature ranges (raw): " + ", ".join(f"{lo:g}..{hi:g}" for lo, hi in
                                               zip(X_train.min(axis=0)[:4],
                                                   X_train.max(axis=0)[:4])) + ", ...")

    # 1. the same model and the same SGD, without and with feature scaling
    rows, curves = [], {}
    for name, X_tr, X_te in (("raw features", X_train, X_test),
                             ("scaled features", X_train_s, X_test_s)):
        tg.manual_seed(seed)
        model = make_model()
        history = train(model, nn.MSELoss(), X_tr, y_train_s, epochs, lr=0.01, seed=seed)
        if history is not None:
            curves[name] = history["loss"]
        rows.append(scores(f"MSE, {name}", y_test, to_units(predict(model, X_te))))
    print("\n1. Feature scaling (SGD, lr 0.01, momentum 0.9):")
    print_table(["model", "R2", "RMSE", "MAE"], rows, digits=3)
    fig = viz.plot_loss_curves(curves, overlay=True, logy=True, xlabel="epoch (counted from 0)")
    fig.axes[0].set_title("training loss (MSE, standardised target)")
    save_figure(fig, out_dir, "regression_scaling.png")
    table = list(rows)

    # 2. outliers in the training targets: MSE vs MAE
    rng = np.random.default_rng(seed)
    y_dirty = y_train.copy()
    bad = rng.choice(len(y_dirty), size=len(y_dirty) // 20, replace=False)
    y_dirty[bad] += 1000.0
    y_dirty_s = y_scaler.transform(y_dirty.reshape(-1, 1)).reshape(-1)
    rows = []
    for name, loss_fn in (("MSE", nn.MSELoss()), ("MAE (L1)", nn.L1Loss())):
        tg.manual_seed(seed)
        model = make_model()
        train(model, loss_fn, X_train_s, y_dirty_s, epochs, lr=0.01, seed=seed)
        rows.append(scores(f"{name}, {len(bad)} outliers", y_test,
                           to_units(predict(model, X_test_s))))
    print(f"\n2. {len(bad)} training targets corrupted (+1000); test targets clean:")
    print_table(["model", "R2", "RMSE", "MAE"], rows, digits=3)
    table += rows

    by_name = {row[0]: row for row in table}
    return {
        "r2_raw_features": by_name["MSE, raw features"][1],
        "r2_scaled_features": by_name["MSE, scaled features"][1],
        "mae_mse_with_outliers": table[2][3],
        "mae_l1_with_outliers": table[3][3],
    }
