"""Supervised vs unsupervised learning: an autoencoder finds the digits without labels.

Supervised learning learns from examples WITH answers (image -> "this is a 7"):
the loss compares the output with the label. Unsupervised learning gets the
inputs alone and must find structure in them by itself.

An autoencoder is a network trained to give back its own input:

    encoder: 64 pixels -> 32 -> 2 numbers (the code)
    decoder: 2 numbers -> 32 -> 64 pixels
    loss:    MSE between the 64 pixels out and the 64 pixels in

The target is the input itself, so no labels are needed. The middle layer has only
2 neurons (the bottleneck): to rebuild 64 pixels from 2 numbers the network must
put similar images at similar codes. Plot the 2-D codes of images it never
trained on, colour each point by its digit (which the model never saw), and
clusters appear: the network has found, without being told, that there are kinds
of digits.

How well do the clusters match the digits? We measure it with a 5-nearest-neighbour
vote: a test image's code gets the digit most common among the 5 nearest training
codes. That uses the labels only to MEASURE the codes, never to train them. For
comparison:

* the same encoder before training (random weights): a random 2-D projection;
* PCA, also without labels: the best *linear* projection to 2 numbers (the two
  directions of largest variance, from ``torch.linalg.svd``); the autoencoder's
  non-linear layers can bend the code where PCA can only project;
* a supervised network with the same 2-D bottleneck (64 -> 32 -> 2 -> 10 classes),
  trained on the labels with cross-entropy: labels buy a much cleaner separation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

import nn
import tinygrad_dk as tg
from demos._common import print_table, save_figure
from nn import data, optim
from tinygrad_dk import Tensor

OUTPUTS = ("unsupervised_codes.png",)


def encoder() -> nn.Sequential:
    return nn.Sequential(nn.Linear(64, 32), nn.Tanh(), nn.Linear(32, 2))


def codes(model: nn.Module, X: np.ndarray) -> np.ndarray:
    """The 2-D codes of the rows of X."""
    with tg.no_grad():
        return model(Tensor(X)).numpy()


def knn_accuracy(codes_train: np.ndarray, y_train: np.ndarray, codes_test: np.ndarray,
                 y_test: np.ndarray, k: int = 5) -> float:
    """Share of test codes whose k nearest training codes mostly carry the right digit."""
    distances = ((codes_test[:, None, :] - codes_train[None, :, :]) ** 2).sum(axis=2)
    nearest = np.argsort(distances, axis=1)[:, :k]
    votes = [np.bincount(y_train[row], minlength=10).argmax() for row in nearest]
    return float(np.mean(np.array(votes) == y_test))


def plot_codes(panels: dict[str, tuple[np.ndarray, float]], y: np.ndarray) -> Any:
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(panels), figsize=(6.2 * len(panels), 5.6))
    for ax, (title, (points, score)) in zip(axes, panels.items()):
        for digit in range(10):
            mine = points[y == digit]
            ax.scatter(mine[:, 0], mine[:, 1], s=9, color=plt.get_cmap("tab10")(digit),
                       alpha=0.7)
            cx, cy = np.median(mine, axis=0)  # the digit written at its cluster's centre
            ax.text(cx, cy, str(digit), fontsize=16, weight="bold", ha="center",
                    va="center", color=plt.get_cmap("tab10")(digit),
                    bbox={"facecolor": "white", "alpha": 0.75, "edgecolor": "none",
                          "pad": 1})
        ax.set_title(f"{title}\n5-nearest-neighbour accuracy {score:.2f}", fontsize=12)
        ax.set_xlabel("code 1")
        ax.set_ylabel("code 2")
        ax.grid(alpha=0.3)
    fig.suptitle("2-D codes of test digits, coloured by the digit", fontsize=13)
    fig.tight_layout()
    return fig


def run(out_dir: Path, quick: bool, seed: int = 0) -> dict[str, Any]:
    X, y = data.load_digits()
    X = X / 16.0  # pixels 0..16 -> 0..1, the range the decoder must rebuild
    X_train, X_test, y_train, y_test = data.train_test_split(X, y, test_size=0.3, stratify=y,
                                                             seed=seed)
    print(f"Digits: {len(X_train)} training images (labels hidden from the autoencoder), "
          f"{len(X_test)} test images")

    # unsupervised: input in, the same input out
    tg.manual_seed(seed)
    encode = encoder()
    random_codes = (codes(encode, X_train), codes(encode, X_test))
    autoencoder = nn.Sequential(encode, nn.Sequential(nn.Linear(2, 32), nn.Tanh(),
                                                      nn.Linear(32, 64)))
    history = nn.fit(autoencoder, nn.MSELoss(), optim.Adam(autoencoder.parameters(), lr=0.01),
                     X_train, X_train, epochs=10 if quick else 60, batch_size=64,
                     progress=False, seed=seed)
    auto_codes = (codes(encode, X_train), codes(encode, X_test))
    print(f"autoencoder: reconstruction MSE per pixel {history['loss'][-1]:.4f} "
          f"(predicting the mean image: {X_train.var(axis=0).mean():.4f})")

    # PCA, the classic linear way down to 2 numbers, also without labels: project on the
    # two directions along which the training images vary most, the first two rows of
    # Vh in the singular value decomposition of the centred images (torch.linalg.svd)
    mean = X_train.mean(axis=0)
    _, S, Vh = tg.linalg.svd(tg.tensor(X_train - mean), full_matrices=False)
    top2 = Vh[:2].T.numpy()
    pca_codes = ((X_train - mean) @ top2, (X_test - mean) @ top2)
    explained = float((S[:2] ** 2).sum().item() / (S ** 2).sum().item())
    print(f"PCA: the first 2 directions hold {explained:.0%} of the images' variance")

    # supervised: the same 2-D bottleneck, trained on the labels
    tg.manual_seed(seed)
    encode_supervised = encoder()
    classifier = nn.Sequential(encode_supervised, nn.Linear(2, 10))  # 2-D code -> 10 logits
    nn.fit(classifier, nn.CrossEntropyLoss(), optim.Adam(classifier.parameters(), lr=0.03),
           X_train, y_train, epochs=10 if quick else 30, batch_size=64, progress=False,
           seed=seed)
    supervised_codes = (codes(encode_supervised, X_train), codes(encode_supervised, X_test))

    scores = {name: knn_accuracy(train, y_train, test, y_test)
              for name, (train, test) in (("random encoder", random_codes),
                                          ("PCA", pca_codes),
                                          ("autoencoder", auto_codes),
                                          ("supervised", supervised_codes))}
    print("\nHow well the 2-D codes of the test images sort the digits "
          "(5 nearest training codes vote; guessing gives 0.10):")
    print_table(["codes from", "labels used in training", "accuracy"],
                [("random encoder (untrained)", "no", scores["random encoder"]),
                 ("PCA (unsupervised, linear)", "no", scores["PCA"]),
                 ("autoencoder (unsupervised)", "no", scores["autoencoder"]),
                 ("classifier (supervised)", "yes", scores["supervised"])], digits=3)

    fig = plot_codes({"autoencoder: trained WITHOUT labels": (auto_codes[1],
                                                              scores["autoencoder"]),
                      "classifier: trained WITH labels": (supervised_codes[1],
                                                          scores["supervised"])}, y_test)
    save_figure(fig, out_dir, "unsupervised_codes.png")
    return {"knn_random_codes": scores["random encoder"],
            "knn_pca_codes": scores["PCA"],
            "pca_explained_variance": explained,
            "knn_autoencoder_codes": scores["autoencoder"],
            "knn_supervised_codes": scores["supervised"],
            "reconstruction_mse": history["loss"][-1]}
