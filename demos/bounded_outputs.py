"""Bounded outputs: a target that is never negative, and a linear output that says -30.

Sunspot activity is never negative, and at the bottom of each cycle it is close
to 0 (some years are exactly 0). We forecast it 3 years ahead from the last 6
years with the simplest network there is: one linear neuron. Its output is a
weighted sum, which can be any number: after a steep fall it carries the fall on,
below zero. A forecast of -30 sunspots is not just inaccurate, it is impossible.

Three ways to make impossible outputs impossible, with the same neuron:

* ReLU output, max(0, z): never below 0. Where z < 0 the gradient is 0, so those
  rows stop teaching the neuron anything (and a ReLU output whose z is negative
  for every row never learns again: check that it is alive).
* softplus output, log(1 + e^z): a smooth ReLU, always above 0 and with a
  gradient everywhere (`nn.functional.softplus` computes it in the stable form
  max(z, 0) + log(1 + e^-|z|), which never overflows).
* log-transformed target: train the linear neuron on log(1 + y) and turn its
  prediction p back with e^p - 1. Whatever p is, e^p - 1 > -1, and the model
  now fits relative errors (being 10 off matters more at 20 than at 150), so its
  errors at the peaks grow: the transform changes what "a good fit" means.

The output activation is part of the model's design: pick it from what the target
can be (any number: linear; >= 0: ReLU/softplus; 0..1: sigmoid; -1..1: tanh).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

import nn
import nn.functional as F
import tinygrad_dk as tg
from demos._common import print_table, save_figure
from demos.time_series import lagged
from nn import data, metrics, optim
from tinygrad_dk import Tensor

OUTPUTS = ("bounded_outputs.png",)
LAGS, HORIZON = 6, 3
FIRST_TEST_YEAR = 1960
SCALE = 100.0


class Softplus(nn.Module):
    """log(1 + e^z) as a layer (nn has the function, F.softplus, but no module yet)."""

    def forward(self, z: Tensor) -> Tensor:
        return F.softplus(z)


def train(output: nn.Module | None, X: np.ndarray, y: np.ndarray, epochs: int,
          seed: int) -> nn.Module:
    tg.manual_seed(seed)
    model = nn.Sequential(nn.Linear(LAGS, 1), *([output] if output is not None else []))
    nn.fit(model, nn.MSELoss(), optim.Adam(model.parameters(), lr=0.02), X, y.reshape(-1, 1),
           epochs=epochs, batch_size=None, progress=False)
    return model


def predict(model: nn.Module, X: np.ndarray) -> np.ndarray:
    with tg.no_grad():
        return model(Tensor(X)).numpy().reshape(-1)


def plot(years: np.ndarray, y: np.ndarray, predictions: dict[str, np.ndarray]) -> Any:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(13, 4.8))
    worst = years[np.argmin(predictions["linear output"])]  # 60 years around the worst
    start = min(max(worst - 30, years.min()), years.max() - 60)
    window = (years >= start) & (years <= start + 60)
    ax.plot(years[window], y[window], "o-", color="black", markersize=3, linewidth=1,
            label="measured")
    for i, (name, pred) in enumerate(predictions.items()):
        ax.plot(years[window], pred[window], linewidth=2, color=f"C{i}", label=name)
    ax.axhline(0, color="C3", linewidth=1)
    ax.axhspan(ax.get_ylim()[0], 0, color="C3", alpha=0.08)
    ax.text(years[window][1], -3, "impossible: fewer than 0 sunspots", color="C3",
            fontsize=11, va="top")
    ax.set_xlabel("year")
    ax.set_ylabel("sunspot activity")
    ax.set_title(f"{HORIZON} years ahead from the last {LAGS}: one neuron, four outputs")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3, frameon=False,
              fontsize=10)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def run(out_dir: Path, quick: bool, seed: int = 0) -> dict[str, Any]:
    X, series = data.load_sunspots()
    inputs, y, index = lagged(series, LAGS, HORIZON)
    years = X[index, 0]
    train_rows = years < FIRST_TEST_YEAR
    test = ~train_rows
    inputs = inputs / SCALE
    epochs = 300 if quick else 1000
    print(f"predict sunspots {HORIZON} years ahead from the last {LAGS} years; training "
          f"years before {FIRST_TEST_YEAR}, test from {FIRST_TEST_YEAR}; "
          f"target range {y.min():g}..{y.max():g}")

    predictions = {}
    for name, output in (("linear output", None), ("ReLU output", nn.ReLU()),
                         ("softplus output", Softplus())):
        model = train(output, inputs[train_rows], y[train_rows] / SCALE, epochs, seed)
        predictions[name] = predict(model, inputs) * SCALE
    model = train(None, inputs[train_rows], np.log1p(y[train_rows]), epochs, seed)
    predictions["log target, e^p - 1"] = np.expm1(predict(model, inputs))

    rows = [(name, int((pred < 0).sum()), float(pred.min()),
             metrics.rmse(y[test], pred[test])) for name, pred in predictions.items()]
    print(f"\nAll {len(y)} years (negative predictions) and the test years (RMSE):")
    print_table(["model", "years < 0", "lowest prediction", "test RMSE"], rows, digits=3)
    save_figure(plot(years, y, predictions), out_dir, "bounded_outputs.png")
    by_name = {row[0]: row for row in rows}
    return {"negative_years_linear": by_name["linear output"][1],
            "lowest_linear": by_name["linear output"][2],
            "lowest_relu": by_name["ReLU output"][2],
            "lowest_softplus": by_name["softplus output"][2],
            "lowest_log_target": by_name["log target, e^p - 1"][2],
            "rmse_linear": by_name["linear output"][3],
            "rmse_softplus": by_name["softplus output"][3],
            "rmse_log_target": by_name["log target, e^p - 1"][3]}
