"""Your own images, one folder per class: ``DatasetFolder`` and ``ImageFolder``.

::

    root/cat/001.png      classes are the folder names, sorted: ["cat", "dog"]
    root/cat/002.png      labels are their positions:          cat -> 0, dog -> 1
    root/dog/001.npy

Files are found in each class folder and its subfolders, sorted by path; only files with
an accepted extension (or accepted by ``is_valid_file``) count.

Reading an image without Pillow: torchvision opens every file with Pillow and converts it
to RGB; here ``default_loader`` reads ``.npy`` files with numpy (the array as saved),
``.png`` files with matplotlib (the optional extra ``plot``), and other formats (jpg,
bmp, ...) with Pillow only if it is installed. A png or other image comes back as the
numpy array ``np.asarray`` gives for torchvision's RGB image: uint8 (H, W, 3).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nn.vision.vision_dataset import VisionDataset

IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp",
                  ".npy")


def has_file_allowed_extension(filename: str | os.PathLike, extensions: str | Sequence[str]
                               ) -> bool:
    """True if the file name ends with one of ``extensions`` (any case)."""
    ends = (extensions,) if isinstance(extensions, str) else tuple(extensions)
    return str(filename).lower().endswith(tuple(e.lower() for e in ends))


def is_image_file(filename: str | os.PathLike) -> bool:
    """True if the file name ends with an image extension (``IMG_EXTENSIONS``)."""
    return has_file_allowed_extension(filename, IMG_EXTENSIONS)


def find_classes(directory: str | os.PathLike) -> tuple[list[str], dict[str, int]]:
    """The class folders of ``directory``, sorted, and the map name -> label."""
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"there is no folder {directory} (expected one subfolder of "
                                "images per class in it)")
    classes = sorted(entry.name for entry in os.scandir(directory) if entry.is_dir())
    if not classes:
        raise FileNotFoundError(f"Couldn't find any class folder in {directory}: put the images "
                                "of each class in a subfolder named after it, e.g. "
                                f"{Path(directory) / 'cat' / '001.png'}")
    return classes, {name: i for i, name in enumerate(classes)}


def make_dataset(directory: str | os.PathLike, class_to_idx: dict[str, int] | None = None,
                 extensions: str | Sequence[str] | None = None,
                 is_valid_file: Callable[[str], bool] | None = None,
                 allow_empty: bool = False) -> list[tuple[str, int]]:
    """The ``(path, label)`` pairs of the files under ``directory``'s class folders.

    A file counts if it has one of ``extensions`` or, instead, if ``is_valid_file(path)``
    says so (give exactly one of the two). A class whose folder is missing or holds no file
    that counts is an error unless ``allow_empty=True``.
    """
    directory = os.path.expanduser(directory)
    if class_to_idx is None:
        _, class_to_idx = find_classes(directory)
    if (extensions is None) == (is_valid_file is None):
        raise ValueError("give extensions= or is_valid_file= (exactly one of them) to say which "
                         "files are images")
    if extensions is not None:
        def is_valid_file(path: str) -> bool:
            return has_file_allowed_extension(path, extensions)
    samples, empty = [], []
    for name in sorted(class_to_idx):  # a missing class folder: os.walk finds no file
        folder = os.path.join(directory, name)
        found = [os.path.join(here, f) for here, _, files in sorted(os.walk(folder,
                 followlinks=True)) for f in sorted(files)]
        paths = [p for p in found if is_valid_file(p)]
        samples += [(p, class_to_idx[name]) for p in paths]
        if not paths:
            empty.append(name)
    if empty and not allow_empty:
        ends = (extensions,) if isinstance(extensions, str) else extensions
        hint = f" Supported extensions are: {', '.join(ends)}." if ends is not None else ""
        raise FileNotFoundError(f"Found no valid file for the classes {', '.join(empty)} in "
                                f"{directory}.{hint} Add images there, remove the empty "
                                "folders, or pass allow_empty=True")
    return samples


def _png(path: str) -> np.ndarray:
    try:
        import matplotlib.image as mpimg
    except ImportError:
        raise ImportError(f"reading {path} needs matplotlib: pip install \"tinygrad-dk[plot]\"; "
                          "or save your images as .npy files (np.save), which numpy reads "
                          "alone") from None
    pixels = mpimg.imread(path)  # floats in [0, 1] for png
    return np.rint(np.asarray(pixels, dtype=np.float64) * 255).astype(np.uint8)


def _pillow(path: str) -> np.ndarray:
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(f"reading {path} needs Pillow (pip install pillow), which is not "
                          "installed; or convert your images to .png (read with matplotlib) "
                          "or .npy (read with numpy)") from None
    with open(path, "rb") as f:
        return np.array(Image.open(f).convert("RGB"))


def _rgb(pixels: np.ndarray) -> np.ndarray:
    """Grey (H, W) or with alpha (H, W, 4) to (H, W, 3), as PIL's ``convert("RGB")``."""
    if pixels.ndim == 2:
        return np.repeat(pixels[:, :, None], 3, axis=2)
    if pixels.shape[2] == 2:  # grey and alpha
        return np.repeat(pixels[:, :, :1], 3, axis=2)
    return np.ascontiguousarray(pixels[:, :, :3])


def default_loader(path: str | os.PathLike) -> np.ndarray:
    """One image file as a numpy array: ``.npy`` as saved, other images uint8 (H, W, 3)."""
    path = str(path)
    if path.lower().endswith(".npy"):
        return np.load(path, allow_pickle=False)
    return _rgb(_png(path) if path.lower().endswith(".png") else _pillow(path))


class DatasetFolder(VisionDataset):
    """Examples in ``root/<class>/...`` files, read by ``loader(path)``.

    root: the folder with one subfolder per class.
    loader: ``loader(path) -> example``.
    extensions: the file endings that count (e.g. ``(".npy",)``); or instead
    is_valid_file: ``is_valid_file(path) -> bool``.
    transform, target_transform: applied to each example and each label.
    allow_empty: keep class folders without files (an error otherwise).

    Attributes: ``classes`` (sorted folder names), ``class_to_idx``, ``samples`` (a list of
    ``(path, label)``), ``targets`` (the labels), ``loader``, ``extensions``, ``root``.
    """

    def __init__(self, root: str | os.PathLike, loader: Callable[[str], Any],
                 extensions: str | Sequence[str] | None = None,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 is_valid_file: Callable[[str], bool] | None = None,
                 allow_empty: bool = False) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.classes, self.class_to_idx = self.find_classes(self.root)
        self.samples = self.make_dataset(self.root, self.class_to_idx, extensions,
                                         is_valid_file, allow_empty=allow_empty)
        self.loader = loader
        self.extensions = extensions
        self.targets = [label for _, label in self.samples]

    @staticmethod
    def make_dataset(directory: str | os.PathLike, class_to_idx: dict[str, int],
                     extensions: str | Sequence[str] | None = None,
                     is_valid_file: Callable[[str], bool] | None = None,
                     allow_empty: bool = False) -> list[tuple[str, int]]:
        """The ``(path, label)`` pairs (override to find files your own way)."""
        return make_dataset(directory, class_to_idx, extensions, is_valid_file, allow_empty)

    def find_classes(self, directory: str | os.PathLike) -> tuple[list[str], dict[str, int]]:
        """The classes and their labels (override for another folder layout)."""
        return find_classes(directory)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        path, target = self.samples[index]
        return self._prepare(self.loader(path), target)

    def __len__(self) -> int:
        return len(self.samples)


class ImageFolder(DatasetFolder):
    """Images in ``root/<class>/...`` (torchvision's ``datasets.ImageFolder``): files ending
    in one of ``IMG_EXTENSIONS`` (or accepted by ``is_valid_file``), read with
    ``default_loader`` (see the module docstring). ``imgs`` is ``samples``."""

    def __init__(self, root: str | os.PathLike, transform: Callable | None = None,
                 target_transform: Callable | None = None,
                 loader: Callable[[str], Any] = default_loader,
                 is_valid_file: Callable[[str], bool] | None = None,
                 allow_empty: bool = False) -> None:
        super().__init__(root, loader, IMG_EXTENSIONS if is_valid_file is None else None,
                         transform=transform, target_transform=target_transform,
                         is_valid_file=is_valid_file, allow_empty=allow_empty)
        self.imgs = self.samples
