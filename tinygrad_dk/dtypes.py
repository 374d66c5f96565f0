"""Data types under PyTorch's names: ``torch.float32``, ``torch.long``, ``torch.bool``, ...

Each name is the numpy dtype it stands for, so ``x.dtype == torch.float32``,
``torch.zeros(3, dtype=torch.long)`` and ``np.zeros(3, dtype=torch.float64)`` all work.
``torch.float`` is float32 and ``torch.double`` float64, as in PyTorch (not Python's
``float``, which numpy reads as float64).

``tensor_dtype`` is PyTorch's inference for ``torch.tensor(data)``: Python ints become
int64, Python floats float32, bools bool, and numpy arrays keep their dtype.
(``Tensor(data)``, the numpy-style constructor, keeps the rule of ``torch.Tensor``:
always floating point.)
"""

from __future__ import annotations

from typing import Any

import numpy as np

float16 = half = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = double = np.dtype(np.float64)
int8 = np.dtype(np.int8)
uint8 = np.dtype(np.uint8)
int16 = short = np.dtype(np.int16)
int32 = np.dtype(np.int32)
int64 = long = np.dtype(np.int64)
bool_ = np.dtype(np.bool_)

#: the names that are also Python builtins (exported as ``tinygrad_dk.float`` etc.,
#: but never by ``from tinygrad_dk import *``)
BUILTIN_NAMES = {"float": float32, "int": int32, "bool": bool_}

__all__ = ["float16", "half", "float32", "float64", "double", "int8", "uint8", "int16",
           "short", "int32", "int64", "long", "bool_", "tensor_dtype", "is_floating_point"]

# --- PyTorch names: misc ---
# The default floating-point dtype: the one switch behind every "Python floats become
# float32" rule (Tensor(data), tensor(data), zeros/ones/rand/randn/arange/linspace/eye,
# full with a float). ``set_default_dtype(float64)`` flips them all at once.
_default_float = float32


def get_default_dtype() -> np.dtype:
    """The dtype that Python floats and the factories' float results get
    (``torch.get_default_dtype()``): float32 unless ``set_default_dtype`` changed it."""
    return _default_float


def set_default_dtype(d: Any) -> None:
    """Make ``d`` (float32 or float64) the dtype of new floating-point tensors, as
    ``torch.set_default_dtype``: ``tensor(0.5)``, ``zeros(3)``, ``randn(2)``...
    numpy arrays keep their own dtype, as always."""
    global _default_float
    try:
        dtype = np.dtype(d) if d is not None else None  # (np.dtype(None) is float64)
    except TypeError:
        dtype = None
    if dtype is None or dtype not in (float32, float64):
        raise TypeError(
            f"set_default_dtype: only float32 and float64 can be the default dtype, got {d!r}; "
            "use torch.float32 (the usual) or torch.float64 (for gradient checks). Integer "
            "dtypes are given per tensor: tensor(data, dtype=torch.long)"
        )
    _default_float = dtype
# --- end misc ---


def tensor_dtype(arr: np.ndarray, from_python: bool) -> np.dtype:
    """The dtype ``torch.tensor`` gives data that numpy read as ``arr``."""
    if not from_python:
        return arr.dtype  # numpy arrays, numpy scalars and Tensors keep theirs
    if arr.dtype.kind == "f":
        return get_default_dtype()
    if arr.dtype.kind in "iu":
        return int64
    return arr.dtype


def is_floating_point(x: Any) -> bool:
    """True for a floating-point tensor or array (the kind that can require grad)."""
    return np.asarray(x).dtype.kind == "f"
