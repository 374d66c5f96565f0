"""Functions that make new tensors, and the one seeded random generator.

``manual_seed`` resets a single numpy ``Generator`` that ``randn``/``rand`` and
the ``nn`` package's weight initialisation all draw from, so one call makes a
whole training run repeatable.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_dk.tensor import Tensor

_rng = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Seed the shared generator (tensors, nn initialisation, dropout); returns it."""
    global _rng
    _rng = np.random.default_rng(seed)
    return _rng


def generator() -> np.random.Generator:
    """The shared numpy Generator that ``manual_seed`` controls."""
    return _rng


def _shape(shape: tuple) -> tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(n) for n in shape)


def zeros(*shape: Any, dtype: Any = np.float32, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros; ``zeros(2, 3)`` and ``zeros((2, 3))`` both work."""
    return Tensor(np.zeros(_shape(shape), dtype=dtype), requires_grad=requires_grad)


def ones(*shape: Any, dtype: Any = np.float32, requires_grad: bool = False) -> Tensor:
    """A tensor of ones."""
    return Tensor(np.ones(_shape(shape), dtype=dtype), requires_grad=requires_grad)


def full(shape: Any, fill_value: float, dtype: Any = np.float32,
         requires_grad: bool = False) -> Tensor:
    """A tensor of ``shape`` filled with ``fill_value``."""
    return Tensor(np.full(_shape((shape,)), fill_value, dtype=dtype), requires_grad=requires_grad)


def zeros_like(t: Any, requires_grad: bool = False) -> Tensor:
    """Zeros with the shape and dtype of ``t``."""
    return Tensor(np.zeros_like(np.asarray(t)), requires_grad=requires_grad)


def ones_like(t: Any, requires_grad: bool = False) -> Tensor:
    """Ones with the shape and dtype of ``t``."""
    return Tensor(np.ones_like(np.asarray(t)), requires_grad=requires_grad)


def full_like(t: Any, fill_value: float, requires_grad: bool = False) -> Tensor:
    """``fill_value`` everywhere, with the shape and dtype of ``t``."""
    return Tensor(np.full_like(np.asarray(t), fill_value), requires_grad=requires_grad)


def arange(start: float, stop: float | None = None, step: float = 1, dtype: Any = None,
           requires_grad: bool = False) -> Tensor:
    """Evenly spaced values, as ``np.arange``: integers give int64, floats float32."""
    if stop is None:
        start, stop = 0, start
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, stop, step))
        dtype = np.int64 if ints else np.float32
    return Tensor(np.arange(start, stop, step, dtype=dtype), requires_grad=requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = np.float32) -> Tensor:
    """The identity matrix (n x m)."""
    return Tensor(np.eye(n, m, dtype=dtype))


def randn(*shape: Any, dtype: Any = np.float32, requires_grad: bool = False) -> Tensor:
    """Standard normal samples from the shared generator."""
    data = _rng.standard_normal(_shape(shape)).astype(dtype)
    return Tensor(data, requires_grad=requires_grad)


def rand(*shape: Any, dtype: Any = np.float32, requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1) from the shared generator."""
    return Tensor(_rng.random(_shape(shape)).astype(dtype), requires_grad=requires_grad)
