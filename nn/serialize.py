"""Save and load model weights: ``nn.save(model, "model.npz")``, ``nn.load("model.npz")``.

The file format is the engine's (``tinygrad_dk.save``/``tinygrad_dk.load``, PyTorch's
``torch.save``/``torch.load``): numpy's ``.npz``, one array per state-dict key, written
atomically and read without ever unpickling (see ``tinygrad_dk.serialize``). These
two functions add what ``nn`` knows: ``nn.save`` takes the model itself as well as a
state dict, and ``nn.load`` gives numpy arrays, the form of ``model.state_dict()``.

Typical use::

    nn.save(model, "best.npz")                       # or nn.save(model.state_dict(), ...)
    model.load_state_dict(nn.load("best.npz"))
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import numpy as np

import tinygrad_dk as tg
from nn.module import Module


def save(obj: Module | Mapping[str, Any], path: str | os.PathLike) -> None:
    """Write a model's ``state_dict()`` (or a state dict) to ``path`` as ``.npz``, atomically.

    The name is used as given (numpy would add ``.npz`` to a bare name; we do
    not), so call the file ``something.npz``.
    """
    if isinstance(obj, Module):
        obj = obj.state_dict()
    elif not isinstance(obj, Mapping):
        raise TypeError(f"nn.save: expected an nn.Module or a state dict (a dict of arrays), "
                        f"got {type(obj).__name__}")
    try:
        tg.save(obj, path)
    except (TypeError, OSError) as err:
        raise _named(err) from None


def load(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read a state dict saved by ``nn.save`` (or ``tinygrad_dk.save``): ``{name: numpy
    array}``, keys in file order.

    Refuses (ValueError naming the file) a file that is not an ``.npz`` archive,
    one that is truncated or damaged, and one that carries pickled objects.
    """
    try:
        tensors = tg.load(path)
    except (ValueError, OSError) as err:
        raise _named(err) from None
    return {key: t.numpy() for key, t in tensors.items()}


def _named(err: Exception) -> Exception:
    """The engine's error ("load: ...") naming the function called here ("nn.load: ...")."""
    if isinstance(err, OSError) and err.errno is not None:  # keep errno (and no "[Errno]")
        return type(err)(err.errno, f"nn.{err.strerror}")
    return type(err)(f"nn.{err}")
