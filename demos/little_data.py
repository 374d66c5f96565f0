"""Too little data, and three remedies side by side: augmentation, transfer, a simpler model.

Only 3 labelled images of each digit, 30 in all, to learn ten classes from. A
network with 26,000 weights learns those 30 by heart (training accuracy 100%)
and then meets ~870 new images. Three things help, each in its own way:

* Data augmentation: make more training images from the ones we have, by changes
  that do not change the answer. Here each image is also rotated a little
  (±6 and ±12 degrees) and moved half a pixel up, down, left and right, so every
  labelled image becomes nine. The change must keep the label true: mirroring
  would turn a 3 into something that is no digit, and moving a whole pixel
  (an eighth of the image) shifts the digits further than any real one sits.
* Transfer learning: reuse a network that has learnt from a large data set.
  Here it learnt the digits from 898 other people's images; we keep its body
  (the hidden layers) frozen with PyTorch's idiom `p.requires_grad = False`,
  cut it off with `model[:4]` (slicing an `nn.Sequential`), and train only a
  new output layer on our 30 images. The body already knows which strokes
  matter; the new head only has to learn how to read them.
* A simpler model: one linear layer (650 weights) with weight decay, which
  pulls every weight towards 0. Fewer and smaller weights cannot memorise as
  much, so they must stick to the broad pattern.

Every model sees the same 30 images and is tested on the same held-out images.
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

OUTPUTS = ("little_data.png",)
PER_CLASS = 3  # labelled images of each digit


def rotate(images: np.ndarray, degrees: float) -> np.ndarray:
    """Rotate 8x8 images (rows of 64 pixels) about their centre, by bilinear interpolation.

    Each output pixel looks up where it came from in the input and mixes the four
    input pixels around that point; pixels from outside the image are 0 (blank).
    """
    angle = np.deg2rad(degrees)
    row, col = np.meshgrid(np.arange(8.0), np.arange(8.0), indexing="ij")
    src_row = 3.5 + (row - 3.5) * np.cos(angle) - (col - 3.5) * np.sin(angle)
    src_col = 3.5 + (row - 3.5) * np.sin(angle) + (col - 3.5) * np.cos(angle)
    return _sample(images.reshape(-1, 8, 8), src_row, src_col).reshape(len(images), 64)


def half_pixel_shift(images: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Move 8x8 images half a pixel (rows, cols in -1, 0, 1 give the direction)."""
    row, col = np.meshgrid(np.arange(8.0), np.arange(8.0), indexing="ij")
    return _sample(images.reshape(-1, 8, 8), row - 0.5 * rows,
                   col - 0.5 * cols).reshape(len(images), 64)


def _sample(images: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """images at the (fractional) positions rows, cols: bilinear, 0 outside the image."""
    r0, c0 = np.floor(rows).astype(int), np.floor(cols).astype(int)
    fr, fc = rows - r0, cols - c0
    out = np.zeros_like(images)
    for dr, dc, weight in ((0, 0, (1 - fr) * (1 - fc)), (1, 0, fr * (1 - fc)),
                           (0, 1, (1 - fr) * fc), (1, 1, fr * fc)):
        r, c = r0 + dr, c0 + dc
        inside = (r >= 0) & (r < 8) & (c >= 0) & (c < 8)
        out += np.where(inside, images[:, np.clip(r, 0, 7), np.clip(c, 0, 7)], 0.0) * weight
    return out


def augment(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each image plus 4 rotations and 4 half-pixel shifts: nine images per label."""
    copies = [X] + [rotate(X, d) for d in (-12, -6, 6, 12)]
    copies += [half_pixel_shift(X, r, c) for r, c in ((1, 0), (-1, 0), (0, 1), (0, -1))]
    return np.concatenate(copies), np.tile(y, len(copies))


def big_model() -> nn.Sequential:
    return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(),
                         nn.Linear(128, 10))


def train(model: nn.Module, X: np.ndarray, y: np.ndarray, epochs: int, *, lr: float = 0.01,
          weight_decay: float = 0.0, batch_size: int | None = None) -> None:
    trainable = [p for p in model.parameters() if p.requires_grad]  # frozen ones left out
    nn.fit(model, nn.CrossEntropyLoss(), optim.Adam(trainable, lr=lr, weight_decay=weight_decay),
           X, y, epochs=epochs, batch_size=batch_size, progress=False, seed=0)


def accuracy(model: nn.Module, X: np.ndarray, y: np.ndarray) -> float:
    model.eval()
    with tg.no_grad():
        return metrics.accuracy(y, model(Tensor(X)).numpy().argmax(axis=1))


def plot(example: np.ndarray, rows: list[tuple[str, float]], big_data: float) -> Any:
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(13, 4.8), layout="constrained")
    grid = fig.add_gridspec(2, 4, width_ratios=[1, 1, 1, 3.2])
    images = [("original", example)] + [(f"{d:+d}°", rotate(example[None], d)[0])
                                        for d in (-12, 12)]
    images += [(name, half_pixel_shift(example[None], r, c)[0])
               for name, (r, c) in (("½ px up", (-1, 0)), ("½ px right", (0, 1)))]
    for i, (title, image) in enumerate(images):  # a 2 x 3 grid, the last cell empty
        ax = fig.add_subplot(grid[i // 3, i % 3])
        ax.imshow(image.reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(title, fontsize=12)
        ax.set_xticks([])
        ax.set_yticks([])
    bars = fig.add_subplot(grid[:, 3])
    names = [name for name, _ in rows]
    values = [value for _, value in rows]
    colors = ["C7"] + ["C0"] * (len(rows) - 1)
    bars.barh(names[::-1], values[::-1], color=colors[::-1])
    for i, value in enumerate(values[::-1]):
        bars.text(value + 0.005, i, f"{value:.3f}", va="center", fontsize=11)
    bars.axvline(big_data, color="C2", linestyle="--",
                 label=f"big model, 898 images: {big_data:.3f}")
    bars.set_xlim(0.5, 1.0)
    bars.set_xlabel("test accuracy")
    bars.set_title(f"{10 * PER_CLASS} training images ({PER_CLASS} per digit)", fontsize=12)
    bars.legend(loc="upper right", fontsize=10)
    return fig


def run(out_dir: Path, quick: bool, seed: int = 0) -> dict[str, Any]:
    X, y = data.load_digits()
    X = X / 16.0  # pixels 0..1; no per-pixel scaler: a scaler fitted on 30 images is noise
    # half the images belong to "other people" (for transfer), the rest are ours
    X_other, X_ours, y_other, y_ours = data.train_test_split(X, y, test_size=0.5, stratify=y,
                                                             seed=seed)
    rng = np.random.default_rng(seed)
    few = np.concatenate([rng.choice(np.flatnonzero(y_ours == digit), PER_CLASS, replace=False)
                          for digit in range(10)])
    test = np.setdiff1d(np.arange(len(y_ours)), few)
    X_few, y_few, X_test, y_test = X_ours[few], y_ours[few], X_ours[test], y_ours[test]
    X_aug, y_aug = augment(X_few, y_few)
    epochs = 60 if quick else 150
    print(f"{len(y_few)} training images, {len(y_test)} test images; augmentation makes "
          f"{len(y_aug)}; the transferred network learnt from {len(y_other)} other images")

    rows = []
    tg.manual_seed(seed)
    model = big_model()
    train(model, X_few, y_few, epochs)
    rows.append(("big model, no remedy", accuracy(model, X_few, y_few),
                 accuracy(model, X_test, y_test)))

    tg.manual_seed(seed)
    model = big_model()
    train(model, X_aug, y_aug, epochs)
    rows.append(("big model + augmentation", accuracy(model, X_few, y_few),
                 accuracy(model, X_test, y_test)))

    tg.manual_seed(seed)
    pretrained = big_model()
    train(pretrained, X_other, y_other, 5 if quick else 15, batch_size=32)
    big_data = accuracy(pretrained, X_test, y_test)
    body = pretrained[:4]  # Linear, ReLU, Linear, ReLU: everything but the output layer
    for p in body.parameters():
        p.requires_grad = False  # frozen: no gradient, no update
    model = nn.Sequential(body, nn.Linear(128, 10))  # a fresh head for our task
    frozen = [p.data.copy() for p in body.parameters()]
    train(model, X_few, y_few, epochs, lr=0.03)
    unchanged = all(np.array_equal(p.data, old) for p, old in zip(body.parameters(), frozen))
    n_trained = sum(p.size for p in model.parameters() if p.requires_grad)
    rows.append(("transfer: frozen body, new head", accuracy(model, X_few, y_few),
                 accuracy(model, X_test, y_test)))
    print(f"transfer: {n_trained} of {model.num_parameters()} weights trained; the frozen "
          f"body {'did not change' if unchanged else 'CHANGED'}")

    tg.manual_seed(seed)
    model = nn.Sequential(nn.Linear(64, 10))
    train(model, X_few, y_few, epochs, weight_decay=0.05)
    rows.append(("simpler: linear + weight decay", accuracy(model, X_few, y_few),
                 accuracy(model, X_test, y_test)))

    print_table(["model", "train accuracy", "test accuracy"], rows, digits=3)
    print(f"for comparison, the big model trained on {len(y_other)} images: {big_data:.3f}")
    save_figure(plot(X_few[0], [(name, test_acc) for name, _, test_acc in rows], big_data),
                out_dir, "little_data.png")
    return {"test_accuracy_no_remedy": rows[0][2], "train_accuracy_no_remedy": rows[0][1],
            "test_accuracy_augmentation": rows[1][2], "test_accuracy_transfer": rows[2][2],
            "test_accuracy_simpler": rows[3][2], "frozen_body_unchanged": unchanged,
            "test_accuracy_big_data": big_data}
