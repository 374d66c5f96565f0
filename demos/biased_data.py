"""Biased data: a training set that does not look like the world the model will meet.

Breast cancer data again, but this time someone collected the training tumours
from one clinic that only saw SMALL tumours (mean radius below the median). Of
those, only 1 in 16 is malignant. The test set is an honest random sample of
all tumours, small and large, and among the large ones most are malignant.

We train the same network twice, on training sets of the same size:

* biased: only the small tumours;
* representative: a random sample of all training tumours.

and score both on the small and on the large test tumours separately. On the
small ones both do well: that is the world the biased model knows. On the large
ones the biased model has never seen anything like them: its inputs lie outside
the range it learnt from (after scaling, several standard deviations out), and
what a network does out there is not learnt, it is whatever its weights happen
to extrapolate. Here it calls most malignant tumours benign.

No amount of training fixes this: the information is not in the data. The fix is
in the collection: the training data must cover the cases the model will be used
on, in roughly the right proportions. Check it before training: compare the
ranges (and class shares) of training data and the data the model will meet.
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

OUTPUTS = ("biased_data.png",)
RADIUS = 0  # column of the mean radius


def train_and_predict(X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray,
                      epochs: int, seed: int) -> np.ndarray:
    """Scale on the training rows, train a small network, predict 1 (malignant) or 0."""
    scaler = data.StandardScaler().fit(X_train)
    tg.manual_seed(seed)
    model = nn.Sequential(nn.Linear(X_train.shape[1], 16), nn.ReLU(), nn.Linear(16, 1))
    nn.fit(model, nn.BCEWithLogitsLoss(), optim.Adam(model.parameters(), lr=0.01),
           scaler.transform(X_train), y_train.reshape(-1, 1).astype(float), epochs=epochs,
           progress=False)
    with tg.no_grad():
        return (model(Tensor(scaler.transform(X_test))).numpy().reshape(-1) > 0).astype(int)


def plot(radius_train: dict[str, np.ndarray], radius_test: np.ndarray, cut: float,
         scores: dict[str, dict[str, float]]) -> Any:
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.8))
    bins = np.linspace(radius_test.min(), radius_test.max(), 25)
    left.hist(radius_test, bins=bins, color="lightgray", label="test tumours (all kinds)")
    for i, (name, radius) in enumerate(radius_train.items()):
        left.hist(radius, bins=bins, histtype="step", linewidth=2, color=f"C{i}",
                  label=f"training set: {name}")
    left.axvline(cut, color="black", linestyle=":", label="median radius")
    left.set_xlabel("mean radius of the tumour")
    left.set_ylabel("tumours")
    left.set_title("What each training set covers")
    left.legend(fontsize=10)

    groups = list(next(iter(scores.values())))
    x = np.arange(len(groups))
    for i, (name, by_group) in enumerate(scores.items()):
        values = [by_group[g] for g in groups]
        bars = right.bar(x + (i - 0.5) * 0.38, values, width=0.38, color=f"C{i}",
                         label=f"trained on {name}")
        right.bar_label(bars, fmt="%.2f", fontsize=10)
    right.set_xticks(x, groups)
    right.set_ylim(0, 1.12)
    right.set_ylabel("score on the test tumours")
    right.set_title("Test scores: small vs large tumours")
    right.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2, frameon=False)
    fig.tight_layout()
    return fig


def run(out_dir: Path, quick: bool, seed: int = 0) -> dict[str, Any]:
    X, y = data.load_breast_cancer()
    malignant = (y == 0).astype(np.int64)  # the class we must find is the positive one
    X_pool, X_test, y_pool, y_test = data.train_test_split(X, malignant, test_size=0.3,
                                                           stratify=malignant, seed=seed)
    cut = float(np.median(X_pool[:, RADIUS]))
    small = X_pool[:, RADIUS] < cut
    rng = np.random.default_rng(seed)
    sample = rng.choice(len(y_pool), size=int(small.sum()), replace=False)
    training_sets = {"small tumours only": (X_pool[small], y_pool[small]),
                     "a random sample": (X_pool[sample], y_pool[sample])}
    large_test = X_test[:, RADIUS] >= cut
    epochs = 60 if quick else 150
    print(f"median mean radius {cut:.2f}; test set: {len(y_test)} tumours, "
          f"{large_test.sum()} large ({y_test[large_test].mean():.0%} malignant), "
          f"{(~large_test).sum()} small ({y_test[~large_test].mean():.0%} malignant)")
    for name, (X_tr, y_tr) in training_sets.items():
        print(f"training set '{name}': {len(y_tr)} tumours, {y_tr.mean():.0%} malignant, "
              f"radius {X_tr[:, RADIUS].min():.1f}..{X_tr[:, RADIUS].max():.1f}")

    rows, scores = [], {}
    for name, (X_tr, y_tr) in training_sets.items():
        pred = train_and_predict(X_tr, y_tr, X_test, epochs, seed)
        by_group = {  # few small tumours are malignant, so recall is scored on large ones only
            "accuracy, small": metrics.accuracy(y_test[~large_test], pred[~large_test]),
            "accuracy, large": metrics.accuracy(y_test[large_test], pred[large_test]),
            "recall, large": metrics.recall(y_test[large_test], pred[large_test]),
        }
        scores[name] = by_group
        rows.append((name, *by_group.values()))
    print("\nTest scores (recall: the share of malignant tumours found):")
    print_table(["trained on", "accuracy small", "accuracy large", "recall large"], rows,
                digits=3)

    save_figure(plot({n: X_tr[:, RADIUS] for n, (X_tr, _) in training_sets.items()},
                     X_test[:, RADIUS], cut, scores), out_dir, "biased_data.png")
    biased, fair = scores["small tumours only"], scores["a random sample"]
    return {"biased_accuracy_small": biased["accuracy, small"],
            "biased_accuracy_large": biased["accuracy, large"],
            "biased_recall_large": biased["recall, large"],
            "representative_accuracy_large": fair["accuracy, large"],
            "representative_recall_large": fair["recall, large"]}
