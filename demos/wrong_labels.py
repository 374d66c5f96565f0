"""Wrong labels: what they cost, and how the loss points a reviewer at them.

Real labels are made by people, and people slip. We simulate that on the digits:
20% of the training labels are changed to a random other digit (the test labels
stay right, so the test accuracy tells the truth).

1. The cost: the same network trained on the wrong labels does worse on the test
   set, and the longer it trains the worse it gets, because it starts to learn
   the wrong labels by heart (the full run also shows 10 epochs, where the damage
   is still small: early stopping helps here too).
2. Finding them: an example whose label is wrong looks like one digit but is
   called another, so a model that has learnt the real pattern finds it hard: its
   loss, -log p(given label), is high. We ask models that did NOT train on the
   example (3-fold cross-validation: each third is judged by a model trained on
   the other two thirds), so no model can have memorised the wrong label, and sort
   the training examples by that loss, hardest first.
3. Manual review made practical: a person cannot check 1257 images, but can check
   the top of that list. We count how many of the wrong labels the top of the
   list holds, let the "reviewer" correct those, and train again.
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

OUTPUTS = ("wrong_labels.png",)
SHARE_WRONG = 0.2


def flip_labels(y: np.ndarray, share: float, rng: np.random.Generator) -> tuple[np.ndarray,
                                                                                np.ndarray]:
    """A copy of y with a share of its labels changed to a random other class; and which."""
    wrong = rng.choice(len(y), size=int(share * len(y)), replace=False)
    noisy = y.copy()
    noisy[wrong] = (y[wrong] + rng.integers(1, 10, size=len(wrong))) % 10  # never the same
    return noisy, wrong


def train(X: np.ndarray, y: np.ndarray, epochs: int, seed: int) -> nn.Module:
    tg.manual_seed(seed)
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    nn.fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.01), X, y,
           epochs=epochs, batch_size=64, progress=False, seed=seed)
    return model


def test_accuracy(model: nn.Module, X: np.ndarray, y: np.ndarray) -> float:
    with tg.no_grad():
        return metrics.accuracy(y, model(Tensor(X)).numpy().argmax(axis=1))


def losses(model: nn.Module, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Cross-entropy of every row on its own: -log p(label y_i | x_i)."""
    with tg.no_grad():
        log_p = model(Tensor(X)).log_softmax(axis=1).numpy()
    return -log_p[np.arange(len(y)), y]


def out_of_fold_losses(X: np.ndarray, y: np.ndarray, k: int, epochs: int,
                       seed: int) -> np.ndarray:
    """Each row's loss under a model trained on the other folds (it never saw the row)."""
    result = np.zeros(len(y))
    for train_rows, held_out in data.KFold(k, shuffle=True, seed=seed).split(X):
        model = train(X[train_rows], y[train_rows], epochs, seed)
        result[held_out] = losses(model, X[held_out], y[held_out])
    return result


def plot(order: np.ndarray, is_wrong: np.ndarray, X: np.ndarray, y_given: np.ndarray,
         y_true: np.ndarray) -> Any:
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(13, 5), layout="constrained")
    grid = fig.add_gridspec(2, 6, width_ratios=[6, 1, 1, 1, 1, 1])
    ax = fig.add_subplot(grid[:, 0])
    n = len(order)
    reviewed = np.arange(1, n + 1)
    ax.plot(reviewed, np.cumsum(is_wrong[order]) / is_wrong.sum(), linewidth=2,
            label="hardest first (highest loss)")
    ax.plot(reviewed, reviewed / n, "--", color="gray", label="in random order")
    ax.axvline(is_wrong.sum(), color="C3", linestyle=":",
               label=f"{is_wrong.sum()} reviewed (as many as are wrong)")
    ax.set_xlabel("training examples reviewed")
    ax.set_ylabel("share of the wrong labels found")
    ax.set_title("Review the examples the model finds hardest")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=10)
    for i, row in enumerate(order[:10]):  # the ten hardest examples
        cell = fig.add_subplot(grid[i // 5, 1 + i % 5])
        cell.imshow(X[row].reshape(8, 8), cmap="gray_r")
        verdict = "wrong" if y_given[row] != y_true[row] else "right"
        cell.set_title(f"label {y_given[row]}\n({verdict})", fontsize=11,
                       color="C3" if verdict == "wrong" else "black")
        cell.set_xticks([])
        cell.set_yticks([])
    return fig


def run(out_dir: Path, quick: bool, seed: int = 0) -> dict[str, Any]:
    X, y = data.load_digits()
    X = X / 16.0
    X_train, X_test, y_train, y_test = data.train_test_split(X, y, test_size=0.3, stratify=y,
                                                             seed=seed)
    y_noisy, wrong = flip_labels(y_train, SHARE_WRONG, np.random.default_rng(seed))
    is_wrong = np.zeros(len(y_train), dtype=bool)
    is_wrong[wrong] = True
    print(f"{len(y_train)} training images, {is_wrong.sum()} of them "
          f"({SHARE_WRONG:.0%}) with a wrong label; {len(y_test)} test images, all right")

    epochs = 25 if quick else 40
    rows = []
    for n_epochs in ([epochs] if quick else [10, epochs]):
        clean = test_accuracy(train(X_train, y_train, n_epochs, seed), X_test, y_test)
        noisy = test_accuracy(train(X_train, y_noisy, n_epochs, seed), X_test, y_test)
        rows.append((f"{n_epochs} epochs", clean, noisy))
    print("\n1. Test accuracy with right and with wrong training labels:")
    print_table(["training", "right labels", "20% wrong"], rows, digits=3)

    k = 3 if quick else 5
    loss = out_of_fold_losses(X_train, y_noisy, k, epochs=10, seed=seed)
    order = np.argsort(-loss)  # hardest first
    top = order[:is_wrong.sum()]
    caught = float(is_wrong[top].mean())
    print(f"\n2. Each example's loss from a model that did not train on it ({k} folds):")
    print(f"  mean loss of the wrong labels {loss[is_wrong].mean():.2f}, "
          f"of the right ones {loss[~is_wrong].mean():.2f}")
    print(f"  the {len(top)} hardest examples hold {is_wrong[top].sum()} of the "
          f"{is_wrong.sum()} wrong labels ({caught:.1%}); a random pick would hold "
          f"{SHARE_WRONG:.0%}")

    reviewed = y_noisy.copy()
    reviewed[top] = y_train[top]  # the reviewer looks at each flagged image and fixes it
    after = test_accuracy(train(X_train, reviewed, epochs, seed), X_test, y_test)
    left = int((reviewed != y_train).sum())
    print(f"\n3. After reviewing those {len(top)} images ({left} wrong labels left), "
          f"{epochs} epochs again: test accuracy {rows[-1][2]:.3f} -> {after:.3f} "
          f"(right labels: {rows[-1][1]:.3f})")

    save_figure(plot(order, is_wrong, X_train, y_noisy, y_train), out_dir, "wrong_labels.png")
    return {"test_accuracy_right_labels": rows[-1][1], "test_accuracy_wrong_labels": rows[-1][2],
            "wrong_caught_in_top": caught, "test_accuracy_after_review": after}
