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
  is only a habit. `metrics.best_threshold` picks the threshold with the best F1 on
  the validation data (never on the test data: the threshold is a setting fitted
  to data like any other).

All resampling is done on the training rows only; validation and test keep the
real, imbalanced proportions, because that is what the model will meet. With
so few malignant examples the exact numbers move with the random split; look at
the pattern: accuracy hardly changes while recall and F1 change a lot.
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

OUTPUTS = ("imbalanced_confusion.png",)
FEATURES = [1, 4, 8, 9]  # mean texture, smoothness, symmetry, fractal dimension


def make_imbalanced(keep: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Breast cancer with malignant = 1 and only a fraction `keep` of the malignant rows."""
    X, y = data.load_breast_cancer()  # 0 = malignant, 1 = benign
    malignant = (y == 0).astype(np.int64)
    rng = np.random.default_rng(seed)
    keep_rows = (malignant == 0) | (rng.random(len(y)) < keep)
    return X[keep_rows][:, FEATURES], malignant[keep_rows]


def train(X: np.ndarray, y: np.ndarray, epochs: int, class_weight: Any = None) -> nn.Module:
    """A small network trained with Adam on full batches; returns the trained model."""
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(len(FEATURES), 8), nn.ReLU(), nn.Linear(8, 1))
    nn.fit(model, nn.BCEWithLogitsLoss(), optim.Adam(model.parameters(), lr=0.01),
           X, y.reshape(-1, 1).astype(float), epochs=epochs, class_weight=class_weight,
           progress=False)
    return model


def probabilities(model: nn.Module, X: np.ndarray) -> np.ndarray:
    """P(malignant) for every row: the sigmoid of the model's score."""
    with tg.no_grad():
        return model(Tensor(X)).sigmoid().numpy().reshape(-1)


def scores(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[float, float, float, float]:
    return (metrics.accuracy(y_true, y_pred), metrics.precision(y_true, y_pred),
            metrics.recall(y_true, y_pred), metrics.f1_score(y_true, y_pred))


def run(out_dir: Path, quick: bool) -> dict[str, Any]:
    X, y = make_imbalanced(keep=0.3, seed=0)
    X_train, X_test, y_train, y_test = data.train_test_split(X, y, test_size=0.3, stratify=y,
                                                             seed=1)
    X_train, X_val, y_train, y_val = data.train_test_split(X_train, y_train, test_size=0.3,
                                                           stratify=y_train, seed=1)
    scaler = data.StandardScaler().fit(X_train)
    X_train, X_val, X_test = (scaler.transform(a) for a in (X_train, X_val, X_test))
    print(f"{len(y)} tumours, {y.sum()} malignant ({y.mean():.1%}); "
          f"train {len(y_train)} ({y_train.sum()} malignant), "
          f"validation {len(y_val)} ({y_val.sum()}), test {len(y_test)} ({y_test.sum()})")
    print(f"balanced class weights: {np.round(data.class_weights(y_train), 2).tolist()}")
    epochs = 40 if quick else 150

    rows = [("always 'benign'", *scores(y_test, np.zeros_like(y_test)))]
    plain = train(X_train, y_train, epochs)
    rows.append(("plain training", *scores(y_test, probabilities(plain, X_test) >= 0.5)))
    weighted = train(X_train, y_train, epochs, class_weight="balanced")
    rows.append(("class weights", *scores(y_test, probabilities(weighted, X_test) >= 0.5)))
    for name, resample in (("oversampling", data.oversample),
                           ("undersampling", data.undersample)):
        X_res, y_res = resample(X_train, y_train, seed=0)
        model = train(X_res, y_res, epochs)
        rows.append((name, *scores(y_test, probabilities(model, X_test) >= 0.5)))

    threshold, val_f1 = metrics.best_threshold(y_val, probabilities(plain, X_val), metric="f1")
    tuned_pred = (probabilities(plain, X_test) >= threshold).astype(int)
    rows.append((f"plain, threshold {threshold:.2f}", *scores(y_test, tuned_pred)))
    print(f"threshold chosen on validation data: {threshold:.3f} (validation F1 {val_f1:.3f})")

    print("\nTest set, malignant = positive class:")
    print_table(["method", "accuracy", "precision", "recall", "F1"], rows, digits=3)

    cm = metrics.confusion_matrix(y_test, tuned_pred, labels=[0, 1])
    fig = viz.plot_confusion_matrix(cm, ["benign", "malignant"])
    fig.axes[0].set_title(f"plain model, threshold {threshold:.2f} (test set)")
    fig.set_size_inches(4.5, 3.6)  # two classes: the default size is for ten
    save_figure(fig, out_dir, "imbalanced_confusion.png")
    by_name = {row[0].split(",")[0]: row for row in rows}
    return {
        "always_benign_accuracy": by_name["always 'benign'"][1],
        "always_benign_recall": by_name["always 'benign'"][3],
        "plain_f1": by_name["plain training"][4],
        "class_weights_f1": by_name["class weights"][4],
        "oversampling_f1": by_name["oversampling"][4],
        "undersampling_f1": by_name["undersampling"][4],
        "tuned_threshold": threshold,
        "tuned_threshold_f1": rows[-1][4],
    }
