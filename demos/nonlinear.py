"""Non-linear relations: CO2 at Mauna Loa, where a straight line cannot follow the season.

Weekly CO2 measurements, 1958-2001. The concentration rises year after year (a
slightly curved trend) and swings up and down every year (plants take CO2 up in
the northern summer and give it back in winter). Inputs: the year and the time
of year (0 = 1 January, 0.5 = early July). Four models predict the CO2 of weeks
they did not train on:

* linear, on the year: a straight line through the trend; it misses the season;
* linear, on the year and the time of year: still a plane; the season goes up
  AND down within a year, so no straight line in the time of year can follow it;
* a network with two hidden tanh layers, on the same two inputs: the hidden
  layers bend the line, and the network learns the seasonal curve by itself;
* linear again, on engineered features: year, year², and sin/cos of 2π·t and
  4π·t. Someone who knows there is a yearly cycle builds it into the inputs,
  and then even a linear model fits. Feature engineering and a deeper network
  are two ways to the same goal: one uses what you know, the other learns it.

Missing data: 59 weeks have no measurement. `load_co2()` returns them as NaN
(they keep their dates, so the gaps can be seen); `nn.fit` refuses NaN with a
clear error. Here we simply leave those weeks out (`load_co2(dropna=True)` does
the same): for a model of CO2 against time nothing else depends on them.
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

OUTPUTS = ("nonlinear_co2.png",)


def features(years: np.ndarray) -> dict[str, np.ndarray]:
    """The inputs of each model, from decimal years (scaled to be near 1)."""
    t = (years - 1980) / 10  # decades since 1980
    season = years - np.floor(years)  # time of year, 0..1
    cycles = [f(k * 2 * np.pi * years) for k in (1, 2) for f in (np.sin, np.cos)]
    return {"year": t[:, None], "year + time of year": np.column_stack([t, season]),
            "engineered": np.column_stack([t, t ** 2, *cycles])}


def train(model: nn.Module, X: np.ndarray, y: np.ndarray, epochs: int, lr: float,
          batch_size: int | None, seed: int) -> nn.Module:
    nn.fit(model, nn.MSELoss(), optim.Adam(model.parameters(), lr=lr), X, y.reshape(-1, 1),
           epochs=epochs, batch_size=batch_size, progress=False, seed=seed)
    return model


def predict(model: nn.Module, X: np.ndarray) -> np.ndarray:
    with tg.no_grad():
        return model(Tensor(X)).numpy().reshape(-1)


def show_missing_weeks() -> None:
    """What the loader gives for the missing weeks, and what fit says about them."""
    X, y = data.load_co2()
    missing = np.isnan(y)
    print(f"{len(y)} weeks, {missing.sum()} without a measurement (NaN), the first in "
          f"{X[missing][0, 0]:.2f}")
    try:
        nn.fit(nn.Linear(1, 1), nn.MSELoss(), optim.SGD(nn.Linear(1, 1).parameters(), lr=0.1),
               X, y.reshape(-1, 1), epochs=1, progress=False)
    except ValueError as err:
        print(f"nn.fit on them: {str(err).splitlines()[0]}")
    print("so we leave those weeks out: load_co2(dropna=True)")


def plot(years: np.ndarray, y: np.ndarray, curves: dict[str, np.ndarray],
         rmse: dict[str, float]) -> Any:
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5.4),
                                      gridspec_kw={"width_ratios": [1.5, 1]})
    window = (years >= 1990) & (years < 1994)
    left.plot(years[window], y[window], ".", color="gray", label="measured (test weeks)")
    grid = np.linspace(1990, 1994, 400)
    for i, (name, curve) in enumerate(curves.items()):
        left.plot(grid, curve, linewidth=2, color=f"C{i}", label=name)
    left.set_xlabel("year")
    left.set_ylabel("CO2 (ppm)")
    left.set_title("Four years of the test weeks, and each model")
    left.legend(fontsize=10, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3,
                frameon=False)
    left.grid(alpha=0.3)
    names = list(rmse)
    bars = right.barh(names[::-1], [rmse[n] for n in names][::-1],
                      color=[f"C{i}" for i in range(len(names))][::-1])
    right.bar_label(bars, fmt="%.2f", fontsize=10, padding=3)
    right.set_xlabel("test RMSE (ppm)")
    right.set_title("Error on weeks the models never saw")
    right.set_xlim(0, max(rmse.values()) * 1.2)
    fig.tight_layout()
    return fig


def run(out_dir: Path, quick: bool, seed: int = 0) -> dict[str, Any]:
    show_missing_weeks()
    X, y = data.load_co2(dropna=True)
    years = X[:, 0]
    rows = np.random.default_rng(seed).permutation(len(y))
    train_rows, test_rows = rows[: 3 * len(y) // 4], rows[3 * len(y) // 4:]
    mean, std = y[train_rows].mean(), y[train_rows].std()  # standardised target for training
    target = (y - mean) / std
    inputs = features(years)
    grid_inputs = features(np.linspace(1990, 1994, 400))
    print(f"{len(train_rows)} training weeks, {len(test_rows)} test weeks, chosen at random")

    specs = [  # name, feature set, model, epochs, learning rate, batch size
        ("linear: year", "year", lambda: nn.Sequential(nn.Linear(1, 1)), 200, 0.1, None),
        ("linear: year + time of year", "year + time of year",
         lambda: nn.Sequential(nn.Linear(2, 1)), 200, 0.1, None),
        ("network: year + time of year", "year + time of year",
         lambda: nn.Sequential(nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(),
                               nn.Linear(32, 1)), 40 if quick else 150, 0.01, 64),
        ("linear: engineered features", "engineered",
         lambda: nn.Sequential(nn.Linear(6, 1)), 200, 0.1, None),
    ]
    rmse, curves, table = {}, {}, []
    for name, inputs_of, make, epochs, lr, batch_size in specs:
        tg.manual_seed(seed)
        F = inputs[inputs_of]
        model = train(make(), F[train_rows], target[train_rows], epochs, lr, batch_size, seed)
        pred = predict(model, F[test_rows]) * std + mean
        rmse[name] = metrics.rmse(y[test_rows], pred)
        curves[name] = predict(model, grid_inputs[inputs_of]) * std + mean
        table.append((name, model.num_parameters(), rmse[name], metrics.r2_score(y[test_rows],
                                                                                 pred)))
    print("\nTest weeks:")
    print_table(["model", "parameters", "RMSE (ppm)", "R2"], table, digits=3)
    print("R2 is near 1 for all (the trend explains most of the variance); RMSE shows "
          "who follows the season")
    save_figure(plot(years[test_rows], y[test_rows], curves, rmse), out_dir,
                "nonlinear_co2.png")
    return {"rmse_linear_year": rmse["linear: year"],
            "rmse_linear_season": rmse["linear: year + time of year"],
            "rmse_network_season": rmse["network: year + time of year"],
            "rmse_linear_engineered": rmse["linear: engineered features"],
            "missing_weeks": 59}
