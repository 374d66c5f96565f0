"""CIFAR-10 and CIFAR-100: 32x32 colour photos in torchvision's files.

The official archive unpacks to ``root/cifar-10-batches-py/`` (``data_batch_1`` .. ``_5``,
``test_batch``, ``batches.meta``) or ``root/cifar-100-python/`` (``train``, ``test``,
``meta``). Each file is a Python pickle of a dict: ``"data"`` is a uint8 array with one
row of 3072 numbers per image (the red 32x32 plane, then green, then blue), the labels
are under ``"labels"`` (CIFAR-10) or ``"fine_labels"`` (CIFAR-100), and the meta file
names the classes.

Unpickling can run code stored in the file: use only files from the official archive
(``download=True`` checks its MD5 checksum), as torchvision does, never pickles from
elsewhere.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from nn.vision.downloads import DownloadError, download_url, extract_archive
from nn.vision.vision_dataset import VisionDataset


class CIFAR10(VisionDataset):
    """60000 colour photos 32x32 of 10 classes (airplane, ..., truck): 50000 for training,
    10000 for testing (torchvision's ``datasets.CIFAR10``).

    root: the folder holding ``cifar-10-batches-py/``.
    train: the five training batches (True) or the test batch.
    transform, target_transform: applied to each image (a numpy array (32, 32, 3) uint8,
        what ``np.asarray`` gives for torchvision's PIL image) and each label (an int).
    download: fetch the official archive (about 170 MB), check its MD5 and unpack it into
        ``root``, unless the files are there already.

    Attributes: ``data`` (numpy uint8 (N, 32, 32, 3)), ``targets`` (a list of ints),
    ``classes``, ``class_to_idx``, ``root``, ``train``.
    Reading unpickles the files, which can run code stored in them: use only files from
    the official archive.
    """

    base_folder = "cifar-10-batches-py"
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    filename = "cifar-10-python.tar.gz"
    tgz_md5 = "c58f30108f718f92721af3b95e74349a"
    train_list = [f"data_batch_{i}" for i in range(1, 6)]
    test_list = ["test_batch"]
    meta = {"filename": "batches.meta", "key": "label_names"}
    label_key = "labels"

    def __init__(self, root: str | os.PathLike, train: bool = True,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download:
            self.download()
        missing = self._missing()
        if missing:
            raise RuntimeError(
                f"{type(self).__name__}: dataset not found or incomplete: {', '.join(missing)} "
                f"missing in {self.folder}. Pass download=True to fetch it, or unpack "
                f"{self.url} into {self.root}")
        images, self.targets = [], []
        for name in self.train_list if train else self.test_list:
            entry = self._unpickle(name, "data", self.label_key)
            rows = np.asarray(entry["data"], dtype=np.uint8)
            if rows.ndim != 2 or rows.shape[1] != 3 * 32 * 32:
                raise ValueError(f"{self.folder / name}: its images have shape {rows.shape}, "
                                 "expected one row of 3072 numbers per image; the file is "
                                 "damaged, delete the folder and download again")
            images.append(rows)
            self.targets += [int(t) for t in entry[self.label_key]]
        # each row holds the red, green and blue 32x32 planes; images are (H, W, channels)
        self.data = np.vstack(images).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        if len(self.data) != len(self.targets):
            raise ValueError(f"{type(self).__name__}: the files hold {len(self.data)} images "
                             f"but {len(self.targets)} labels; they are damaged, delete "
                             f"{self.folder} and download again")
        self.classes = [str(c) for c in self._unpickle(self.meta["filename"], self.meta["key"])[
            self.meta["key"]]]
        self.class_to_idx = {name: i for i, name in enumerate(self.classes)}

    @property
    def folder(self) -> Path:
        """Where the unpacked files are: ``root/<base_folder>``."""
        return Path(self.root) / self.base_folder

    def _missing(self) -> list[str]:
        names = [*self.train_list, *self.test_list, self.meta["filename"]]
        return [name for name in names if not (self.folder / name).is_file()]

    def _unpickle(self, name: str, *keys: str) -> dict:
        """One file of the archive (a pickled dict); see the class docstring on safety."""
        path = self.folder / name
        try:
            with open(path, "rb") as f:
                entry = pickle.load(f, encoding="latin1")  # noqa: S301 - the official files
        except (pickle.UnpicklingError, EOFError, ValueError, TypeError) as error:
            raise ValueError(f"{path} is damaged: it cannot be unpickled ({error}); delete "
                             f"{self.folder} and download again") from error
        if not isinstance(entry, dict) or not all(key in entry for key in keys):
            raise ValueError(f"{path} is not a {type(self).__name__} file: expected a dict with "
                             f"the keys {list(keys)}, got a {type(entry).__name__}; delete "
                             f"{self.folder} and download again")
        return entry

    def download(self) -> None:
        """Fetch, check and unpack the archive, unless its files are already in ``root``."""
        if not self._missing():
            return
        try:
            archive = download_url(self.url, self.root, self.filename, self.tgz_md5)
        except DownloadError as error:
            raise RuntimeError(
                f"{type(self).__name__}: {error}\nWithout internet, fetch {self.url} elsewhere "
                f"and unpack it into {self.root} (it makes {self.base_folder}/), or use "
                "nn.vision.datasets.FakeData or Digits, which need no files") from error
        extract_archive(archive, self.root)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        return self._prepare(np.array(self.data[index]), self.targets[index])

    def __len__(self) -> int:
        return len(self.data)

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train else 'Test'}"


class CIFAR100(CIFAR10):
    """As ``CIFAR10`` with 100 classes (the fine labels), in ``root/cifar-100-python/``."""

    base_folder = "cifar-100-python"
    url = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
    filename = "cifar-100-python.tar.gz"
    tgz_md5 = "eb9058c3a382ffc7106e4002c42a8d85"
    train_list = ["train"]
    test_list = ["test"]
    meta = {"filename": "meta", "key": "fine_label_names"}
    label_key = "fine_labels"
