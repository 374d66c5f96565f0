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

import errno
import os
import re
import tempfile
import time
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
    _check_target(path, folder)
    _remove_stale_temporaries(path, folder)
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=_temp_prefix(path), suffix=".tmp")
        with os.fdopen(fd, "wb") as out:
            np.savez(out, **arrays)
            out.flush()
            os.fsync(out.fileno())  # the bytes are on disk before the name points at them
        os.replace(tmp, path)  # atomic: readers see the old file or the new one, never half
    except BaseException as err:  # also Ctrl-C: never leave the temporary file behind
        if tmp is not None and os.path.exists(tmp):
            os.remove(tmp)
        if isinstance(err, OSError):  # name the user's file, not our temporary one
            message = f"save: could not write {path!r}: {err.strerror or err}"
            raise (type(err)(message) if err.errno is None
                   else type(err)(err.errno, message)) from None
        raise
    _fsync_folder(folder)


def _check_target(path: str, folder: str) -> None:
    """Clear errors, naming ``path``, for a target that cannot be written."""
    if os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, f"save: {path!r} is a folder; give a file name "
                                              "inside it, e.g. "
                                              f"{os.path.join(path, 'model.npz')!r}")
    if not os.path.isdir(folder):
        raise FileNotFoundError(errno.ENOENT, f"save: the folder {folder!r} does not exist; "
                                              "create it first (os.makedirs(folder, "
                                              "exist_ok=True)) or check the path")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PermissionError(errno.EACCES, f"save: cannot write {path!r}: the folder "
                                            f"{folder!r} is not writable for you; save into a "
                                            "folder you own (e.g. your home folder)")


def _temp_prefix(path: str) -> str:
    return f".{os.path.basename(path)}."


def _remove_stale_temporaries(path: str, folder: str) -> None:
    """Delete temporary files that an interrupted earlier save of ``path`` left behind
    (the process was killed while writing). One untouched for a minute is stale: a save
    in progress writes to its file all the time."""
    pattern = re.compile(re.escape(_temp_prefix(path)) + r"[A-Za-z0-9_]{8}\.tmp")
    now = time.time()
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        if pattern.fullmatch(name):
            full = os.path.join(folder, name)
            try:
                if now - os.path.getmtime(full) > 60:
                    os.remove(full)
            except OSError:
                pass  # gone already, or not ours to remove


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


def _refuse_foreign_zip(f: Any, name: str) -> None:
    """A zip file that is not an ``.npz`` of arrays: a PyTorch file (``torch.save`` writes
    a zip holding a pickle), or a zip of anything else."""
    start = f.tell() if hasattr(f, "read") else None
    try:
        with zipfile.ZipFile(f) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return  # damaged: np.load says so
    finally:
        if start is not None:
            f.seek(start)
    if any(n.endswith("data.pkl") for n in names):
        raise _refuse(name, "it is a PyTorch file (written by torch.save), not an .npz. "
                            "Convert it once with PyTorch: "
                            "nn.save({k: v.numpy() for k, v in torch.load(path).items()}, "
                            "'model.npz'), then load that")
    foreign = [n for n in names if not n.endswith(".npy")]
    if foreign:
        raise _refuse(name, f"it is a zip archive but not an .npz state dict: it holds "
                            f"{foreign[0]!r}, which is not a .npy array; load files "
                            "written by save or nn.save")


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
        if os.path.isdir(name):
            raise IsADirectoryError(errno.EISDIR, f"load: {name!r} is a folder, not a file; "
                                                  "give the path of the file that save wrote")
        with open(name, "rb") as file:
            head = file.read(len(_NPY_MAGIC))
    if head.startswith(_NPY_MAGIC):
        raise _refuse(name, "it is a single .npy array, not an .npz state dict; save state "
                            "dicts with save(model.state_dict(), path) or nn.save")
    if not head.startswith(_ZIP_MAGIC):
        raise _refuse(name, f"it is not an .npz file (it starts with {head[:4]!r}, an .npz "
                            "starts with b'PK\\x03\\x04'); was it written by save or nn.save? "
                            "(A file from PyTorch's torch.save is a pickle, never read here)")
    _refuse_foreign_zip(f, name)
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
