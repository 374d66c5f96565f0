"""Several outputs: six blood values from one network, and the big ones drown the small.

The diabetes data hold, for 442 patients, age, sex, BMI and blood pressure, and six
blood-serum values s1..s6. Here one network predicts all six serum values from the
first four measurements: six outputs, one MSE over all of them.

The six targets live on very different scales: s1 (total cholesterol) varies with
a standard deviation of about 35, s4 (cholesterol/HDL) of about 1.3 and s5 (log
triglycerides) of about 0.5. MSE adds squared errors, so an error of 35 on s1
counts as much as 70 errors of 0.5 on s5: s4 and s5 together own less than 0.1%
of the loss. Their gradients vanish next to those of s1 and s2, and the huge
gradients of the big outputs set the pace: with SGD at a learning rate of 0.01 the
raw-target training blows up for some seeds, so it must be 10x smaller (0.001),
and the shared hidden layer is pushed around by the big outputs while the small
ones wait.

The fix: standardise every target (subtract its mean, divide by its standard
deviation, both fitted on the training rows), train, and transform the predictions
back. Every output then counts the same in the loss, and the usual learning rate
works. (Weighting each output's squared error by 1 / variance balances the loss in
the same way; standardising also puts every output's numbers near 1, which is what
the initial weights and the learning rate are made for.)

Each output is scored by its own R² on test patients (1 = perfect, 0 = no better
than predicting that output's mean).
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

OUTPUTS = ("several_outputs.png",)
SERUM = ["s1 cholesterol", "s2 LDL", "s3 HDL", "s4 chol/HDL", "s5 log trigl.", "s6 glucose"]


def train(X: np.ndarray, Y: np.ndarray, lr: float, epochs: int, seed: int) -> nn.Module:
    """One network with six outputs, trained with mini-batch SGD on the MSE of all six."""
    tg.manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 6))
    nn.fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=lr, momentum=0.9), X, Y,
           epochs=epochs, batch_size=32, progress=False, seed=seed)
    return model


def predict(model: nn.Module, X: np.ndarray) -> np.ndarray:
    with tg.no_grad():
        return model(Tensor(X)).numpy()


def plot(r2: dict[str, np.ndarray], share: np.ndarray) -> Any:
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.8),
                                      gridspec_kw={"width_ratios": [1, 1.6]})
    left.bar(SERUM, 100 * share, color="C7")
    left.set_ylabel("% of the raw MSE (predicting the means)")
    left.set_title("Who owns the loss")
    left.tick_params(axis="x", labelrotation=30)
    x = np.arange(len(SERUM))
    for i, (name, values) in enumerate(r2.items()):
        right.bar(x + (i - 0.5) * 0.38, values, width=0.38, color=f"C{i}", label=name)
    right.axhline(0, color="black", linewidth=0.8)
    right.set_xticks(x, SERUM)
    right.tick_params(axis="x", labelrotation=30)
    right.set_ylabel("test R² per output")
    right.set_title("One network, six outputs")
    right.legend(fontsize=10)
    fig.tight_layout()
    return fig


def run(out_dir: Path, quick: bool, seed: int = 0) -> dict[str, Any]:
    X, Y = data.load_diabetes()[0][:, :4], data.load_diabetes()[0][:, 4:]
    X_train, X_test, Y_train, Y_test = data.train_test_split(X, Y, test_size=0.25, seed=seed)
    X_scaler = data.StandardScaler().fit(X_train)
    X_train, X_test = X_scaler.transform(X_train), X_scaler.transform(X_test)
    spread = Y_train.std(axis=0)
    share = spread ** 2 / (spread ** 2).sum()
    print(f"{len(X_train)} training, {len(X_test)} test patients; inputs age, sex, BMI, "
          "blood pressure (standardised)")
    print_table(["output", "std", "share of the loss"],
                [(name, float(s), float(p)) for name, s, p in zip(SERUM, spread, share)],
                digits=3)
    epochs = 30 if quick else 100

    Y_scaler = data.StandardScaler().fit(Y_train)
    raw = predict(train(X_train, Y_train, 0.001, epochs, seed), X_test)
    standardised = Y_scaler.inverse_transform(
        predict(train(X_train, Y_scaler.transform(Y_train), 0.01, epochs, seed), X_test))
    r2 = {name: np.array([metrics.r2_score(Y_test[:, j], pred[:, j]) for j in range(6)])
          for name, pred in (("raw targets, lr 0.001", raw),
                             ("standardised targets, lr 0.01", standardised))}
    print("\nTest R² of each output:")
    print_table(["targets", *[name.split()[0] for name in SERUM], "mean"],
                [(name, *map(float, values), float(values.mean()))
                 for name, values in r2.items()], digits=2)
    save_figure(plot(r2, share), out_dir, "several_outputs.png")
    raw_r2, std_r2 = r2["raw targets, lr 0.001"], r2["standardised targets, lr 0.01"]
    return {"r2_mean_raw": float(raw_r2.mean()), "r2_mean_standardised": float(std_r2.mean()),
            "r2_small_raw": float(raw_r2[[3, 4]].mean()),
            "r2_small_standardised": float(std_r2[[3, 4]].mean()),
            "loss_share_small": float(share[[3, 4]].sum())}
