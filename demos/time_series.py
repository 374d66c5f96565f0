"""Time dependence: forecasting sunspots one year ahead, tested on the last decades.

Yearly sunspot activity, 1700-2008, rises and falls in a cycle of about 11 years.
The rows of a time series are not independent draws: each year follows from the
ones before it. Two things follow.

* Features come from the past. To predict year t we may use years t-1, t-2, ...
  (lagged values, "time-series features"), never anything from year t or later.
* The test set is the future. We train on 1710-1959 and test on 1960-2008, the
  last five decades, exactly as the model would be used. A random split would put
  test years between training years, whose neighbours the model has seen: that
  scores something else than a forecast of years nobody has seen yet.

Models, each scored by its test RMSE on 1960-2008:

* naive, "same as last year": predict y[t] = y[t-1]. Any model must beat this;
* an MLP on the last 10 years (10 inputs, one hidden layer of 32 ReLUs);
* an LSTM (a recurrent network) reading the same 10 years, oldest first, one year
  per step. It carries a memory (its hidden state h and cell state c, 16 numbers
  each) from year to year, and a Linear layer turns the memory after the last year
  into the forecast. The MLP sees the 10 years as 10 unrelated inputs; the LSTM
  knows their order, and its weights do not depend on how many years it reads.
  The second picture shows the LSTM unrolled over 3 years: the same weights in
  every step, each step's state feeding the next.

Adding a model takes one function `(task, seed, quick) -> predictions` and one
line in `MODELS`; everything else (split, scores, table, picture) is shared.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import nn
import tinygrad_dk as tg
import viz
from demos._common import output_file, print_table, save_figure, wrote
from nn import data, metrics, optim
from tinygrad_dk import Tensor

OUTPUTS = ("time_series.png", "time_series_lstm_graph.svg")
LAGS = 10
FIRST_TEST_YEAR = 1960
SCALE = 100.0  # sunspot numbers / 100 are near 1, which suits the networks


def lagged(series: np.ndarray, lags: int, horizon: int = 1) -> tuple[np.ndarray, np.ndarray,
                                                                     np.ndarray]:
    """Rows of past values and the value `horizon` steps after the last of them.

    Returns (inputs, targets, target_index): inputs[i, 0] is the most recent
    value, inputs[i, lags - 1] the oldest, and targets[i] = series[target_index[i]].
    """
    target_index = np.arange(lags - 1 + horizon, len(series))
    inputs = np.stack([series[target_index - horizon - k] for k in range(lags)], axis=1)
    return inputs, series[target_index], target_index


@dataclass
class Task:
    """Everything a model needs: lagged inputs, targets, and which rows are for training."""

    years: np.ndarray    # the year each target belongs to
    inputs: np.ndarray   # (n, LAGS): the LAGS years before, most recent first
    targets: np.ndarray  # (n,): sunspot activity of that year
    train: np.ndarray    # (n,) bool: True for years before FIRST_TEST_YEAR


def naive(task: Task, seed: int, quick: bool) -> np.ndarray:
    """Same as last year."""
    return task.inputs[:, 0].copy()


def mlp_on_lags(task: Task, seed: int, quick: bool) -> np.ndarray:
    """An MLP on the last LAGS years, trained on the training years."""
    rows = task.train
    tg.manual_seed(seed)
    model = nn.Sequential(nn.Linear(LAGS, 32), nn.ReLU(), nn.Linear(32, 1))
    nn.fit(model, nn.MSELoss(), optim.Adam(model.parameters(), lr=0.01),
           task.inputs[rows] / SCALE, task.targets[rows].reshape(-1, 1) / SCALE,
           epochs=60 if quick else 150, batch_size=32, progress=False, seed=seed)
    with tg.no_grad():
        return model(Tensor(task.inputs / SCALE)).numpy().reshape(-1) * SCALE


class LSTMForecaster(nn.Module):
    """An LSTM reads the years in order; a Linear layer turns its memory into a forecast."""

    def __init__(self, hidden_size: int = 16) -> None:
        super().__init__()
        self.lstm = nn.LSTM(1, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, 1)

    def forward(self, x: Any) -> Tensor:
        out, _ = self.lstm(x)         # x: (batch, years, 1), oldest year first
        return self.head(out[:, -1])  # the hidden state after the last year read


def in_order(task: Task) -> np.ndarray:
    """The lagged inputs as sequences (n, LAGS, 1), oldest year first, scaled."""
    return (task.inputs[:, ::-1, None] / SCALE).astype(np.float32)


def lstm_on_years(task: Task, seed: int, quick: bool) -> np.ndarray:
    """An LSTM reading the last LAGS years one at a time, trained on the training years."""
    rows = task.train
    tg.manual_seed(seed)
    model = LSTMForecaster()
    nn.fit(model, nn.MSELoss(), optim.Adam(model.parameters(), lr=0.01),
           in_order(task)[rows], task.targets[rows].reshape(-1, 1) / SCALE,
           epochs=20 if quick else 60, batch_size=32, progress=False, seed=seed)
    with tg.no_grad():
        return model(Tensor(in_order(task))).numpy().reshape(-1) * SCALE


# name -> function(task, seed, quick) returning a prediction for every row of the task
MODELS: dict[str, Callable[[Task, int, bool], np.ndarray]] = {
    "same as last year": naive,
    f"MLP on the last {LAGS} years": mlp_on_lags,
    f"LSTM reading the last {LAGS} years": lstm_on_years,
}


def draw_unrolled_lstm(task: Task, out_dir: Path) -> Path:
    """The graph of an (untrained) forecaster on two sequences of 3 years, summarised:
    one box per time step between the labelled states h[t] and c[t]."""
    tg.manual_seed(0)
    model = LSTMForecaster()
    x = Tensor(in_order(task)[:2, -3:], label="3 years")
    loss = nn.functional.mse_loss(model(x), task.targets[:2].reshape(-1, 1) / SCALE)
    loss.label = "loss"
    loss.backward()
    path = output_file(out_dir, "time_series_lstm_graph.svg")
    viz.render(loss, path, summarize=True, names=dict(model.named_parameters()))
    return wrote(path)


def make_task() -> Task:
    X, y = data.load_sunspots()
    inputs, targets, index = lagged(y, LAGS)
    years = X[index, 0]
    return Task(years=years, inputs=inputs, targets=targets, train=years < FIRST_TEST_YEAR)


def plot(task: Task, predictions: dict[str, np.ndarray], rmse: dict[str, float]) -> Any:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(13, 4.8))
    recent = task.years >= FIRST_TEST_YEAR - 30
    ax.plot(task.years[recent], task.targets[recent], "o-", color="black", markersize=3,
            linewidth=1, label="measured")
    test = ~task.train
    for i, (name, pred) in enumerate(predictions.items()):
        ax.plot(task.years[test], pred[test], linewidth=2, color=f"C{i}",
                label=f"{name} (test RMSE {rmse[name]:.1f})")
    ax.axvspan(FIRST_TEST_YEAR - 0.5, task.years.max() + 0.5, color="C0", alpha=0.06)
    ax.text(FIRST_TEST_YEAR + 0.5, task.targets[recent].max(), "test: the future",
            fontsize=11, va="top")
    ax.set_xlabel("year")
    ax.set_ylabel("sunspot activity")
    ax.set_title("One year ahead: every prediction uses only the years before it")
    ax.legend(loc="upper left", fontsize=10)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def run(out_dir: Path, quick: bool, seed: int = 0) -> dict[str, Any]:
    task = make_task()
    test = ~task.train
    print(f"{len(task.targets)} years with {LAGS} years of history each; training "
          f"{int(task.years[task.train].min())}-{int(task.years[task.train].max())} "
          f"({task.train.sum()} years), test {int(task.years[test].min())}-"
          f"{int(task.years[test].max())} ({test.sum()} years)")
    predictions, rmse = {}, {}
    for name, model in MODELS.items():
        predictions[name] = model(task, seed, quick)
        rmse[name] = metrics.rmse(task.targets[test], predictions[name][test])
    print("\nOne year ahead, test years:")
    print_table(["model", "test RMSE", "test MAE"],
                [(name, rmse[name], metrics.mean_absolute_error(task.targets[test], pred[test]))
                 for name, pred in predictions.items()], digits=3)

    save_figure(plot(task, predictions, rmse), out_dir, "time_series.png")
    draw_unrolled_lstm(task, out_dir)
    return {"rmse_naive": rmse["same as last year"],
            "rmse_mlp": rmse[f"MLP on the last {LAGS} years"],
            "rmse_lstm": rmse[f"LSTM reading the last {LAGS} years"]}
