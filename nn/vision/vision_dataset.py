"""The base class of the image data sets: torchvision's ``VisionDataset``.

It keeps what every image data set has (a folder ``root``, the functions that prepare
an image, ``transform``, and its label, ``target_transform``) and prints a data set the
way torchvision does (but a lambda as ``<lambda>``, without its memory address)::

    Dataset MNIST
        Number of datapoints: 60000
        Root location: data
        Split: Train
        StandardTransform
    Transform: <lambda>

Subclasses define ``__len__``, ``__getitem__`` and, for the lines about themselves,
``extra_repr``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from nn.data import Dataset


def _transform_lines(head: str, transform: Callable) -> list[str]:
    """``repr(transform)`` after ``head``, its further lines indented under the first."""
    lines = repr(transform).splitlines() or [""]
    if getattr(transform, "__name__", "") == "<lambda>":
        lines = ["<lambda>"]  # a lambda's repr holds a memory address, which says nothing
    return [head + lines[0]] + [" " * len(head) + line for line in lines[1:]]


class StandardTransform:
    """Apply ``transform`` to the image and ``target_transform`` to the label, each if given
    (what ``transforms=`` holds when a data set is built with the two separate ones)."""

    def __init__(self, transform: Callable | None = None,
                 target_transform: Callable | None = None) -> None:
        self.transform = transform
        self.target_transform = target_transform

    def __call__(self, image: Any, target: Any) -> tuple[Any, Any]:
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def __repr__(self) -> str:
        lines = [type(self).__name__]
        if self.transform is not None:
            lines += _transform_lines("Transform: ", self.transform)
        if self.target_transform is not None:
            lines += _transform_lines("Target transform: ", self.target_transform)
        return "\n".join(lines)


class VisionDataset(Dataset):
    """An image data set (torchvision.datasets.VisionDataset): subclass it for your own.

    root: the data set's folder (``~`` is expanded), or None for data sets without files.
    transform: ``transform(image) -> image``, e.g. ``transforms.ToTensor()``.
    target_transform: ``target_transform(label) -> label``.
    transforms: ``transforms(image, label) -> (image, label)``, for a transform that needs
        both; give it or the two above, not both.
    """

    _repr_indent = 4

    def __init__(self, root: str | os.PathLike | None = None, transforms: Callable | None = None,
                 transform: Callable | None = None,
                 target_transform: Callable | None = None) -> None:
        if isinstance(root, str):
            root = os.path.expanduser(root)
        self.root = root
        separate = transform is not None or target_transform is not None
        if transforms is not None and separate:
            raise ValueError(f"{type(self).__name__}: give transforms= (one function of image "
                             "and label) or transform= / target_transform=, not both")
        self.transform = transform
        self.target_transform = target_transform
        self.transforms = StandardTransform(transform, target_transform) if separate \
            else transforms

    def _prepare(self, image: Any, target: Any) -> tuple[Any, Any]:
        """One example after the data set's transforms."""
        if self.transforms is not None:
            return self.transforms(image, target)
        return image, target

    def extra_repr(self) -> str:
        """Lines about this data set for ``repr`` (e.g. ``Split: Train``)."""
        return ""

    def __repr__(self) -> str:
        body = [f"Number of datapoints: {len(self)}"]
        if self.root is not None:
            body.append(f"Root location: {self.root}")
        body += self.extra_repr().splitlines()
        if self.transforms is not None:  # one entry: as torchvision, only its first line
            body.append(repr(self.transforms))  # is indented (see the module docstring)
        pad = " " * self._repr_indent
        return "\n".join([f"Dataset {type(self).__name__}"] + [pad + line for line in body])
