"""Class labels as vectors: `one_hot`.

A network with C outputs is compared with a target of C numbers. One-hot
encoding turns label k into a row of zeros with a single 1 in column k, e.g. with
3 classes label 2 becomes [0, 0, 1]. (`CrossEntropyLoss` takes the integer labels
directly; one-hot targets are for losses such as MSE on softmax outputs, and for
seeing what the loss compares.)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nn.data.convert import to_class_indices


def one_hot(y: Any, num_classes: int | None = None) -> np.ndarray:
    """Encode class labels 0..C-1 as a float32 array of shape (n_samples, C).

    num_classes: C. If None it is max(y) + 1; pass it explicitly when a batch may
    not contain the highest class, so every batch gets the same number of columns.
    """
    labels = to_class_indices(y, "y")
    if num_classes is None:
        if labels.size == 0:
            raise ValueError("y is empty; pass num_classes to say how many columns to make.")
        num_classes = int(labels.max()) + 1
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)):
        raise TypeError(f"num_classes must be a whole number, got {num_classes!r}.")
    if num_classes < 1:
        raise ValueError(f"num_classes={num_classes}; there must be at least one class.")
    if labels.size and labels.max() >= num_classes:
        raise ValueError(
            f"label {labels.max()} is out of range for num_classes={num_classes} "
            f"(valid labels are 0..{num_classes - 1}); raise num_classes or fix the labels."
        )
    encoded = np.zeros((labels.size, num_classes), dtype=np.float32)
    encoded[np.arange(labels.size), labels] = 1.0
    return encoded
