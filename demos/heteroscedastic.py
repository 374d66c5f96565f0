"""Heteroscedastic noise: Engel's households, where the spread grows with income.

235 Belgian households in 1857: yearly income and what each spent on food. Food
spending grows with income, and so does the spread around the trend: poor
households all spend about the same, rich ones differ by hundreds of francs.
"Heteroscedastic" means exactly that: the noise is not the same everywhere.

Plain MSE treats every squared error alike, so the few rich, noisy households
dominate the loss: their errors are the largest, whatever the model does. Two
remedies:

* a weighted loss: mean(w_i (y_hat_i - y_i)^2) with w_i = 1 / income_i^2, the
  inverse of how fast the variance grows. Every household then counts by its
  error RELATIVE to the noise where it lives; the fit is steered by the many
  households whose spending is pinned down precisely.
* a model that predicts its own uncertainty: two outputs, a mean and a variance
  (softplus keeps the variance positive), trained with the Gaussian negative
  log-likelihood, `nn.GaussianNLLLoss()(mean, target, var)` as in PyTorch:

      loss = 1/2 (log var + (y - mean)^2 / var)     (plus a constant)

  A large error costs less where the model says "I am unsure here" (large var),
  but claiming to be unsure costs log var. The balance is the true variance, so
  the network learns how the spread grows, and gives an interval for every
  household: mean ± 1.96 sqrt(var) should hold 95% of them, poor and rich alike.

Scored on test households: the weighted fit's typical error in percent; the share
of test households inside the 95% interval, among the poorer and the richer half,
for one fixed width (from plain MSE) and for the width the network predicts; and
the Gaussian negative log-likelihood of both on the test households.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

import nn
import nn.functional as F
import tinygrad_dk as tg
from demos._common import print_table, save_figure
from nn import data, optim
from tinygrad_dk import Tensor

OUTPUTS = ("heteroscedastic.png",)
SCALE = 1000.0  # francs -> thousands of francs, numbers near 1
Z95 = 1.96      # mean ± 1.96 standard deviations holds 95% of a normal distribution


def fit_line(x: np.ndarray, y: np.ndarray, weights: np.ndarray, steps: int,
             seed: int) -> nn.Module:
    """One linear neuron, trained on mean(w (y_hat - y)^2) with full-batch Adam."""
    tg.manual_seed(seed)
    line = nn.Linear(1, 1)
    opt = optim.Adam(line.parameters(), lr=0.05)
    X, Y, W = Tensor(x[:, None]), Tensor(y[:, None]), Tensor(weights[:, None] / weights.mean())
    for _ in range(steps):
        loss = (W * (line(X) - Y) ** 2).mean()  # w = 1 for every row: plain MSE
        opt.zero_grad()
        loss.backward()
        opt.step()
    return line


class MeanAndVariance(nn.Module):
    """income -> (mean, variance): one hidden layer, two outputs, softplus for the variance."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(1, 16), nn.Tanh(), nn.Linear(16, 2))

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        out = self.body(x)
        return out[:, :1], F.softplus(out[:, 1:]) + 1e-4  # the variance is never 0


def fit_mean_and_variance(x: np.ndarray, y: np.ndarray, steps: int,
                          seed: int) -> MeanAndVariance:
    tg.manual_seed(seed)
    model = MeanAndVariance()
    loss_fn = nn.GaussianNLLLoss()
    opt = optim.Adam(model.parameters(), lr=0.02)
    X, Y = Tensor(x[:, None]), Tensor(y[:, None])
    for _ in range(steps):
        mean, var = model(X)
        loss = loss_fn(mean, Y, var)  # PyTorch's order: input (the mean), target, var
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model


def line_at(line: nn.Module, x: np.ndarray) -> np.ndarray:
    with tg.no_grad():
        return line(Tensor(x[:, None])).numpy().reshape(-1)


def mean_and_std(model: MeanAndVariance, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with tg.no_grad():
        mean, var = model(Tensor(x[:, None]))
    return mean.numpy().reshape(-1), np.sqrt(var.numpy().reshape(-1))


def gaussian_nll(y: np.ndarray, mean: np.ndarray, std: np.ndarray) -> float:
    """Mean negative log-likelihood of y under N(mean, std^2), constant included."""
    return float(np.mean(0.5 * np.log(2 * np.pi * std ** 2) + (y - mean) ** 2 / (2 * std ** 2)))


def coverage(y: np.ndarray, mean: np.ndarray, std: np.ndarray) -> float:
    """Share of y inside mean ± 1.96 std."""
    return float(np.mean(np.abs(y - mean) <= Z95 * std))


def plot(x: np.ndarray, y: np.ndarray, grid: np.ndarray, lines: dict[str, np.ndarray],
         mean: np.ndarray, std: np.ndarray, fixed_std: float) -> Any:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(11, 5.6))
    ax.scatter(x * SCALE, y * SCALE, s=14, color="gray", alpha=0.7, label="households")
    for i, (name, values) in enumerate(lines.items()):
        ax.plot(grid * SCALE, values * SCALE, linewidth=2, color=f"C{i}", label=name)
    plain = lines["plain MSE"]
    ax.plot(grid * SCALE, (plain + Z95 * fixed_std) * SCALE, "--", color="C0", linewidth=1,
            label="plain MSE ± 1.96 σ (one σ for all)")
    ax.plot(grid * SCALE, (plain - Z95 * fixed_std) * SCALE, "--", color="C0", linewidth=1)
    ax.plot(grid * SCALE, mean * SCALE, linewidth=2, color="C2", label="network: mean")
    ax.fill_between(grid * SCALE, (mean - Z95 * std) * SCALE, (mean + Z95 * std) * SCALE,
                    color="C2", alpha=0.2, label="network: mean ± 1.96 σ(income)")
    ax.set_xlabel("yearly income (Belgian francs, 1857)")
    ax.set_ylabel("food expenditure (francs)")
    ax.set_title("The spread grows with income: a 95% interval that grows with it")
    ax.legend(loc="upper left", fontsize=10)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def run(out_dir: Path, quick: bool, seed: int = 0) -> dict[str, Any]:
    X, y = data.load_engel()
    x, y = X[:, 0] / SCALE, y / SCALE
    x_train, x_test, y_train, y_test = data.train_test_split(x, y, test_size=0.3, seed=seed)
    print(f"{len(x_train)} training and {len(x_test)} test households; income "
          f"{x.min() * SCALE:.0f}..{x.max() * SCALE:.0f} francs")
    steps = 400 if quick else 1500

    plain = fit_line(x_train, y_train, np.ones_like(x_train), steps, seed)
    weighted = fit_line(x_train, y_train, 1 / x_train ** 2, steps, seed)
    rows = []
    for name, line in (("plain MSE", plain), ("weighted, w = 1/income²", weighted)):
        pred = line_at(line, x_test)
        rows.append((name, float(line.weight.data[0, 0]), float(line.bias.data[0] * SCALE),
                     float(np.mean(np.abs(pred - y_test) / y_test))))
    print("\nStraight lines (slope: francs of food per franc of income):")
    print_table(["loss", "slope", "intercept", "test error, % of spending"],
                [(n, s, b, 100 * e) for n, s, b, e in rows], digits=3)

    residual_std = float(np.std(y_train - line_at(plain, x_train)))
    network = fit_mean_and_variance(x_train, y_train, steps, seed)
    mean, std = mean_and_std(network, x_test)
    plain_test = line_at(plain, x_test)
    richer = x_test >= np.median(x_test)
    table, cover = [], {}
    for name, centre, width in (("plain MSE, one σ for all", plain_test,
                                 np.full_like(x_test, residual_std)),
                                ("network, σ from GaussianNLLLoss", mean, std)):
        cover[name] = (coverage(y_test[~richer], centre[~richer], width[~richer]),
                       coverage(y_test[richer], centre[richer], width[richer]),
                       gaussian_nll(y_test, centre, width))
        table.append((name, *cover[name]))
    print(f"\nShare of test households inside mean ± {Z95} σ (should be 0.95), and the "
          "test loss (-log likelihood, lower is better):")
    print_table(["interval", "poorer half", "richer half", "test NLL"], table, digits=3)
    grid = np.linspace(x.min(), x.max(), 200)
    _, std_grid = mean_and_std(network, np.array([np.quantile(x, 0.1), np.quantile(x, 0.9)]))
    print(f"the network's σ at the 10th and 90th income percentile: "
          f"{std_grid[0] * SCALE:.0f} and {std_grid[1] * SCALE:.0f} francs")

    mean_grid, std_band = mean_and_std(network, grid)
    fig = plot(x, y, grid, {"plain MSE": line_at(plain, grid),
                            "weighted MSE": line_at(weighted, grid)},
               mean_grid, std_band, residual_std)
    save_figure(fig, out_dir, "heteroscedastic.png")
    fixed, learnt = cover["plain MSE, one σ for all"], cover["network, σ from GaussianNLLLoss"]
    return {"test_error_plain": rows[0][3], "test_error_weighted": rows[1][3],
            "coverage_fixed_poorer": fixed[0], "coverage_fixed_richer": fixed[1],
            "coverage_network_poorer": learnt[0], "coverage_network_richer": learnt[1],
            "test_nll_fixed": fixed[2], "test_nll_network": learnt[2],
            "sigma_ratio_rich_to_poor": float(std_grid[1] / std_grid[0])}
