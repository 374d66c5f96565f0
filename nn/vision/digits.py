"""``Digits``: the course's 8x8 handwritten digits as a torchvision-style image data set.

Not a torchvision name: it is this package's offline stand-in for ``MNIST``. The images
ship with the package (``nn.data.load_digits``), so every image demo and test works
without a download, and code written for it runs on ``MNIST`` by changing one line.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np

from nn.data import load_digits
from nn.vision.mnist import MNIST, TensorImages
from tinygrad_dk import Tensor

TEST_FRACTION = 5  # the last fifth of each class is the test split


def _split(labels: np.ndarray, train: bool) -> np.ndarray:
    """Row numbers of the split: per class, in file order, the last ``n // 5`` images are
    the test split and the others the training split."""
    test = np.zeros(len(labels), dtype=bool)
    for label in np.unique(labels):
        rows = np.flatnonzero(labels == label)
        test[rows[len(rows) - len(rows) // TEST_FRACTION:]] = True
    return np.flatnonzero(~test if train else test)


class Digits(TensorImages):
    """1797 handwritten digits, 8x8 grey, as ``MNIST`` gives its images (not a torchvision
    name: an offline stand-in for ``MNIST``).

    Split: for each digit, the last fifth of its images (rounded down, in the file's
    order) is the test split: 1442 training and 355 test images, the ten digits in about
    the same proportions in both.
    Scaling: the original pixels count ink from 0 to 16; here they are
    ``round(v * 255 / 16)``, uint8 from 0 to 255 as in MNIST's files, so
    ``transforms.ToTensor()`` gives values in [0, 1] as it does for MNIST.

    root, download: accepted so that MNIST code runs unchanged; nothing is read or fetched
    (the images ship with the package).
    Attributes: ``data`` (uint8 Tensor (N, 8, 8)), ``targets`` (int64 Tensor (N,)),
    ``classes`` (MNIST's names), ``class_to_idx``, ``train``.
    """

    classes = MNIST.classes

    def __init__(self, root: str | os.PathLike | None = None, train: bool = True,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        pixels, labels = load_digits()
        rows = _split(labels, train)
        images = np.rint(pixels[rows] * (255 / 16)).astype(np.uint8).reshape(-1, 8, 8)
        self.data = Tensor(images)
        self.targets = Tensor(labels[rows].astype(np.int64))
