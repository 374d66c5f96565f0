"""MNIST, Fashion-MNIST and Kuzushiji-MNIST: 28x28 grey images in torchvision's files.

The files are in the IDX format: 2 zero bytes, a byte naming the number type (0x08 is
uint8), a byte with the number of axes, one 4-byte big-endian length per axis, then the
numbers row by row. Image files have 3 axes (N, 28, 28), label files 1 (N,); the first
four bytes, the *magic number*, are thus 0x00000803 and 0x00000801.

torchvision keeps them in ``root/MNIST/raw/`` (``root/FashionMNIST/raw/``, ...) as
``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte`` and
``t10k-labels-idx1-ubyte``; the same names with ``.gz`` are read as well. So a folder that
torchvision filled works here unchanged, and ``download=True`` fills it the same way.
"""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from nn.vision.downloads import ChecksumError, DownloadError, download_url, extract_archive
from nn.vision.vision_dataset import VisionDataset
from tinygrad_dk import Tensor

# IDX number types: code -> numpy dtype (multi-byte numbers are big-endian)
_IDX_TYPES = {0x08: "u1", 0x09: "i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def _file_bytes(path: Path) -> bytes:
    """The file's bytes, unpacked first if its name ends in .gz."""
    if path.suffix != ".gz":
        return path.read_bytes()
    try:
        with gzip.open(path, "rb") as f:
            return f.read()
    except (OSError, EOFError, zlib.error) as error:
        raise ValueError(f"{path} is not a readable .gz file ({error}); delete it and download "
                         "it again") from error


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """An IDX file (or ``.gz`` of one) as a numpy array in native byte order.

    Raises ValueError naming the file when the magic number or the length is wrong
    (not an IDX file, or cut short / damaged).
    """
    path = Path(path)
    raw = _file_bytes(path)
    ndim = raw[3] if len(raw) >= 4 else 0
    if len(raw) < 4 or raw[:2] != b"\0\0" or raw[2] not in _IDX_TYPES or ndim == 0:
        raise ValueError(f"{path} is not an IDX file: its first 4 bytes (the magic number) are "
                         f"{raw[:4].hex() or 'missing'}, expected 00 00, a type code such as 08 "
                         "and the number of axes; the file is damaged or not MNIST data, so "
                         "delete it and download it again")
    start = 4 + 4 * ndim
    if len(raw) < start:
        raise ValueError(f"{path} is cut short: {len(raw)} bytes, too few for the lengths of "
                         f"its {ndim} axes; delete it and download it again")
    shape = tuple(int(n) for n in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    dtype = np.dtype(_IDX_TYPES[raw[2]])
    expected = start + int(np.prod(shape)) * dtype.itemsize
    if len(raw) != expected:
        raise ValueError(f"{path} is damaged: {len(raw)} bytes, but its header announces shape "
                         f"{shape} of {dtype.name}, which takes {expected} bytes; delete it and "
                         "download it again")
    return np.frombuffer(raw, dtype, offset=start).reshape(shape).astype(dtype.newbyteorder("="))


def _read_checked(path: Path, ndim: int, what: str) -> np.ndarray:
    array = read_idx(path)
    if array.dtype != np.uint8 or array.ndim != ndim:
        raise ValueError(f"{path} holds {array.dtype} numbers of shape {array.shape}, but "
                         f"MNIST {what} are uint8 with {ndim} {'axis' if ndim == 1 else 'axes'}; "
                         "is it the other file of the pair?")
    return array


def read_image_file(path: str | os.PathLike) -> Tensor:
    """An IDX image file as a uint8 Tensor (N, H, W)."""
    return Tensor(_read_checked(Path(path), 3, "image files"))


def read_label_file(path: str | os.PathLike) -> Tensor:
    """An IDX label file as an int64 Tensor (N,)."""
    return Tensor(_read_checked(Path(path), 1, "label files").astype(np.int64))


class TensorImages(VisionDataset):
    """A data set held as ``data`` (a uint8 Tensor (N, H, W)) and ``targets`` (int64 (N,)).

    ``ds[i]`` is ``(image, label)``: the image as the numpy array (H, W) uint8 that
    ``np.asarray`` gives for torchvision's PIL image (a copy: changing it leaves the data
    set alone) and the label as a Python int, each after its transform.
    """

    classes: list[str] = []
    data: Tensor
    targets: Tensor
    train: bool

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        image = np.array(self.data.data[index])  # np.array copies
        return self._prepare(image, int(self.targets.data[index]))

    def __len__(self) -> int:
        return len(self.data)

    @property
    def class_to_idx(self) -> dict[str, int]:
        """Class name -> label."""
        return {name: i for i, name in enumerate(self.classes)}

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train else 'Test'}"


_DIGIT_NAMES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


class MNIST(TensorImages):
    """Handwritten digits, 28x28 grey: 60000 training and 10000 test images (torchvision's
    ``datasets.MNIST``).

    root: the folder holding ``MNIST/raw/`` (the class name, for the other data sets).
    train: the training images (True) or the test images.
    transform, target_transform: applied to each image (a numpy array (28, 28) uint8) and
        each label (an int).
    download: fetch the four files (about 12 MB) into ``root/MNIST/raw/`` if they are not
        there yet; they are checked against their MD5 checksums.

    Attributes: ``data`` (uint8 Tensor (N, 28, 28)), ``targets`` (int64 Tensor (N,)),
    ``classes``, ``class_to_idx``, ``root``, ``train``, ``raw_folder``.
    Without internet, ``Digits`` gives the course's 8x8 digits in the same form.
    """

    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/",
               "http://yann.lecun.com/exdb/mnist/"]
    resources = [  # (file name, MD5 checksum of the .gz)
        ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    ]
    classes = [f"{d} - {name}" for d, name in enumerate(_DIGIT_NAMES)]

    def __init__(self, root: str | os.PathLike, train: bool = True,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download:
            self.download()
        split = "train" if train else "t10k"
        images = self._find(f"{split}-images-idx3-ubyte")
        labels = self._find(f"{split}-labels-idx1-ubyte")
        self.data, self.targets = read_image_file(images), read_label_file(labels)
        if len(self.data) != len(self.targets):
            raise ValueError(f"{type(self).__name__}: {images.name} holds {len(self.data)} "
                             f"images but {labels.name} {len(self.targets)} labels; one of the "
                             f"files is damaged, delete them and download again")

    @property
    def raw_folder(self) -> str:
        """Where the files are: ``root/<class name>/raw``."""
        return os.path.join(self.root, type(self).__name__, "raw")

    def _present(self, name: str) -> Path | None:
        for candidate in (name, name + ".gz"):
            if (path := Path(self.raw_folder) / candidate).is_file():
                return path
        return None

    def _find(self, name: str) -> Path:
        path = self._present(name)
        if path is None:
            raise RuntimeError(
                f"{type(self).__name__}: dataset not found: there is no {name} (or {name}.gz) in "
                f"{self.raw_folder}. Pass download=True to fetch it, or put the files from "
                f"{self.mirrors[0]} there; without internet, nn.vision.datasets.Digits gives "
                "the course's 8x8 digits offline")
        return path

    def download(self) -> None:
        """Fetch and unpack the files that are not in ``raw_folder`` yet."""
        for filename, md5 in self.resources:
            if self._present(filename[:-3]) is not None:
                continue
            failures = []
            for mirror in self.mirrors:
                try:
                    archive = download_url(mirror + filename, self.raw_folder, filename, md5)
                except ChecksumError as error:
                    raise RuntimeError(f"{type(self).__name__}: {error}") from error
                except DownloadError as error:
                    failures.append(str(error))
                    continue
                extract_archive(archive, self.raw_folder)
                break
            else:
                tried = "\n  ".join(failures)
                raise RuntimeError(
                    f"{type(self).__name__}: could not download {filename}:\n  {tried}\n"
                    f"Without internet, copy the files ({', '.join(n for n, _ in self.resources)}"
                    f") into {self.raw_folder} by hand, or use nn.vision.datasets.Digits (the "
                    "course's 8x8 digits, no download)")


class FashionMNIST(MNIST):
    """Zalando's clothes, 28x28 grey, 10 classes, 60000 + 10000 images; as ``MNIST``, in
    ``root/FashionMNIST/raw/``."""

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]


class KMNIST(MNIST):
    """Kuzushiji-MNIST: 10 cursive Japanese characters, 28x28 grey; as ``MNIST``, in
    ``root/KMNIST/raw/``."""

    mirrors = ["http://codh.rois.ac.jp/kmnist/dataset/kmnist/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "bdb82020997e1d708af4cf47b453dcf7"),
        ("train-labels-idx1-ubyte.gz", "e144d726b3acfaa3e44228e80efcd344"),
        ("t10k-images-idx3-ubyte.gz", "5c965bf0a639b31b8f53240b1b52f4d7"),
        ("t10k-labels-idx1-ubyte.gz", "7320c461ea6c1c855c0b718fb2a4b134"),
    ]
    classes = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]
