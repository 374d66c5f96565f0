"""Overfitting: a big model on small data, and three ways to keep it honest.

With 100 training examples and a network of 17,000 weights, the network can
simply memorise the training set: its training loss goes to 0 and its training
accuracy to 100%, while on new data it gets worse and worse. The two curves of
`viz.plot_history` show it: the training loss keeps falling, the validation loss
reaches a minimum and then climbs. That turning point is where overfitting starts.

The data: breast cancer, only 4 of its 30 measurements (texture, smoothness,
symmetry, fractal dimension, which separate the classes only partly) and only
170 tumours to learn from; the other 399 are kept as a test set.

Three remedies, compared on the same test set:

* dropout: `nn.Dropout(0.7)` switches off 70% of the hidden neurons at random in
  every training step, so the network cannot rely on memorised combinations (0.5
  is the usual start; with only 102 rows to learn from it takes more: at 0.5 the
  validation loss here still creeps up);
* early stopping: `nn.EarlyStopping(patience=10)` stops when the validation loss has
  not improved for 10 epochs and restores the weights of the best epoch;
* k-fold cross-validation (`nn.cross_validate`): one validation split of 68 rows
  gives a noisy score. Training k models, each tested on a different fifth of
  the data, gives k scores: their mean is a steadier estimate and their spread
  shows how much one split can mislead. Use it to choose between models, then
  report the chosen model once on the untouched test set.
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

OUTPUTS = ("overfitting_plain.png", "overfitting_dropout.png")
FEATURES = [1, 4, 8, 9]  # mean texture, smoothness, symmetry, fractal dimension


def big_model(dropout: float = 0.0) -> nn.Module:
    """4 -> 128 -> 128 -> 2: far more weights than 100 examples can pin down."""
    def maybe_dropout() -> list[nn.Module]:
        return [nn.Dropout(dropout)] if dropout > 0 else []

    return nn.Sequential(
        nn.Linear(len(FEATURES), 128), nn.ReLU(), *maybe_dropout(),
        nn.Linear(128, 128), nn.ReLU(), *maybe_dropout(),
        nn.Linear(128, 2),
    )


DROPOUT = 0.7


def adam(params: Any) -> Any:
    return optim.Adam(params, lr=0.001)


def test_accuracy(model: nn.Module, X: np.ndarray, y: np.ndarray) -> float:
    model.eval()
    with tg.no_grad():
        return metrics.accuracy(y, model(Tensor(X)).numpy().argmax(axis=1))


def run(out_dir: Path, quick: bool, seed: int = 0) -> dict[str, Any]:
    X, y = data.load_breast_cancer()
    X = X[:, FEATURES]
    X_small, X_test, y_small, y_test = data.train_test_split(X, y, test_size=0.7, stratify=y,
                                                             seed=seed)
    X_train, X_val, y_train, y_val = data.train_test_split(X_small, y_small, test_size=0.4,
                                                           stratify=y_small, seed=seed)
    scaler = data.StandardScaler().fit(X_train)
    X_train_s, X_val_s, X_test_s = (scaler.transform(a) for a in (X_train, X_val, X_test))
    print(f"{len(X_train)} training, {len(X_val)} validation, {len(X_test)} test tumours; "
          f"model with {big_model().num_parameters()} parameters")
    epochs = 120 if quick else 200
    fit_args = {"epochs": epochs, "batch_size": None, "metrics": ["accuracy"],
                "progress": False, "seed": seed}

    rows, histories = [], {}
    for name, dropout, stopper in (("no remedy", 0.0, None),
                                   (f"dropout {DROPOUT}", DROPOUT, None),
                                   ("early stopping", 0.0, nn.EarlyStopping(patience=10))):
        tg.manual_seed(seed)
        model = big_model(dropout)
        history = nn.fit(model, nn.CrossEntropyLoss(), adam(model.parameters()), X_train_s,
                         y_train, validation_data=(X_val_s, y_val), early_stopping=stopper,
                         **fit_args)
        histories[name] = history
        last = -1 if stopper is None else history.epochs.index(history.best_epoch)
        rows.append((name, len(history.epochs), history["loss"][last], history["val_loss"][last],
                     history["accuracy"][last], test_accuracy(model, X_test_s, y_test)))
    print("\nOne split (the numbers of the model we end up with):")
    print_table(["training", "epochs", "train loss", "val loss", "train acc", "test acc"],
                rows, digits=3)
    rise = {}
    for name in ("no remedy", f"dropout {DROPOUT}"):
        val = histories[name]["val_loss"]
        rise[name] = val[-1] - min(val)
        print(f"{name}: validation loss lowest in epoch {histories[name].best_epoch} (epochs "
              f"counted from 0) at {min(val):.3f}, at the end {val[-1]:.3f} "
              f"(+{rise[name]:.3f})")

    save_figure(viz.plot_history(histories["no remedy"]), out_dir, "overfitting_plain.png")
    save_figure(viz.plot_history(histories[f"dropout {DROPOUT}"]), out_dir,
                "overfitting_dropout.png")

    # k-fold cross-validation on all 170 small-data rows (the scaler is fitted per fold)
    k = 3 if quick else 5
    cv_rows = []
    for name, make in (("no remedy", big_model),
                       (f"dropout {DROPOUT}", lambda: big_model(DROPOUT))):
        result = nn.cross_validate(make, adam, nn.CrossEntropyLoss(), X_small, y_small, k=k,
                                   metrics=["accuracy"], seed=seed, epochs=epochs,
                                   batch_size=None)
        scores = result.scores["accuracy"]
        cv_rows.append((name, result.mean["accuracy"], result.std["accuracy"], min(scores),
                        max(scores)))
    print(f"\n{k}-fold cross-validation on the {len(y_small)} small-data rows (accuracy):")
    print_table(["model", "mean", "std", "worst fold", "best fold"], cv_rows, digits=3)
    print("one split's score can land anywhere between the worst and the best fold")

    by_name = {row[0]: row for row in rows}
    return {
        "train_accuracy_no_remedy": by_name["no remedy"][4],
        "test_accuracy_no_remedy": by_name["no remedy"][5],
        "test_accuracy_dropout": by_name[f"dropout {DROPOUT}"][5],
        "val_loss_rise_no_remedy": rise["no remedy"],
        "val_loss_rise_dropout": rise[f"dropout {DROPOUT}"],
        "test_accuracy_early_stopping": by_name["early stopping"][5],
        "cv_accuracy_no_remedy": cv_rows[0][1],
        "cv_accuracy_dropout": cv_rows[1][1],
    }
