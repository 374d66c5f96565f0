"""Imbalanced classes: why accuracy lies, and four ways to take the rare class seriously.

Breast cancer data, cut to make the interesting class rare: we keep all 357 benign
tumours but only 30% of the malignant ones, so about 1 tumour in 8 is malignant.
Malignant is the positive class (label 1): the one we must not miss. We also keep
only four of the 30 measurements (texture, smoothness, symmetry, fractal
dimension): with the size measurements the task is so easy that every method
scores almost perfectly, and the differences this lesson is about disappear.

* The accuracy trap: a "model" that always says benign is right 92% of the time
  and finds no cancer at all. Look at precision, recall and F1 instead:

      precision = TP / (TP + FP)   of the tumours we call malignant, how many are
      recall    = TP / (TP + FN)   of the malignant tumours, how many we find
      F1        = 2 P R / (P + R)  one number that needs both

* Class weights (`nn.fit(..., class_weight="balanced")`): a malignant example gets
  weight n / (2 n_malignant), about 3.7, a benign one about 0.6, so the rare class
  weighs as much in the loss, in total, as the common one.
* Oversampling (`data.oversample`): repeat malignant training rows until the
  classes are equal. Undersampling (`data.undersample`): drop benign rows instead
  (simple, but throws data away).
* Threshold tuning: a model outputs a probability; calling it malignant above 0.5
  is only a habit. `metrics.best_threshold` picks the threshold with the best F1.
  It must be picked on data the model did not train on (on the training rows the
  model is overconfident), and never on the test data (the threshold is a setting
  fitted to data like any other). With only ~45 malignant training tumours, one
  validation split holds too few of them to choose well, so we use
  cross-validation: 3 models, each trained on 2/3 of the training rows, give a
  probability for every training row from a model that did not see it. The
  threshold is chosen on those ~290 probabilities and then used with the model
  trained on all training rows.

All resampling is done on the training rows only; the test set keeps the real,
imbalanced proportions, because that is what the model will meet. With so few
malignant examples the exact numbers move with the random split (try
`--seed`); the pattern stays: accuracy hardly changes while recall and F1
change a lot.
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

OUTPUTS = ("imbalanced_threshold.png", "imbalanced_remedies.png")
FEATURES = [1, 4, 8, 9]  # mean texture, smoothness, symmetry, fractal dimension


def make_imbalanced(keep: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Breast cancer with malignant = 1 and only a fraction `keep` of the malignant rows."""
    X, y = data.load_breast_cancer()  # 0 = malignant, 1 = benign
    malignant = (y == 0).astype(np.int64)
    rng = np.random.default_rng(seed)
    keep_rows = (malignant == 0) | (rng.random(len(y)) < keep)
    return X[keep_rows][:, FEATURES], malignant[keep_rows]


def train(X: np.ndarray, y: np.ndarray, epochs: int, seed: int,
          class_weight: Any = None) -> nn.Module:
    """A small network trained with Adam on full batches; the scaler is fitted here."""
    scaler = data.StandardScaler().fit(X)
    tg.manual_seed(seed)
    model = nn.Sequential(nn.Linear(len(FEATURES), 8), nn.ReLU(), nn.Linear(8, 1))
    nn.fit(model, nn.BCEWithLogitsLoss(), optim.Adam(model.parameters(), lr=0.01),
           scaler.transform(X), y.reshape(-1, 1).astype(float), epochs=epochs,
           class_weight=class_weight, progress=False)
    return nn.Sequential(_Scale(scaler), model)


class _Scale(nn.Module):
    """The fitted scaler as the model's first step, so a model takes raw measurements."""

    def __init__(self, scaler: data.StandardScaler) -> None:
        super().__init__()
        self.scaler = scaler

    def forward(self, x: Any) -> Tensor:
        return Tensor(self.scaler.transform(np.asarray(x)))


def probabilities(model: nn.Module, X: np.ndarray) -> np.ndarray:
    """P(malignant) for every row: the sigmoid of the model's score."""
    with tg.no_grad():
        return model(X).sigmoid().numpy().reshape(-1)


def out_of_fold_probabilities(X: np.ndarray, y: np.ndarray, k: int, epochs: int,
                              seed: int) -> np.ndarray:
    """P(malignant) for every training row, from a model trained on the other folds."""
    result = np.zeros(len(y))
    for train_rows, held_out in data.StratifiedKFold(k, shuffle=True, seed=seed).split(X, y):
        result[held_out] = probabilities(train(X[train_rows], y[train_rows], epochs, seed),
                                         X[held_out])
    return result


def scores(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[float, float, float, float]:
    return (metrics.accuracy(y_true, y_pred), metrics.precision(y_true, y_pred),
            metrics.recall(y_true, y_pred), metrics.f1_score(y_true, y_pred))


def threshold_curves(y: np.ndarray, p: np.ndarray, grid: np.ndarray) -> dict[str, np.ndarray]:
    """Precision, recall and F1 when calling 'malignant' at p >= t, for each t in grid."""
    curves: dict[str, list[float]] = {"precision": [], "recall": [], "F1": []}
    for t in grid:
        pred = (p >= t).astype(int)
        _, precision, recall, f1 = scores(y, pred) if pred.any() else (0, 1.0, 0.0, 0.0)
        for name, value in zip(curves, (precision, recall, f1)):
            curves[name].append(value)
    return {name: np.array(values) for name, values in curves.items()}


def plot_threshold(y: np.ndarray, p: np.ndarray, chosen: float) -> Any:
    import matplotlib.pyplot as plt

    grid = np.linspace(0.02, 0.9, 89)
    fig, ax = plt.subplots(figsize=(8.5, 4.8))
    for i, (name, values) in enumerate(threshold_curves(y, p, grid).items()):
        ax.plot(grid, values, linewidth=2, color=f"C{i}", label=name)
    ax.axvline(0.5, color="gray", linestyle="--", label="the habit: 0.5")
    ax.axvline(chosen, color="black", linestyle=":", label=f"chosen: {chosen:.2f}")
    ax.set_xlabel("threshold: call it malignant when P(malignant) >= threshold")
    ax.set_ylabel("score (training rows, out-of-fold)")
    ax.set_title("Raising the threshold trades recall for precision")
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=5, frameon=False,
              fontsize=10)
    fig.tight_layout()
    return fig


def plot_remedies(rows: list[tuple[Any, ...]]) -> Any:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(13, 4.8))
    x = np.arange(len(rows))
    for i, name in enumerate(("accuracy", "precision", "recall", "F1")):
        bars = ax.bar(x + (i - 1.5) * 0.2, [row[1 + i] for row in rows], width=0.2,
                      color=f"C{7 if i == 0 else i - 1}", label=name)
        ax.bar_label(bars, fmt="%.2f", fontsize=8, padding=1)
    ax.set_xticks(x, [row[0] for row in rows])
    ax.set_ylim(0, 1.1)
    ax.set_ylabel("test score (malignant = positive)")
    ax.set_title("All remedies on the same test set (malignant = the positive class)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=4, frameon=False)
    fig.tight_layout()
    return fig


def run(out_dir: Path, quick: bool, seed: int = 0) -> dict[str, Any]:
    X, y = make_imbalanced(keep=0.3, seed=seed)
    X_train, X_test, y_train, y_test = data.train_test_split(X, y, test_size=0.3, stratify=y,
                                                             seed=seed)
    print(f"{len(y)} tumours, {y.sum()} malignant ({y.mean():.1%}); "
          f"train {len(y_train)} ({y_train.sum()} malignant), "
          f"test {len(y_test)} ({y_test.sum()} malignant)")
    print(f"balanced class weights: {np.round(data.class_weights(y_train), 2).tolist()}")
    # A small model trained briefly: its probabilities for the rare class stay cautious,
    # as they often are on imbalanced data. The demo is fast, so quick changes nothing.
    epochs, k = 60, 3

    rows = [("always 'benign'", *scores(y_test, np.zeros_like(y_test)))]
    plain = train(X_train, y_train, epochs, seed)
    rows.append(("plain training", *scores(y_test, probabilities(plain, X_test) >= 0.5)))
    weighted = train(X_train, y_train, epochs, seed, class_weight="balanced")
    rows.append(("class weights", *scores(y_test, probabilities(weighted, X_test) >= 0.5)))
    for name, resample in (("oversampling", data.oversample),
                           ("undersampling", data.undersample)):
        X_res, y_res = resample(X_train, y_train, seed=seed)
        model = train(X_res, y_res, epochs, seed)
        rows.append((name, *scores(y_test, probabilities(model, X_test) >= 0.5)))

    p_oof = out_of_fold_probabilities(X_train, y_train, k, epochs, seed)
    threshold, cv_f1 = metrics.best_threshold(y_train, p_oof, metric="f1")
    tuned_pred = (probabilities(plain, X_test) >= threshold).astype(int)
    rows.append((f"plain, threshold {threshold:.2f}", *scores(y_test, tuned_pred)))
    print(f"threshold chosen by {k}-fold cross-validation on the training rows: "
          f"{threshold:.3f} (out-of-fold F1 {cv_f1:.3f}; at 0.5: "
          f"{metrics.f1_score(y_train, p_oof >= 0.5):.3f})")

    print("\nTest set, malignant = positive class:")
    print_table(["method", "accuracy", "precision", "recall", "F1"], rows, digits=3)

    save_figure(plot_threshold(y_train, p_oof, threshold), out_dir, "imbalanced_threshold.png")
    save_figure(plot_remedies([(row[0].replace("plain, threshold", "threshold"), *row[1:])
                               for row in rows[1:]]), out_dir, "imbalanced_remedies.png")
    by_name = {row[0].split(",")[0]: row for row in rows}
    return {
        "always_benign_accuracy": by_name["always 'benign'"][1],
        "always_benign_recall": by_name["always 'benign'"][3],
        "plain_accuracy": by_name["plain training"][1],
        "plain_recall": by_name["plain training"][3],
        "plain_f1": by_name["plain training"][4],
        "class_weights_recall": by_name["class weights"][3],
        "class_weights_f1": by_name["class weights"][4],
        "oversampling_recall": by_name["oversampling"][3],
        "oversampling_f1": by_name["oversampling"][4],
        "undersampling_f1": by_name["undersampling"][4],
        "tuned_threshold": threshold,
        "tuned_threshold_f1": rows[-1][4],
    }
