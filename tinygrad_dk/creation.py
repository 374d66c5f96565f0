"""Functions that make new tensors, and the seeded random generators.

``manual_seed`` resets a single numpy ``Generator`` that ``randn``/``rand``, the
``nn`` package's weight initialisation, dropout and ``DataLoader`` shuffling all draw
from, so one call makes a whole training run repeatable. A ``Generator`` object is an
independent stream, for a ``DataLoader(generator=...)`` or ``random_split``.

Two constructors, two dtype rules: ``tensor(data)`` infers as PyTorch's
``torch.tensor`` (Python ints give int64, floats float32); ``Tensor(data)`` is
``torch.Tensor`` and always gives floating point. Both keep a numpy array's dtype.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_dk import device as _device
from tinygrad_dk import spelling
from tinygrad_dk.dtypes import get_default_dtype, int64, tensor_dtype
from tinygrad_dk.tensor import Tensor

# A fresh seed for each run, kept so that initial_seed() can tell it (as PyTorch's)
_initial_seed = int(np.random.SeedSequence().generate_state(1, np.uint64)[0])
_rng = np.random.default_rng(_initial_seed)


def manual_seed(seed: int) -> np.random.Generator:
    """Seed the shared generator (tensors, nn initialisation, dropout, shuffling); returns it."""
    global _rng, _initial_seed
    _rng = np.random.default_rng(seed)
    _initial_seed = seed
    return _rng


def initial_seed() -> int:
    """The seed the shared generator started from (``manual_seed``'s, or a random one)."""
    return _initial_seed


def generator() -> np.random.Generator:
    """The shared numpy Generator that ``manual_seed`` controls."""
    return _rng


class Generator:
    """An independent random stream, as ``torch.Generator``: ``Generator().manual_seed(0)``."""

    def __init__(self, device: Any = "cpu") -> None:
        _device.check(device, "Generator")
        self._seed: int | None = None
        self.numpy = np.random.default_rng()

    def manual_seed(self, seed: int) -> Generator:
        """Restart the stream from ``seed``; returns the generator itself."""
        self._seed = int(seed)
        self.numpy = np.random.default_rng(self._seed)
        return self

    def initial_seed(self) -> int | None:
        """The seed given to ``manual_seed`` (None before it was called)."""
        return self._seed


def rng_of(gen: Any) -> np.random.Generator:
    """The numpy Generator to draw from: ``gen``'s, or the shared one when None."""
    if gen is None:
        return _rng
    if isinstance(gen, Generator):
        return gen.numpy
    if isinstance(gen, np.random.Generator):
        return gen
    raise TypeError(f"generator must be a tinygrad_dk.Generator (torch.Generator), a numpy "
                    f"Generator or None, got {type(gen).__name__}")


def _shape(shape: tuple, size: Any = None) -> tuple[int, ...]:
    """``zeros(2, 3)``, ``zeros((2, 3))`` or ``zeros(size=(2, 3))``: the shape as ints."""
    return tuple(int(n) for n in spelling.sizes(shape, size))


def _float(dtype: Any) -> Any:
    """``dtype``, or the default float dtype (float32 unless ``set_default_dtype``) for None."""
    return get_default_dtype() if dtype is None else dtype


def _make(arr: np.ndarray, requires_grad: bool, device: Any) -> Tensor:
    _device.check(device)
    return Tensor(arr, requires_grad=requires_grad)


# --- from data --------------------------------------------------------------------------


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    """A new tensor holding a copy of ``data``, dtype inferred as ``torch.tensor`` does.

    ``tensor([1, 2])`` is int64, ``tensor([1.0])`` and ``tensor(0.5)`` float32, bools stay
    bool, and a numpy array (or a Tensor) keeps its dtype: ``tensor(np.zeros(3))`` is float64.
    """
    from_python = not isinstance(data, (np.ndarray, np.generic, Tensor))
    arr = np.array(data.numpy() if isinstance(data, Tensor) else data, copy=True)
    arr = arr.astype(dtype if dtype is not None else tensor_dtype(arr, from_python),
                     copy=False)
    return _make(arr, requires_grad, device)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """Like ``tensor``, but shares the memory of a numpy array or Tensor when it can."""
    if isinstance(data, Tensor) and (dtype is None or data.dtype == dtype):
        return data
    if isinstance(data, np.ndarray):
        return _make(data if dtype is None else data.astype(dtype, copy=False), False, device)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing ``array``'s memory (and dtype): changing one changes the other."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy array (np.ndarray), got "
                        f"{type(array).__name__}; use tensor(data) for lists and numbers")
    return Tensor(array)


# --- filled with one value ------------------------------------------------------------------


def zeros(*shape: Any, dtype: Any = None, requires_grad: bool = False,
          device: Any = None, size: Any = None) -> Tensor:
    """A tensor of zeros; ``zeros(2, 3)`` and ``zeros((2, 3))`` both work."""
    return _make(np.zeros(_shape(shape, size), dtype=_float(dtype)), requires_grad, device)


def ones(*shape: Any, dtype: Any = None, requires_grad: bool = False,
         device: Any = None, size: Any = None) -> Tensor:
    """A tensor of ones."""
    return _make(np.ones(_shape(shape, size), dtype=_float(dtype)), requires_grad, device)


def empty(*shape: Any, dtype: Any = None, requires_grad: bool = False,
          device: Any = None, size: Any = None) -> Tensor:
    """A tensor to be filled in; unlike PyTorch's (whatever was in memory), it holds zeros."""
    return zeros(*shape, dtype=dtype, requires_grad=requires_grad, device=device, size=size)


def _fill_dtype(fill_value: Any) -> Any:
    """PyTorch's (and numpy's) inference for ``full``: bool, int64 or the default float."""
    if isinstance(fill_value, (bool, np.bool_)):
        return np.bool_
    if isinstance(fill_value, (int, np.integer)):
        return int64
    if isinstance(fill_value, np.generic):
        return np.asarray(fill_value).dtype
    return get_default_dtype()


def full(size: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False,
         device: Any = None) -> Tensor:
    """A tensor of shape ``size`` filled with ``fill_value`` (an int gives int64, a float
    float32)."""
    dtype = _fill_dtype(fill_value) if dtype is None else dtype
    return _make(np.full(_shape((size,)), fill_value, dtype=dtype), requires_grad, device)


def _like(t: Any, dtype: Any) -> np.ndarray:
    arr = np.asarray(t)
    return arr if dtype is None else arr.astype(dtype)


def zeros_like(input: Any, dtype: Any = None, requires_grad: bool = False,
               device: Any = None) -> Tensor:
    """Zeros with the shape and dtype of ``input`` (or ``dtype``)."""
    return _make(np.zeros_like(_like(input, dtype)), requires_grad, device)


def ones_like(input: Any, dtype: Any = None, requires_grad: bool = False,
              device: Any = None) -> Tensor:
    """Ones with the shape and dtype of ``input`` (or ``dtype``)."""
    return _make(np.ones_like(_like(input, dtype)), requires_grad, device)


def empty_like(input: Any, dtype: Any = None, requires_grad: bool = False,
               device: Any = None) -> Tensor:
    """Zeros with the shape and dtype of ``input`` (see ``empty``)."""
    return zeros_like(input, dtype=dtype, requires_grad=requires_grad, device=device)


def full_like(input: Any, fill_value: float, dtype: Any = None, requires_grad: bool = False,
              device: Any = None) -> Tensor:
    """``fill_value`` everywhere, with the shape and dtype of ``input`` (or ``dtype``)."""
    return _make(np.full_like(_like(input, dtype), fill_value), requires_grad, device)


# --- ranges -----------------------------------------------------------------------------------


def arange(start: float, end: float | None = None, step: float = 1, dtype: Any = None,
           requires_grad: bool = False, device: Any = None) -> Tensor:
    """Evenly spaced values in [start, end), as ``np.arange``: integers give int64, floats
    float32."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = int64 if ints else get_default_dtype()
    return _make(np.arange(start, end, step, dtype=dtype), requires_grad, device)


def linspace(start: float, end: float, steps: int, dtype: Any = None,
             requires_grad: bool = False, device: Any = None) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end``, both included."""
    return _make(np.linspace(start, end, int(steps)).astype(_float(dtype)), requires_grad, device)


def logspace(start: float, end: float, steps: int, base: float = 10.0, dtype: Any = None,
             requires_grad: bool = False, device: Any = None) -> Tensor:
    """``steps`` values from ``base**start`` to ``base**end``, evenly spaced on a log scale
    (learning rates 1e-4, 1e-3, ..., 1: ``logspace(-4, 0, 5)``)."""
    exponents = np.linspace(start, end, int(steps))
    with np.errstate(over="ignore"):  # base**1000 is inf, as in PyTorch
        return _make(np.power(float(base), exponents).astype(_float(dtype)), requires_grad,
                     device)


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False,
        device: Any = None) -> Tensor:
    """The identity matrix (n x m)."""
    return _make(np.eye(n, m, dtype=_float(dtype)), requires_grad, device)


# --- random -----------------------------------------------------------------------------------


def randn(*shape: Any, dtype: Any = None, requires_grad: bool = False,
          generator: Any = None, device: Any = None, size: Any = None) -> Tensor:
    """Standard normal samples (from the shared generator, or ``generator``)."""
    data = rng_of(generator).standard_normal(_shape(shape, size)).astype(_float(dtype))
    return _make(data, requires_grad, device)


def rand(*shape: Any, dtype: Any = None, requires_grad: bool = False,
         generator: Any = None, device: Any = None, size: Any = None) -> Tensor:
    """Uniform samples in [0, 1) (from the shared generator, or ``generator``)."""
    data = rng_of(generator).random(_shape(shape, size)).astype(_float(dtype))
    return _make(data, requires_grad, device)


def randn_like(input: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples with the shape (and floating dtype) of ``input``."""
    arr = _like(input, dtype)
    return randn(*arr.shape, dtype=arr.dtype if arr.dtype.kind == "f" else None,
                 requires_grad=requires_grad)


def rand_like(input: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1) with the shape (and floating dtype) of ``input``."""
    arr = _like(input, dtype)
    return rand(*arr.shape, dtype=arr.dtype if arr.dtype.kind == "f" else None,
                requires_grad=requires_grad)


def randint(*args: Any, size: Any = None, dtype: Any = int64, generator: Any = None,
            device: Any = None) -> Tensor:
    """Random integers in [low, high): ``randint(high, size)`` or ``randint(low, high, size)``."""
    if size is None and args:
        *args, size = args
    if len(args) not in (1, 2) or size is None:
        raise TypeError("randint(low=0, high, size): give high and size, e.g. randint(10, (3,)) "
                        "or randint(0, 10, (3,))")
    low, high = (0, args[0]) if len(args) == 1 else args
    shape = _shape((size,)) if not isinstance(size, (int, np.integer)) else (int(size),)
    return _make(rng_of(generator).integers(low, high, shape).astype(dtype), False, device)


def randperm(n: int, dtype: Any = int64, generator: Any = None, device: Any = None) -> Tensor:
    """The numbers 0..n-1 in random order (for shuffling rows by hand)."""
    return _make(rng_of(generator).permutation(int(n)).astype(dtype), False, device)


def normal(mean: float, std: float, size: Any, generator: Any = None,
           dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Samples from N(mean, std^2) of shape ``size``."""
    data = rng_of(generator).normal(mean, std, _shape((size,))).astype(_float(dtype))
    return _make(data, requires_grad, None)


# --- PyTorch's old typed constructors (torch.FloatTensor(data), torch.LongTensor(data)) ---------


def _typed(dtype: Any) -> Any:
    def make(*data: Any) -> Tensor:
        if all(isinstance(n, (int, np.integer)) for n in data):  # FloatTensor(2, 3): a shape
            return zeros(*data, dtype=dtype)
        return tensor(data[0], dtype=dtype)

    make.__doc__ = f"``{dtype.__name__}`` data (a list or array), or zeros of a shape."
    return make


FloatTensor, DoubleTensor = _typed(np.float32), _typed(np.float64)
LongTensor, IntTensor, BoolTensor = _typed(np.int64), _typed(np.int32), _typed(np.bool_)
