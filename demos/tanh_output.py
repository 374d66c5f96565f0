"""Tanh as the output for a target that can be negative: CO2's yearly swing.

Take the CO2 series, remove its slow trend (a parabola in time, fitted on the
training weeks), and what is left is the season: CO2 above the trend in spring,
below it in autumn. Half of these values are negative. Scaled to [-1, 1] with
`data.MinMaxScaler(feature_range=(-1, 1))`, the target is bounded on both sides
and centred on 0: the range of tanh.

One small network (time of year -> 16 tanh units -> 1 output) with three output
activations:

* sigmoid: outputs in (0, 1). It cannot say "below the trend" at all: every
  negative target is predicted as 0 at best, and the fit is poor;
* tanh: outputs in (-1, 1), exactly the target's range, symmetric around 0;
* linear: any number. It fits about as well here, but nothing keeps it in range
  (for inputs unlike the training data it can go anywhere).

Choose the output from what the target can be: linear for any number, ReLU or
softplus for >= 0, sigmoid for 0..1, tanh for -1..1 (scale the target to match).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

import nn
import tinygrad_dk as tg
from demos._common import print_table, save_figure
from nn import data, metrics, optim
from tinygrad_dk import Tensor

OUTPUTS = ("tanh_output.png",)


def train(output: nn.Module | None, x: np.ndarray, y: np.ndarray, epochs: int,
          seed: int) -> nn.Module:
    tg.manual_seed(seed)
    model = nn.Sequential(nn.Linear(1, 16), nn.Tanh(), nn.Linear(16, 1),
                          *([output] if output is not None else []))
    nn.fit(model, nn.MSELoss(), optim.Adam(model.parameters(), lr=0.02), x[:, None],
           y[:, None], epochs=epochs, batch_size=128, progress=False, seed=seed)
    return model


def predict(model: nn.Module, x: np.ndarray) -> np.ndarray:
    with tg.no_grad():
        return model(Tensor(x[:, None])).numpy().reshape(-1)


def plot(season: np.ndarray, target: np.ndarray, grid: np.ndarray,
         curves: dict[str, np.ndarray]) -> Any:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(11, 4.8))
    ax.plot(season, target, ".", color="gray", alpha=0.4, markersize=4,
            label="test weeks (trend removed, scaled)")
    for i, (name, curve) in enumerate(curves.items()):
        ax.plot(grid, curve, linewidth=2.5, color=f"C{i}", label=name)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xlabel("time of year (0 = 1 January)")
    ax.set_ylabel("CO2 above / below the trend, scaled to [-1, 1]")
    ax.set_title("A target below 0 half of the time: sigmoid cannot follow it, tanh can")
    ax.legend(loc="lower left", fontsize=10)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def run(out_dir: Path, quick: bool, seed: int = 0) -> dict[str, Any]:
    X, y = data.load_co2(dropna=True)
    years = X[:, 0]
    rows = np.random.default_rng(seed).permutation(len(y))
    train_rows, test_rows = rows[: 3 * len(y) // 4], rows[3 * len(y) // 4:]
    trend = np.polyfit(years[train_rows] - 1980, y[train_rows], 2)  # the slow rise
    swing = y - np.polyval(trend, years - 1980)
    scaler = data.MinMaxScaler(feature_range=(-1, 1)).fit(swing[train_rows, None])
    target = scaler.transform(swing[:, None]).reshape(-1)
    season = years - np.floor(years)
    print(f"CO2 minus its trend: {swing.min():.1f}..{swing.max():.1f} ppm, scaled to "
          f"[-1, 1]; {np.mean(target[train_rows] < 0):.0%} of the training targets are "
          "negative")
    epochs = 40 if quick else 120

    grid = np.linspace(0, 1, 200)
    rows_out, curves = [], {}
    for name, output in (("sigmoid output", nn.Sigmoid()), ("tanh output", nn.Tanh()),
                         ("linear output", None)):
        model = train(output, season[train_rows], target[train_rows], epochs, seed)
        pred = predict(model, season[test_rows])
        curves[name] = predict(model, grid)
        rows_out.append((name, metrics.r2_score(target[test_rows], pred),
                         float(pred.min()), float(pred.max())))
    print("\nTest weeks:")
    print_table(["model", "R2", "lowest prediction", "highest prediction"], rows_out, digits=3)
    save_figure(plot(season[test_rows], target[test_rows], grid, curves), out_dir,
                "tanh_output.png")
    by_name = {row[0]: row for row in rows_out}
    return {"r2_sigmoid": by_name["sigmoid output"][1], "r2_tanh": by_name["tanh output"][1],
            "r2_linear": by_name["linear output"][1],
            "lowest_sigmoid": by_name["sigmoid output"][2],
            "lowest_tanh": by_name["tanh output"][2], "highest_tanh": by_name["tanh output"][3]}
