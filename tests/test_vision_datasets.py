"""nn.vision.datasets: torchvision's files written here by hand (IDX, CIFAR pickles, class
folders), read back exactly; damaged files, missing files and the download path (a local
``file://`` URL, with right and wrong MD5 checksums) give clear errors."""

from __future__ import annotations

import gzip
import hashlib
import io
import pickle
import re
import struct
import tarfile
from pathlib import Path

import numpy as np
import pytest

import tinygrad_dk as tg
from nn.data import DataLoader
from nn.vision import datasets
from nn.vision.downloads import download_url, extract_archive
from nn.vision.folder import make_dataset
from nn.vision.mnist import read_idx

RNG = np.random.default_rng(0)
TO_FLOAT = lambda a: tg.tensor(a, dtype=tg.float32) / 255  # noqa: E731 - a plain transform


def idx_bytes(array: np.ndarray) -> bytes:
    """An IDX file: 00 00, type 08 (uint8), the number of axes, big-endian lengths, data."""
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_mnist(root: Path, name: str = "MNIST", n: int = 5, gz: bool = False,
                split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    images = RNG.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    labels = RNG.integers(0, 10, n, dtype=np.uint8)
    raw = root / name / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for kind, array, idx in (("images", images, 3), ("labels", labels, 1)):
        path = raw / f"{split}-{kind}-idx{idx}-ubyte"
        if gz:
            path.with_name(path.name + ".gz").write_bytes(gzip.compress(idx_bytes(array)))
        else:
            path.write_bytes(idx_bytes(array))
    return images, labels


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("cls", [datasets.MNIST, datasets.FashionMNIST, datasets.KMNIST])
def test_mnist_files_read_back_exactly(tmp_path, cls, gz):
    images, labels = write_mnist(tmp_path, cls.__name__, gz=gz)
    ds = cls(tmp_path, train=True)
    assert isinstance(ds.data, tg.Tensor) and isinstance(ds.targets, tg.Tensor)  # torchvision's
    assert ds.data.dtype == np.uint8 and ds.data.shape == (5, 28, 28)
    assert ds.targets.dtype == np.int64 and np.array_equal(ds.targets.numpy(), labels)
    assert np.array_equal(ds.data.numpy(), images)
    image, label = ds[3]
    assert isinstance(image, np.ndarray) and image.dtype == np.uint8 and image.shape == (28, 28)
    assert np.array_equal(image, images[3]) and label == int(labels[3]) and type(label) is int
    image[:] = 0  # a copy: the data set is unchanged
    assert np.array_equal(ds.data.numpy()[3], images[3])
    assert len(ds) == 5 and len(ds.classes) == 10
    assert ds.class_to_idx[ds.classes[4]] == 4 and ds.train and ds.root == tmp_path


def test_mnist_test_split_repr_and_transforms(tmp_path):
    images, labels = write_mnist(tmp_path, split="t10k", n=3)
    ds = datasets.MNIST(str(tmp_path), train=False, transform=TO_FLOAT,
                        target_transform=lambda y: y + 100)
    x, y = ds[0]
    assert x.dtype == tg.float32 and np.allclose(x.numpy(), images[0] / 255, atol=1e-7)
    assert y == labels[0] + 100
    assert ds.classes[0] == "0 - zero" and datasets.FashionMNIST.classes[9] == "Ankle boot"
    assert repr(ds).splitlines() == ["Dataset MNIST", "    Number of datapoints: 3",
                                     f"    Root location: {tmp_path}", "    Split: Test",
                                     "    StandardTransform", "Transform: <lambda>",
                                     "Target transform: <lambda>"]


def test_mnist_in_a_dataloader(tmp_path):
    images, labels = write_mnist(tmp_path, n=5)
    loader = DataLoader(datasets.MNIST(tmp_path, transform=TO_FLOAT), batch_size=2)
    batches = list(loader)
    assert [tuple(x.shape) for x, _ in batches] == [(2, 28, 28), (2, 28, 28), (1, 28, 28)]
    xb, yb = batches[0]
    assert yb.dtype == np.int64 and yb.tolist() == labels[:2].tolist()
    assert np.allclose(xb.numpy(), images[:2] / 255, atol=1e-7)
    xb, _ = next(iter(DataLoader(datasets.MNIST(tmp_path), batch_size=4)))  # no transform
    assert xb.dtype == np.uint8 and np.array_equal(xb.numpy(), images[:4])


def test_missing_files_say_how_to_get_them(tmp_path):
    with pytest.raises(RuntimeError, match=r"dataset not found.*train-images-idx3-ubyte.*"
                                           r"download=True.*Digits"):
        datasets.MNIST(tmp_path)
    with pytest.raises(RuntimeError, match=r"cifar-10-batches-py.*download=True"):
        datasets.CIFAR10(tmp_path)


@pytest.mark.parametrize("damage, message", [
    (lambda b: b[:-7], "damaged: .* bytes, but its header announces shape"),
    (lambda b: b"\x08\x03" + b[2:], "not an IDX file.*magic number"),
    (lambda b: b[:2] + b"\x42" + b[3:], "not an IDX file"),
    (lambda b: b[:5], "cut short"),
    (lambda b: b"", "not an IDX file.*missing"),
])
def test_damaged_idx_files_are_refused(tmp_path, damage, message):
    write_mnist(tmp_path)
    path = tmp_path / "MNIST" / "raw" / "train-images-idx3-ubyte"
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(ValueError, match=message):
        datasets.MNIST(tmp_path)


def test_damaged_gz_images_labels_mismatch_and_swapped_files(tmp_path):
    write_mnist(tmp_path, gz=True)
    raw = tmp_path / "MNIST" / "raw"
    good = (raw / "train-labels-idx1-ubyte.gz").read_bytes()
    (raw / "train-labels-idx1-ubyte.gz").write_bytes(good[:-5])
    with pytest.raises(ValueError, match="not a readable .gz file"):
        datasets.MNIST(tmp_path)
    (raw / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(np.zeros(4))))
    with pytest.raises(ValueError, match="5 images but .* 4 labels"):
        datasets.MNIST(tmp_path)
    (raw / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(np.zeros((5, 2, 2)))))
    with pytest.raises(ValueError, match="uint8 with 1 axis; is it the other file"):
        datasets.MNIST(tmp_path)


def test_idx_reads_other_number_types_big_endian(tmp_path):
    values = np.array([[1, -2], [300, 70000]], dtype=">i4")
    path = tmp_path / "x.idx"
    path.write_bytes(bytes([0, 0, 0x0C, 2]) + struct.pack(">2I", 2, 2) + values.tobytes())
    out = read_idx(path)
    assert out.dtype == np.int32 and out.dtype.isnative and out.tolist() == values.tolist()


# --- downloads: a local file:// "mirror" --------------------------------------------------

def md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def mirror_of_mnist(tmp_path: Path, n: int = 4) -> tuple[str, list, dict]:
    """The four MNIST .gz files in a folder, its file:// URL and their checksums."""
    served = tmp_path / "server"
    served.mkdir()
    arrays = {"train-images-idx3-ubyte": RNG.integers(0, 256, (n, 28, 28)),
              "train-labels-idx1-ubyte": RNG.integers(0, 10, n),
              "t10k-images-idx3-ubyte": RNG.integers(0, 256, (2, 28, 28)),
              "t10k-labels-idx1-ubyte": RNG.integers(0, 10, 2)}
    resources = []
    for name, array in arrays.items():
        packed = gzip.compress(idx_bytes(array))
        (served / f"{name}.gz").write_bytes(packed)
        resources.append((f"{name}.gz", md5(packed)))
    return served.as_uri() + "/", resources, arrays


def test_download_fetches_checks_unpacks_and_then_skips(tmp_path, monkeypatch, capsys):
    url, resources, arrays = mirror_of_mnist(tmp_path)
    monkeypatch.setattr(datasets.MNIST, "mirrors", ["file:///nowhere/at/all/", url])
    monkeypatch.setattr(datasets.MNIST, "resources", resources)
    ds = datasets.MNIST(tmp_path / "data", download=True)
    assert np.array_equal(ds.data.numpy(), arrays["train-images-idx3-ubyte"])
    raw = tmp_path / "data" / "MNIST" / "raw"
    assert (raw / "t10k-labels-idx1-ubyte").is_file()  # unpacked, and the .gz kept
    assert (raw / "t10k-labels-idx1-ubyte.gz").is_file()
    assert "Downloading" in capsys.readouterr().out
    monkeypatch.setattr(datasets.MNIST, "mirrors", ["file:///nowhere/at/all/"])
    test = datasets.MNIST(tmp_path / "data", train=False, download=True)  # present: no fetch
    assert test.targets.tolist() == arrays["t10k-labels-idx1-ubyte"].tolist()
    assert "Downloading" not in capsys.readouterr().out


def test_download_with_a_wrong_checksum_is_refused_and_deleted(tmp_path, monkeypatch):
    url, resources, _ = mirror_of_mnist(tmp_path)
    resources[0] = (resources[0][0], "0" * 32)
    monkeypatch.setattr(datasets.MNIST, "mirrors", [url])
    monkeypatch.setattr(datasets.MNIST, "resources", resources)
    with pytest.raises(RuntimeError, match=r"not the expected one: its MD5 checksum is [0-9a-f]{32}"
                                           r", expected 0{32}.*deleted"):
        datasets.MNIST(tmp_path / "data", download=True)
    assert list((tmp_path / "data" / "MNIST" / "raw").iterdir()) == []


def test_download_offline_names_url_folder_and_alternative(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets.MNIST, "mirrors", ["file:///nowhere/at/all/"])
    with pytest.raises(RuntimeError) as info:
        datasets.MNIST(tmp_path, download=True)
    text = str(info.value)
    assert "file:///nowhere/at/all/train-images-idx3-ubyte.gz" in text
    assert str(tmp_path / "MNIST" / "raw") in text and "Digits" in text


def tar_of(path: Path, name: str, data: bytes = b"", link_to: str | None = None) -> Path:
    """A tar archive (gzipped if ``path`` ends in gz) of one file, or of one symbolic link."""
    info = tarfile.TarInfo(name)
    if link_to is not None:
        info.type, info.linkname = tarfile.SYMTYPE, link_to
    info.size = len(data)
    with tarfile.open(path, "w:gz" if path.name.endswith("gz") else "w") as tar:
        tar.addfile(info, io.BytesIO(data))
    return path


def test_download_url_keeps_a_good_file_and_extract_knows_its_formats(tmp_path):
    (tmp_path / "a.txt").write_bytes(b"hello")
    first = download_url((tmp_path / "a.txt").as_uri(), tmp_path / "d", md5=md5(b"hello"))
    assert first.read_bytes() == b"hello"
    (tmp_path / "a.txt").unlink()  # already there with the right checksum: not fetched again
    assert download_url((tmp_path / "a.txt").as_uri(), tmp_path / "d", md5=md5(b"hello")) == first
    with pytest.raises(ValueError, match="do not know how to unpack"):
        extract_archive(tmp_path / "d" / "a.txt")


# --- CIFAR ----------------------------------------------------------------------------------

def cifar_pickle(path: Path, entry: dict) -> None:
    path.write_bytes(pickle.dumps(entry))


def write_cifar10(root: Path, per_batch: int = 2) -> tuple[np.ndarray, list[int]]:
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rows, labels = [], []
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        data = RNG.integers(0, 256, (per_batch, 3072), dtype=np.uint8)
        targets = RNG.integers(0, 10, per_batch).tolist()
        cifar_pickle(folder / name, {"data": data, "labels": targets, "batch_label": name})
        if name != "test_batch":
            rows.append(data)
            labels += targets
    names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
             "truck"]
    cifar_pickle(folder / "batches.meta", {"label_names": names, "num_vis": 3072})
    return np.concatenate(rows), labels


def test_cifar10_reads_the_planes_as_height_width_channels(tmp_path):
    rows, labels = write_cifar10(tmp_path)
    ds = datasets.CIFAR10(tmp_path, transform=TO_FLOAT)
    assert isinstance(ds.data, np.ndarray) and ds.data.shape == (10, 32, 32, 3)
    assert ds.data.dtype == np.uint8 and ds.targets == labels and isinstance(ds.targets, list)
    # pixel (row 5, column 7) of image 3: red, green, blue from the three planes of its row
    plane = rows[3].reshape(3, 32, 32)
    assert ds.data[3, 5, 7].tolist() == [plane[0, 5, 7], plane[1, 5, 7], plane[2, 5, 7]]
    assert ds.classes[9] == "truck" and ds.class_to_idx["cat"] == 3 and len(ds) == 10
    x, y = ds[3]
    assert tuple(x.shape) == (32, 32, 3) and y == labels[3] and type(y) is int
    xb, yb = next(iter(DataLoader(ds, batch_size=4)))
    assert tuple(xb.shape) == (4, 32, 32, 3) and yb.tolist() == labels[:4]
    assert len(datasets.CIFAR10(tmp_path, train=False)) == 2
    assert "Split: Test" in repr(datasets.CIFAR10(tmp_path, train=False))


def test_cifar100_fine_labels(tmp_path):
    folder = tmp_path / "cifar-100-python"
    folder.mkdir()
    data = RNG.integers(0, 256, (3, 3072), dtype=np.uint8)
    cifar_pickle(folder / "train", {"data": data, "fine_labels": [5, 99, 0],
                                    "coarse_labels": [1, 2, 3]})
    cifar_pickle(folder / "test", {"data": data[:1], "fine_labels": [7], "coarse_labels": [0]})
    cifar_pickle(folder / "meta", {"fine_label_names": [f"c{i}" for i in range(100)]})
    ds = datasets.CIFAR100(tmp_path)
    assert ds.targets == [5, 99, 0] and ds.classes[99] == "c99"
    assert np.array_equal(ds[1][0], data[1].reshape(3, 32, 32).transpose(1, 2, 0))


def test_damaged_cifar_files(tmp_path):
    write_cifar10(tmp_path)
    folder = tmp_path / "cifar-10-batches-py"
    (folder / "data_batch_2").write_bytes(b"\x80\x04garbage")
    with pytest.raises(ValueError, match="data_batch_2 is damaged: it cannot be unpickled"):
        datasets.CIFAR10(tmp_path)
    cifar_pickle(folder / "data_batch_2", {"images": 1})
    with pytest.raises(ValueError, match=r"not a CIFAR10 file: expected a dict with the keys"):
        datasets.CIFAR10(tmp_path)
    cifar_pickle(folder / "data_batch_2", {"data": np.zeros((2, 100), np.uint8), "labels": [0, 1]})
    with pytest.raises(ValueError, match="one row of 3072 numbers"):
        datasets.CIFAR10(tmp_path)
    (folder / "test_batch").unlink()
    with pytest.raises(RuntimeError, match="incomplete: test_batch missing"):
        datasets.CIFAR10(tmp_path)


def test_cifar_download_from_a_local_archive(tmp_path, monkeypatch):
    source = tmp_path / "src"
    write_cifar10(source)
    archive = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(source / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    monkeypatch.setattr(datasets.CIFAR10, "url", archive.as_uri())
    monkeypatch.setattr(datasets.CIFAR10, "tgz_md5", "f" * 32)
    with pytest.raises(RuntimeError, match="MD5 checksum .* expected f{32}"):
        datasets.CIFAR10(tmp_path / "data", download=True)
    monkeypatch.setattr(datasets.CIFAR10, "tgz_md5", md5(archive.read_bytes()))
    ds = datasets.CIFAR10(tmp_path / "data", download=True)
    assert len(ds) == 10 and (tmp_path / "data" / "cifar-10-python.tar.gz").is_file()
    monkeypatch.setattr(datasets.CIFAR10, "url", "file:///nowhere/cifar.tar.gz")
    with pytest.raises(RuntimeError, match=r"could not download file:///nowhere/cifar.tar.gz"
                                           r"(.|\n)*FakeData or Digits"):
        datasets.CIFAR10(tmp_path / "elsewhere", download=True)


# --- Digits, FakeData ------------------------------------------------------------------------

def test_digits_split_scaling_and_loader():
    tg.manual_seed(123)
    train, test = datasets.Digits(), datasets.Digits(train=False)
    assert (len(train), len(test)) == (1442, 355)
    assert isinstance(train.data, tg.Tensor) and isinstance(train.targets, tg.Tensor)
    # the documented split, worked out another way: walking the file backwards, an image is
    # a test image while its class has fewer than (its count // 5) test images so far
    raw, labels = tg_digits()
    total, taken, in_test = np.bincount(labels), np.zeros(10, int), np.zeros(len(labels), bool)
    for i in reversed(range(len(labels))):
        if taken[labels[i]] < total[labels[i]] // 5:
            taken[labels[i]] += 1
            in_test[i] = True
    for split, rows in ((train, ~in_test), (test, in_test)):
        assert np.array_equal(split.targets.numpy(), labels[rows])
        assert np.array_equal(split.data.numpy(),
                              np.rint(raw[rows] * 255 / 16).astype(np.uint8).reshape(-1, 8, 8))
    tg.manual_seed(7)  # deterministic: no random draw decides the split
    assert np.array_equal(datasets.Digits(train=False).data.numpy(), test.data.numpy())
    assert train.data.dtype == np.uint8 and train.data.shape == (1442, 8, 8)
    counts = np.bincount(test.targets.numpy())
    assert counts.min() >= 34 and counts.max() <= 36  # each class's last fifth
    assert np.array_equal(train.data.numpy()[0], np.rint(raw[0].reshape(8, 8) * 255 / 16))
    assert int(test.targets[-1]) == labels[-1]  # the very last image is a test image
    assert set(np.unique(train.data.numpy())) <= set(np.rint(np.arange(17) * 255 / 16))
    x, y = train[0]
    assert x.shape == (8, 8) and y == labels[0]
    xb, yb = next(iter(DataLoader(datasets.Digits(transform=TO_FLOAT), batch_size=16,
                                  shuffle=True)))
    assert tuple(xb.shape) == (16, 8, 8) and 0 <= float(xb.min()) and float(xb.max()) <= 1
    assert yb.dtype == np.int64
    assert "Root location" not in repr(train) and train.classes == datasets.MNIST.classes


def tg_digits():
    from nn.data import load_digits
    return load_digits()


def test_fakedata_is_deterministic_per_index():
    ds = datasets.FakeData(size=6, image_size=(3, 5, 4), num_classes=3, transform=TO_FLOAT)
    state = tg.get_rng_state()
    (a, ya), (b, yb) = ds[2], ds[2]
    assert np.array_equal(a.numpy(), b.numpy()) and int(ya) == int(yb)
    assert np.array_equal(tg.get_rng_state(), state)  # the shared stream is untouched
    assert not np.array_equal(ds[3][0].numpy(), a.numpy())
    raw = datasets.FakeData(size=6, image_size=(3, 5, 4))[2][0]
    assert raw.dtype == np.uint8 and raw.shape == (5, 4, 3)
    assert np.allclose(a.numpy(), raw / 255, atol=1e-7)
    other = datasets.FakeData(size=6, image_size=(3, 5, 4), random_offset=1)
    assert np.array_equal(other[1][0], raw)  # index + random_offset seeds the example
    grey, label = datasets.FakeData(size=2, image_size=(1, 6, 7), num_classes=4)[0]
    assert grey.shape == (6, 7) and label.dtype == np.int64 and label.shape == ()
    xb, yb = next(iter(DataLoader(ds, batch_size=4)))
    assert tuple(xb.shape) == (4, 5, 4, 3) and tuple(yb.shape) == (4,)
    assert set(yb.tolist()) <= {0, 1, 2} and len(ds) == 6
    with pytest.raises(IndexError, match="out of range for 6 images"):
        ds[6]
    with pytest.raises(ValueError, match=r"\(channels, height, width\)"):
        datasets.FakeData(image_size=(32, 32))


def test_fakedata_bytes_follow_to_pil_image():
    """ToPILImage turns noise v into int(v * 255) mod 256 (truncation, then wrap around)."""
    image = datasets.FakeData(size=1, image_size=(1, 3, 3))[0][0]
    noise = tg.randn(1, 3, 3, generator=tg.Generator().manual_seed(0)).numpy()[0]
    assert image.tolist() == ((noise * 255).astype(np.int64) % 256).tolist()


# --- folders ---------------------------------------------------------------------------------

def test_image_folder_with_npy_files(tmp_path):
    arrays = {}
    for cls, names in (("dog", ["b.npy", "a.npy"]), ("cat", ["z.npy", "notes.txt"])):
        (tmp_path / cls).mkdir()
        for name in names:
            array = RNG.integers(0, 256, (4, 5, 3), dtype=np.uint8)
            if name.endswith(".npy"):
                np.save(tmp_path / cls / name, array)
                arrays[(cls, name)] = array
            else:
                (tmp_path / cls / name).write_text("not an image")
    (tmp_path / "dog" / "deeper").mkdir()
    np.save(tmp_path / "dog" / "deeper" / "c.npy", np.zeros((4, 5, 3), np.uint8))
    ds = datasets.ImageFolder(tmp_path, transform=TO_FLOAT)
    assert ds.classes == ["cat", "dog"] and ds.class_to_idx == {"cat": 0, "dog": 1}
    assert [Path(p).relative_to(tmp_path).as_posix() for p, _ in ds.samples] == [
        "cat/z.npy", "dog/a.npy", "dog/b.npy", "dog/deeper/c.npy"]
    assert ds.targets == [0, 1, 1, 1] and ds.imgs is ds.samples and len(ds) == 4
    x, y = ds[1]
    assert y == 1 and np.allclose(x.numpy(), arrays[("dog", "a.npy")] / 255, atol=1e-7)
    xb, yb = next(iter(DataLoader(ds, batch_size=4)))
    assert tuple(xb.shape) == (4, 4, 5, 3) and yb.tolist() == [0, 1, 1, 1]
    only_a = datasets.ImageFolder(tmp_path, is_valid_file=lambda p: p.endswith("a.npy"),
                                  allow_empty=True)
    assert [t for _, t in only_a.samples] == [1]


def test_dataset_folder_with_own_loader_and_errors(tmp_path):
    (tmp_path / "pos").mkdir()
    (tmp_path / "neg").mkdir()
    (tmp_path / "pos" / "1.txt").write_text("3.5")
    ds = datasets.DatasetFolder(tmp_path, loader=lambda p: float(Path(p).read_text()),
                                extensions=(".txt",), allow_empty=True)
    assert ds[0] == (3.5, 1) and ds.extensions == (".txt",) and ds.classes == ["neg", "pos"]
    with pytest.raises(FileNotFoundError, match=r"no valid file for the classes neg.*"
                                                r"Supported extensions are: \.txt"):
        datasets.DatasetFolder(tmp_path, loader=str, extensions=(".txt",))
    with pytest.raises(ValueError, match="exactly one of them"):
        datasets.DatasetFolder(tmp_path, loader=str, extensions=".txt", is_valid_file=bool)
    # a class named in class_to_idx without a folder has no files either (as torchvision)
    with pytest.raises(FileNotFoundError, match="no valid file for the classes ghost"):
        make_dataset(tmp_path, {"pos": 0, "ghost": 1}, extensions=".txt")
    with pytest.raises(FileNotFoundError, match="Couldn't find any class folder"):
        datasets.ImageFolder(tmp_path / "pos")
    with pytest.raises(FileNotFoundError, match="there is no folder"):
        datasets.ImageFolder(tmp_path / "absent")


def test_default_loader_png_and_other_formats(tmp_path):
    mpimg = pytest.importorskip("matplotlib.image")
    rgb = RNG.integers(0, 256, (3, 4, 3), dtype=np.uint8)
    mpimg.imsave(tmp_path / "x.png", rgb)
    loaded = datasets.default_loader(tmp_path / "x.png")
    assert loaded.dtype == np.uint8 and loaded.shape == (3, 4, 3)
    assert np.array_equal(loaded, rgb)  # alpha dropped, bytes exact


def test_loaders_without_matplotlib_or_pillow_say_what_to_install(tmp_path, monkeypatch):
    import builtins
    real_import = builtins.__import__

    def no_images(name, *args, **kwargs):
        if name.startswith(("matplotlib", "PIL")):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_images)
    with pytest.raises(ImportError, match=r'pip install "tinygrad-dk\[plot\]".*\.npy'):
        datasets.default_loader(tmp_path / "x.png")
    with pytest.raises(ImportError, match=r"needs Pillow.*\.npy"):
        datasets.default_loader(tmp_path / "x.jpg")


@pytest.mark.parametrize("data_filter", [True, False])
def test_extract_refuses_members_outside_and_links(tmp_path, monkeypatch, data_filter):
    """tarfile's "data" filter refuses them; on a Python without it, our own member check."""
    if not data_filter:
        monkeypatch.delattr(tarfile, "data_filter")
    for name, link_to, why in (("../outside.txt", None, "outside"),
                               ("inside/../../outside.txt", None, "outside"),
                               ("inside/passwd", "/etc/passwd", "absolute path|a link")):
        evil = tar_of(tmp_path / "evil.tar.gz", name, b"bad", link_to)
        said = "unsafe entry " if not data_filter else ""  # the fallback's own words
        with pytest.raises((tarfile.TarError, RuntimeError),
                           match=rf"{said}{re.escape(repr(name))}.*({why})"):
            extract_archive(evil, tmp_path / "out")
    assert not (tmp_path / "outside.txt").exists() and not (tmp_path / "out" / "inside").exists()
    good = tar_of(tmp_path / "good.tgz", "folder/ok.txt", b"ok")
    extract_archive(good, tmp_path / "out")
    assert (tmp_path / "out" / "folder" / "ok.txt").read_bytes() == b"ok"
