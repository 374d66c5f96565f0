"""Images: a convolutional network (CNN) on the 8x8 digits, against the MLP of `digits`.

The MLP of the `digits` lesson sees an image as 64 unrelated numbers: it would learn
just as well if the pixels were shuffled (the same shuffle for every image). A
convolutional network uses what we know about pictures instead:

* neighbouring pixels belong together: a `Conv2d(1, 16, 3, padding=1)` layer learns
  16 small 3x3 filters, and slides each over the whole image. A filter is one
  pattern detector (a stroke in some direction, an edge, a curve end) with only 9
  weights, used at all 64 positions;
* a pattern means the same wherever it is: the same filter finds a stroke at the top
  and at the bottom (weight sharing), and `MaxPool2d(2)` keeps the strongest answer
  of every 2x2 block, so a stroke one pixel further on still counts;
* a second convolution combines the first layer's 16 maps into 32 maps of bigger
  patterns (loops, corners), and a `Linear` layer reads those to pick the digit.

Shapes on the way: (batch, 64) -> `Unflatten` -> (batch, 1, 8, 8) -> conv -> (batch,
16, 8, 8) -> pool -> (batch, 16, 4, 4) -> conv -> (batch, 32, 4, 4) -> pool -> (batch,
32, 2, 2) -> `Flatten` -> (batch, 128) -> `Linear` -> 10 scores. The channel axis is
axis 1, as in PyTorch.

Both networks get the same training, validation and test images, Adam, early stopping
on the validation loss and dropout. The CNN has fewer weights and, trained in full,
makes about half the mistakes (98.3% against 96.9% on the test digits with seed 0;
the quick run trains too little to show it). A stress test shows why: every test
digit moved one pixel (further than the digits of this data set ever sit, which is
why the `little_data` lesson does not augment with it). The MLP has learnt which of
its 64 inputs light up for each digit and loses much of its accuracy; the CNN's
filters still find the strokes.

The picture shows the 16 filters the first layer learnt, and what each makes of one
test digit: every map lights up where its pattern is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

import nn
import tinygrad_dk as tg
import viz
from demos._common import output_file, print_table, save_figure, wrote
from demos.digits import make_model as make_mlp
from nn import data, metrics, optim
from tinygrad_dk import Tensor

OUTPUTS = ("cnn_filters.png", "cnn_graph.svg")


def make_cnn() -> nn.Module:
    return nn.Sequential(
        nn.Unflatten(1, (1, 8, 8)),                  # 64 pixels -> one channel of 8x8
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(),   # 16 filters of 3x3: (16, 8, 8)
        nn.MaxPool2d(2),                             # (16, 4, 4)
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(),  # 32 filters over all 16 maps
        nn.MaxPool2d(2),                             # (32, 2, 2)
        nn.Flatten(), nn.Dropout(0.3),
        nn.Linear(128, 10),                          # 10 scores (logits)
    )


def shifted_by_one_pixel(images: np.ndarray, seed: int) -> np.ndarray:
    """Every 8x8 image (a row of 64) moved one pixel up, down, left or right (at random);
    the row or column that comes in is blank (0)."""
    rng = np.random.default_rng(seed)
    out = np.zeros_like(images).reshape(-1, 8, 8)
    pictures = images.reshape(-1, 8, 8)
    for i, direction in enumerate(rng.integers(0, 4, len(images))):
        if direction == 0:
            out[i, :-1] = pictures[i, 1:]         # up
        elif direction == 1:
            out[i, 1:] = pictures[i, :-1]         # down
        elif direction == 2:
            out[i, :, :-1] = pictures[i, :, 1:]   # left
        else:
            out[i, :, 1:] = pictures[i, :, :-1]   # right
    return out.reshape(len(images), 64)


def train(model: nn.Module, X_train: np.ndarray, y_train: np.ndarray, X_val: np.ndarray,
          y_val: np.ndarray, lr: float, epochs: int, seed: int) -> int:
    """Adam with early stopping on the validation loss; returns the epochs run."""
    history = nn.fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=lr),
                     X_train, y_train, epochs=epochs, batch_size=32,
                     validation_data=(X_val, y_val),
                     early_stopping=nn.EarlyStopping(monitor="val_loss", patience=8),
                     progress=False, seed=seed)
    model.eval()  # dropout off from here on
    return len(history.epochs)


def accuracy(model: nn.Module, X: np.ndarray, y: np.ndarray) -> float:
    with tg.no_grad():
        return metrics.accuracy(y, model(Tensor(X.astype(np.float32))).numpy().argmax(axis=1))


def plot_filters(model: nn.Module, image: np.ndarray, label: int) -> Any:
    """The first layer's 16 filters, each above the feature map it makes of ``image``."""
    import matplotlib.pyplot as plt

    conv = model[1]
    filters = conv.weight.numpy()[:, 0]  # (16, 3, 3)
    with tg.no_grad():
        maps = model[2](conv(Tensor(image.reshape(1, 1, 8, 8).astype(np.float32)))).numpy()[0]
    fig = plt.figure(figsize=(11, 5.6))
    grid = fig.add_gridspec(4, 10, width_ratios=[2.2, 0.4] + [1] * 8)
    ax = fig.add_subplot(grid[1:3, 0])
    ax.imshow(image.reshape(8, 8), cmap="gray_r")
    ax.set_title(f"a test digit ({label})", fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
    bound = np.abs(filters).max()
    for k in range(16):
        row, col = 2 * (k // 8), 2 + k % 8
        top, bottom = fig.add_subplot(grid[row, col]), fig.add_subplot(grid[row + 1, col])
        top.imshow(filters[k], cmap="RdBu_r", vmin=-bound, vmax=bound)
        top.set_title(f"filter {k}", fontsize=9)
        bottom.imshow(maps[k], cmap="viridis")
        for a in (top, bottom):
            a.set_xticks([])
            a.set_yticks([])
        if col == 2:
            top.set_ylabel("3x3 weights", fontsize=9)
            bottom.set_ylabel("its map", fontsize=9)
    fig.suptitle("The 16 filters of the first convolution (red: +, blue: -) and where each "
                 "finds its pattern\n(the map after ReLU: bright where the filter matches)",
                 fontsize=11)
    return fig


def run(out_dir: Path, quick: bool, seed: int = 0) -> dict[str, Any]:
    X, y = data.load_digits()
    # the split of the `digits` lesson: 60% train, 20% validation, 20% test
    X_train, X_test, y_train, y_test = data.train_test_split(X, y, test_size=0.2, stratify=y,
                                                             seed=seed)
    X_train, X_val, y_train, y_val = data.train_test_split(X_train, y_train, test_size=0.25,
                                                           stratify=y_train, seed=seed)
    X_shifted = shifted_by_one_pixel(X_test, seed)
    print(f"Digits: {len(X_train)} train, {len(X_val)} validation, {len(X_test)} test images")

    # The MLP gets standardised pixels (as in `digits`); the CNN the pixels / 16 in 0..1:
    # one scale for the whole image keeps the picture a picture.
    scaler = data.StandardScaler().fit(X_train)
    tg.manual_seed(seed)
    mlp = make_mlp()
    mlp_epochs = train(mlp, scaler.transform(X_train), y_train, scaler.transform(X_val), y_val,
                       lr=0.002, epochs=6 if quick else 60, seed=seed)
    tg.manual_seed(seed)
    cnn = make_cnn()
    cnn_epochs = train(cnn, X_train / 16, y_train, X_val / 16, y_val, lr=0.003,
                       epochs=6 if quick else 60, seed=seed)
    print(f"trained the MLP {mlp_epochs} epochs and the CNN {cnn_epochs} (at most "
          f"{6 if quick else 60}; early stopping watches the validation loss)")

    numbers = {
        "mlp_test_accuracy": accuracy(mlp, scaler.transform(X_test), y_test),
        "cnn_test_accuracy": accuracy(cnn, X_test / 16, y_test),
        "mlp_shifted_accuracy": accuracy(mlp, scaler.transform(X_shifted), y_test),
        "cnn_shifted_accuracy": accuracy(cnn, X_shifted / 16, y_test),
        "mlp_weights": mlp.num_parameters(),
        "cnn_weights": cnn.num_parameters(),
    }
    print_table(["model", "weights", "test accuracy", "digits moved 1 pixel"], [
        ("MLP 64-128-10", numbers["mlp_weights"], numbers["mlp_test_accuracy"],
         numbers["mlp_shifted_accuracy"]),
        ("CNN conv-pool-conv-pool-linear", numbers["cnn_weights"],
         numbers["cnn_test_accuracy"], numbers["cnn_shifted_accuracy"]),
    ])

    first = int(np.flatnonzero(y_test == 3)[0]) if np.any(y_test == 3) else 0
    save_figure(plot_filters(cnn, X_test[first] / 16, int(y_test[first])), out_dir,
                "cnn_filters.png")
    # The computation graph of one small batch: one node per layer, not one per pixel.
    batch = Tensor(X_test[:4].astype(np.float32) / 16, label="4 images")
    loss = nn.functional.cross_entropy(cnn(batch), y_test[:4])
    loss.label = "loss"
    loss.backward()
    cnn.zero_grad()
    path = output_file(out_dir, "cnn_graph.svg")
    viz.render(loss, path, names=dict(cnn.named_parameters()), rankdir="TB")
    wrote(path)
    return numbers
