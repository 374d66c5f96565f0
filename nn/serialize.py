"""Save and load model weights: ``nn.save(model, "model.npz")``, ``nn.load("model.npz")``.

The file is numpy's ``.npz`` (a zip of ``.npy`` arrays, one per state-dict key),
so anyone can open it with ``np.load`` and no Python objects are stored in it.
Two safety rules:

* **Loading never unpickles.** A pickle can run arbitrary code when it is read,
  so a file that carries pickled objects is refused (``allow_pickle=False``).
* **Saving is atomic.** The arrays go to a temporary file in the same folder,
  which is flushed to disk (``fsync``) and then renamed over the target in one
  step (``os.replace``). A crash or full disk halfway through leaves the
  previous file as it was, never half a file.

Typical use::

    nn.save(model, "best.npz")                       # or nn.save(model.state_dict(), ...)
    model.load_state_dict(nn.load("best.npz"))
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from collections.abc import Mapping
from typing import Any

import numpy as np

from nn.module import Module
from tinygrad_dk import Node

_ZIP_MAGIC = b"PK\x03\x04"
_NPY_MAGIC = b"\x93NUMPY"


def _as_arrays(obj: Module | Mapping[str, Any]) -> dict[str, np.ndarray]:
    """The state dict to write, each value a numeric numpy array."""
    if isinstance(obj, Module):
        return obj.state_dict()
    if not isinstance(obj, Mapping):
        raise TypeError(f"nn.save: expected an nn.Module or a state dict (a dict of arrays), "
                        f"got {type(obj).__name__}")
    arrays = {}
    for key, value in obj.items():
        if not isinstance(key, str):
            raise TypeError(f"nn.save: state-dict keys must be strings, got {key!r}")
        arr = np.asarray(value.numpy() if isinstance(value, Node) else value)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"nn.save: {key!r} has dtype {arr.dtype}; only numeric arrays can "
                            "be saved (no Python objects, so loading never needs pickle)")
        arrays[key] = arr
    return arrays


def save(obj: Module | Mapping[str, Any], path: str | os.PathLike) -> None:
    """Write a model's ``state_dict()`` (or a state dict) to ``path`` as ``.npz``, atomically.

    The name is used as given (numpy would add ``.npz`` to a bare name; we do
    not), so call the file ``something.npz``.
    """
    arrays = _as_arrays(obj)
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())  # the bytes are on disk before the name points at them
        os.replace(tmp, path)  # atomic: readers see the old file or the new one, never half
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    _fsync_folder(folder)


def _fsync_folder(folder: str) -> None:
    """Make the rename itself durable (POSIX); harmless to skip where unsupported."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _refuse(path: str, what: str) -> ValueError:
    return ValueError(f"nn.load: cannot load {path!r}: {what}")


def load(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read a state dict saved by ``nn.save``: ``{name: numpy array}``, keys in file order.

    Refuses (ValueError naming the file) a file that is not an ``.npz`` archive,
    one that is truncated or damaged, and one that carries pickled objects.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"nn.load: no such file {path!r} (save one first with "
                                "nn.save(model, path))")
    with open(path, "rb") as f:
        head = f.read(len(_NPY_MAGIC))
    if head.startswith(_NPY_MAGIC):
        raise _refuse(path, "it is a single .npy array, not an .npz state dict; "
                            "save state dicts with nn.save")
    if not head.startswith(_ZIP_MAGIC):
        raise _refuse(path, f"it is not an .npz file (it starts with {head[:4]!r}, an .npz "
                            "starts with b'PK\\x03\\x04'); was it written by nn.save?")
    out: dict[str, np.ndarray] = {}
    try:
        with np.load(path, allow_pickle=False) as archive:
            for key in archive.files:
                out[key] = archive[key]
    except ValueError as err:
        if "pickle" in str(err):
            raise _refuse(path, "it carries pickled Python objects (an object array); "
                                "unpickling can run arbitrary code, so it is never done. "
                                "Save numeric arrays only") from None
        raise _refuse(path, f"the file is damaged or truncated ({err})") from None
    except (zipfile.BadZipFile, EOFError, OSError, KeyError) as err:
        raise _refuse(path, f"the file is damaged or truncated ({type(err).__name__}: "
                            f"{err}); it was probably cut off while being written or "
                            "copied") from None
    for key, arr in out.items():
        if arr.dtype.kind not in "biuf":
            raise _refuse(path, f"entry {key!r} has dtype {arr.dtype}, not numbers")
    return out
