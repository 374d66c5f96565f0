"""Saving and loading state dicts: ``save(model.state_dict(), "model.pt")``, ``load("model.pt")``.

The file is numpy's ``.npz`` (a zip of ``.npy`` arrays, one per state-dict key), whatever
its name, so anyone can open it with ``np.load`` and no Python objects are stored in it.
This is the one file format of the project: ``tinygrad_dk.save``/``load`` (PyTorch's
``torch.save``/``torch.load``) and ``nn.save``/``nn.load`` all use it. Two safety rules:

* **Loading never unpickles.** A pickle can run arbitrary code when it is read, so a
  file that carries pickled objects is refused (``allow_pickle=False``). That is also
  why only state dicts are stored, never whole models (``torch.save(model, path)``
  pickles the model in PyTorch; here it is an error that says what to write instead).
* **Saving is atomic.** The arrays go to a temporary file in the same folder, which is
  flushed to disk (``fsync``) and then renamed over the target in one step
  (``os.replace``). A crash or full disk halfway through leaves the previous file as
  it was, never half a file.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from collections.abc import Mapping
from typing import Any

import numpy as np

from tinygrad_dk.node import Node
from tinygrad_dk.tensor import Tensor

_ZIP_MAGIC = b"PK\x03\x04"
_NPY_MAGIC = b"\x93NUMPY"

__all__ = ["save", "load"]


def _as_arrays(obj: Any) -> dict[str, np.ndarray]:
    """The state dict to write, each value a numeric numpy array."""
    if hasattr(obj, "state_dict") and not isinstance(obj, Mapping):
        raise TypeError(
            "save: got a whole model. PyTorch's torch.save(model) stores it with pickle, which "
            "can run code when loaded, so here only state dicts are saved: write "
            "save(model.state_dict(), path), and later model.load_state_dict(load(path))"
        )
    if not isinstance(obj, Mapping):
        raise TypeError(f"save: expected a state dict (a dict of tensors or arrays, e.g. "
                        f"model.state_dict()), got {type(obj).__name__}")
    arrays = {}
    for key, value in obj.items():
        if not isinstance(key, str):
            raise TypeError(f"save: state-dict keys must be strings, got {key!r}")
        if isinstance(value, Mapping):
            raise TypeError(f"save: {key!r} holds a dict; only a flat dict of arrays is stored "
                            "(no pickle). Save each state dict to its own file")
        arr = np.asarray(value.numpy() if isinstance(value, Node) else value)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"save: {key!r} has dtype {arr.dtype}; only numeric arrays can be "
                            "saved (no Python objects, so loading never needs pickle)")
        arrays[key] = arr
    return arrays


def save(obj: Mapping[str, Any], f: Any, **_pytorch_options: Any) -> None:
    """Write a state dict (``{name: tensor or array}``) to ``f``, a path or a binary file.

    A path is written atomically; its name is used as given (``"model.pt"`` holds an
    ``.npz`` archive). PyTorch's extra options (``pickle_protocol`` ...) are ignored.
    """
    arrays = _as_arrays(obj)
    if hasattr(f, "write"):
        np.savez(f, **arrays)
        return
    path = os.fspath(f)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            np.savez(out, **arrays)
            out.flush()
            os.fsync(out.fileno())  # the bytes are on disk before the name points at them
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


def _refuse(name: str, what: str) -> ValueError:
    return ValueError(f"load: cannot load {name!r}: {what}")


def read_arrays(f: Any) -> dict[str, np.ndarray]:
    """The state dict in ``f`` (a path or a binary file) as ``{name: numpy array}``, keys in
    file order; refuses (ValueError naming the file) anything but an intact ``.npz`` of
    numeric arrays."""
    if hasattr(f, "read"):
        name, start = getattr(f, "name", "<file object>"), f.tell()
        head = f.read(len(_NPY_MAGIC))
        f.seek(start)
    else:
        name = os.fspath(f)
        if not os.path.exists(name):
            raise FileNotFoundError(f"load: no such file {name!r} (save one first with "
                                    "save(model.state_dict(), path) or nn.save(model, path))")
        with open(name, "rb") as file:
            head = file.read(len(_NPY_MAGIC))
    if head.startswith(_NPY_MAGIC):
        raise _refuse(name, "it is a single .npy array, not an .npz state dict; save state "
                            "dicts with save(model.state_dict(), path) or nn.save")
    if not head.startswith(_ZIP_MAGIC):
        raise _refuse(name, f"it is not an .npz file (it starts with {head[:4]!r}, an .npz "
                            "starts with b'PK\\x03\\x04'); was it written by save or nn.save? "
                            "(A file from PyTorch's torch.save is a pickle, never read here)")
    out: dict[str, np.ndarray] = {}
    try:
        with np.load(f, allow_pickle=False) as archive:
            for key in archive.files:
                out[key] = archive[key]
    except ValueError as err:
        if "pickle" in str(err):
            raise _refuse(name, "it carries pickled Python objects (an object array); "
                                "unpickling can run arbitrary code, so it is never done. "
                                "Save numeric arrays only") from None
        raise _refuse(name, f"the file is damaged or truncated ({err})") from None
    except (zipfile.BadZipFile, EOFError, OSError, KeyError) as err:
        raise _refuse(name, f"the file is damaged or truncated ({type(err).__name__}: {err}); "
                            "it was probably cut off while being written or copied") from None
    for key, arr in out.items():
        if arr.dtype.kind not in "biuf":
            raise _refuse(name, f"entry {key!r} has dtype {arr.dtype}, not numbers")
    return out


def load(f: Any, map_location: Any = None, weights_only: bool | None = None,
         **_pytorch_options: Any) -> dict[str, Tensor]:
    """Read a state dict written by ``save`` (or ``nn.save``): ``{name: Tensor}``.

    ``map_location`` and ``weights_only`` are accepted for PyTorch programs; loading
    here is always weights only (never pickle) and always onto the CPU.
    """
    return {key: Tensor(arr) for key, arr in read_arrays(f).items()}
