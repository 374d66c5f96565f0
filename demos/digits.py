"""Ten classes: handwritten digits with softmax, cross-entropy, dropout and early stopping.

Each sample is an 8x8 image of a digit 0..9, flattened to 64 pixel values (0..16).
The network ends in 10 outputs, one score (logit) per class. Softmax turns the
scores into probabilities and cross-entropy punishes a low probability for the
true class:

    p = softmax(z),   loss = -log p[true class]

`nn.CrossEntropyLoss` does both in one stable step, exactly as in PyTorch, so the
model itself ends in a plain `Linear` layer with no softmax.

Three guards against overfitting, all in one `nn.fit` call:

* the data are split three ways: train (to learn from), validation (to decide when
  to stop), test (touched once, at the very end, for the number we report);
* `nn.Dropout(0.3)` switches off a random 30% of the hidden neurons at every
  training step, so no neuron can rely on one other; `model.eval()` turns it off;
* `nn.EarlyStopping` watches the validation loss, stops when it has not improved
  for `patience` epochs, and puts back the weights of the best epoch.

The confusion matrix shows which digits are mistaken for which (rows: true digit,
columns: predicted digit); the diagonal holds the correct answers.
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

OUTPUTS = ("digits_history.png", "digits_confusion.png")


def make_model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(64, 128), nn.ReLU(), nn.Dropout(0.3),
        nn.Linear(128, 10),  # 10 logits; CrossEntropyLoss applies the softmax
    )


def run(out_dir: Path, quick: bool, seed: int = 0) -> dict[str, Any]:
    X, y = data.load_digits()
    # 60% train, 20% validation, 20% test; every part keeps the class proportions
    X_train, X_test, y_train, y_test = data.train_test_split(X, y, test_size=0.2, stratify=y,
                                                             seed=seed)
    X_train, X_val, y_train, y_val = data.train_test_split(X_train, y_train, test_size=0.25,
                                                           stratify=y_train, seed=seed)
    scaler = data.StandardScaler().fit(X_train)  # learn means and spreads from train only
    X_train, X_val, X_test = (scaler.transform(a) for a in (X_train, X_val, X_test))
    print(f"Digits: {len(X_train)} train, {len(X_val)} validation, {len(X_test)} test images")

    tg.manual_seed(seed)
    model = make_model()
    stopper = nn.EarlyStopping(monitor="val_loss", patience=8)
    history = nn.fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.002),
                     X_train, y_train, epochs=6 if quick else 60, batch_size=32,
                     validation_data=(X_val, y_val), early_stopping=stopper,
                     metrics=["accuracy"], progress=False, seed=seed)
    ran = len(history.epochs)
    # History counts epochs from 0 (epoch 0 is the first), and so do the plots
    print(f"trained {ran} epochs (0..{ran - 1}, counted from 0); lowest validation loss in "
          f"epoch {history.best_epoch}"
          + (", whose weights early stopping put back" if history.stopped_epoch is not None
             else ""))

    model.eval()  # dropout off for predictions
    with tg.no_grad():
        y_pred = model(Tensor(X_test)).numpy().argmax(axis=1)
    test_accuracy = metrics.accuracy(y_test, y_pred)
    cm = metrics.confusion_matrix(y_test, y_pred)

    best = history.best_epoch
    print_table(["data", "accuracy"], [
        ("train (best epoch)", history["accuracy"][best]),
        ("validation (best epoch)", history["val_accuracy"][best]),
        ("test", test_accuracy),
    ])
    recall = np.diag(cm) / cm.sum(axis=1)
    worst = int(np.argmin(recall))
    print(f"hardest digit: {worst} (recall {recall[worst]:.3f})")

    save_figure(viz.plot_history(history), out_dir, "digits_history.png")
    save_figure(viz.plot_confusion_matrix(cm, [str(d) for d in range(10)]), out_dir,
                "digits_confusion.png")
    return {"epochs": ran, "best_epoch": best, "test_accuracy": test_accuracy}
