"""``tg.testing``: PyTorch's ``torch.testing.assert_close`` and ``make_tensor``.

``assert_close(actual, expected)`` passes when every element satisfies
``|actual - expected| <= atol + rtol * |expected|`` with tolerances chosen by the dtype
(float32: rtol 1.3e-6, atol 1e-5; float64: 1e-7 and 1e-7; integers and bools: exactly
equal), the same defaults as PyTorch. It fails with PyTorch's report: how many elements
differ, and the greatest absolute and relative difference and where::

    Tensor-likes are not close!

    Mismatched elements: 1 / 3 (33.3%)
    Greatest absolute difference: 0.1 at index (1,) (up to 1e-05 allowed)
    Greatest relative difference: 0.05 at index (1,) (up to 1.3e-06 allowed)

Shapes and (unless ``check_dtype=False``) dtypes must agree first. Lists, tuples and dicts
of tensors are compared item by item; Python numbers with Python numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from tinygrad_dk.creation import rng_of
from tinygrad_dk.device import check as check_device
from tinygrad_dk.tensor import Tensor

# PyTorch's default (rtol, atol) by dtype; integers and bools compare exactly
_TOLERANCES = {np.dtype(np.float16): (1e-3, 1e-5), np.dtype(np.float32): (1.3e-6, 1e-5),
               np.dtype(np.float64): (1e-7, 1e-7)}
_NUMBERS = (bool, int, float)


def _default_tolerances(*dtypes: np.dtype) -> tuple[float, float]:
    """The loosest of the dtypes' defaults (comparing float32 with float64: float32's)."""
    pairs = [_TOLERANCES.get(np.dtype(d), (0.0, 0.0)) for d in dtypes]
    return max(p[0] for p in pairs), max(p[1] for p in pairs)


def _fail(message: str, msg: str | Callable[[str], str] | None, where: str) -> None:
    if where:
        message += f"\n\nThe failure occurred for item {where}"
    if msg is not None:
        message = msg if isinstance(msg, str) else msg(message)
    raise AssertionError(message)


def _compare_arrays(actual: np.ndarray, expected: np.ndarray, scalar: bool, rtol: float,
                    atol: float, equal_nan: bool, msg: Any, where: str) -> None:
    """The element-wise check of two same-shape arrays, with PyTorch's report on failure."""
    exact = rtol == 0 and atol == 0 and actual.dtype.kind in "biu" \
        and expected.dtype.kind in "biu"
    common = np.result_type(actual, expected)
    if common.kind == "b":
        common = np.dtype(np.int64)  # (True - False: numbers, not a bool subtraction)
    a, e = actual.astype(common), expected.astype(common)
    with np.errstate(all="ignore"):
        close = np.isclose(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan)
        if close.all():
            return
        diff = np.abs(a - e)
        if common.kind == "f":
            # equal infinities differ by inf - inf = nan: they are equal (0 apart)
            diff = np.where(a == e, 0, diff)
        relative = diff / np.abs(e)
    verb = "equal" if exact else "close"
    allowed = ("", "") if exact else (f" (up to {atol} allowed)", f" (up to {rtol} allowed)")
    if scalar:
        _fail(f"Scalars are not {verb}!\n\nExpected {e.item()} but got {a.item()}.\n"
              f"Absolute difference: {diff.item()}{allowed[0]}\n"
              f"Relative difference: {relative.item()}{allowed[1]}", msg, where)
    n_bad, total = int((~close).sum()), close.size
    # np.argmax stops at the first nan: nan is reported, as PyTorch does
    i_abs = np.unravel_index(np.argmax(np.where(close, 0, diff)), close.shape)
    i_rel = np.unravel_index(np.argmax(np.where(close, 0, relative)), close.shape)
    _fail(f"Tensor-likes are not {verb}!\n\n"
          f"Mismatched elements: {n_bad} / {total} ({100 * n_bad / total:.1f}%)\n"
          f"Greatest absolute difference: {diff[i_abs].item()} at index "
          f"{tuple(int(i) for i in i_abs)}{allowed[0]}\n"
          f"Greatest relative difference: {relative[i_rel].item()} at index "
          f"{tuple(int(i) for i in i_rel)}{allowed[1]}", msg, where)


def _compare(actual: Any, expected: Any, rtol: float | None, atol: float | None,
             equal_nan: bool, check_dtype: bool, msg: Any, where: str) -> None:
    if isinstance(actual, Mapping) and isinstance(expected, Mapping):
        if set(actual) != set(expected):
            _fail(f"The keys of the mappings do not match: {sorted(map(str, actual))} != "
                  f"{sorted(map(str, expected))}", msg, where)
        for key in expected:
            _compare(actual[key], expected[key], rtol, atol, equal_nan, check_dtype, msg,
                     f"{where}[{key!r}]")
        return
    if (isinstance(actual, Sequence) and isinstance(expected, Sequence)
            and not isinstance(actual, str) and not isinstance(expected, str)):
        if len(actual) != len(expected):
            _fail(f"The length of the sequences mismatch: {len(actual)} != {len(expected)}",
                  msg, where)
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            _compare(a, e, rtol, atol, equal_nan, check_dtype, msg, f"{where}[{i}]")
        return
    both_tensors = isinstance(actual, (Tensor, np.ndarray)) and type(actual) is type(
        expected) or (isinstance(actual, Tensor) and isinstance(expected, Tensor))
    both_numbers = isinstance(actual, _NUMBERS) and isinstance(expected, _NUMBERS)
    if not (both_tensors or both_numbers):
        raise TypeError(f"No comparison pair was able to handle inputs of type "
                        f"{type(actual)} and {type(expected)}: compare two Tensors (or "
                        "two numpy arrays, or two Python numbers); convert one with "
                        "torch.tensor(...) or .item()")
    if both_numbers:
        if check_dtype and type(actual) is not type(expected):
            _fail(f"The (d)types do not match: {type(actual)} != {type(expected)}.", msg, where)
        a, e = np.asarray(actual), np.asarray(expected)
        if a.dtype.kind == "f" or e.dtype.kind == "f":  # Python floats are float64 numbers
            a, e = a.astype(np.float64), e.astype(np.float64)
    else:
        a, e = np.asarray(actual.data if isinstance(actual, Tensor) else actual), \
            np.asarray(expected.data if isinstance(expected, Tensor) else expected)
        if a.shape != e.shape:
            _fail(f"The values for attribute 'shape' do not match: {a.shape} != {e.shape}.",
                  msg, where)
        if check_dtype and a.dtype != e.dtype:
            _fail(f"The values for attribute 'dtype' do not match: {a.dtype} != {e.dtype}.",
                  msg, where)
    if rtol is None:
        rtol, atol = _default_tolerances(a.dtype, e.dtype)
    _compare_arrays(a, e, a.ndim == 0, rtol, atol, equal_nan, msg, where)


def assert_close(actual: Any, expected: Any, *, rtol: float | None = None,
                 atol: float | None = None, equal_nan: bool = False, check_dtype: bool = True,
                 msg: str | Callable[[str], str] | None = None, **ignored: Any) -> None:
    """Raise AssertionError unless ``actual`` and ``expected`` are close, element by element
    (see the module for the rule, the default tolerances and the report).

    ``rtol`` and ``atol`` go together (give both or neither); ``equal_nan=True`` lets nan
    match nan; ``check_dtype=False`` compares float32 with float64 (at float32's
    tolerances); ``msg`` replaces the report (a string) or edits it (a function of it).
    PyTorch's ``check_device``, ``check_layout``, ``check_stride`` are accepted (one device,
    one layout here)."""
    unknown = set(ignored) - {"check_device", "check_layout", "check_stride", "allow_subclasses"}
    if unknown:
        raise TypeError(f"assert_close: unexpected arguments {sorted(unknown)}")
    if (rtol is None) != (atol is None):
        missing = "rtol" if rtol is None else "atol"
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got "
                         f"no {missing}.")
    _compare(actual, expected, rtol, atol, equal_nan, check_dtype, msg, "")


def make_tensor(*shape: Any, dtype: Any, device: Any = "cpu", low: float | None = None,
                high: float | None = None, requires_grad: bool = False,
                noncontiguous: bool = False, exclude_zero: bool = False,
                memory_format: Any = None) -> Tensor:
    """A tensor of random test values from the shared generator (``manual_seed`` repeats
    them), as ``torch.testing.make_tensor``: floats uniform in [low, high) (default
    [-9, 9)), integers in [low, high) (default [-9, 10), unsigned from 0), bools at random.
    ``exclude_zero`` replaces zeros (by 1, or float's smallest normal number)."""
    check_device(device, "make_tensor")
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    dt = np.dtype(dtype)
    rng = rng_of(None)
    if low is not None and high is not None and low > high:
        raise ValueError(f"make_tensor: low must not exceed high, got low={low}, high={high}")
    if dt.kind == "b":
        data = rng.random(shape) < 0.5
    elif dt.kind in "iu":
        lo = int(low) if low is not None else (0 if dt.kind == "u" else -9)
        hi = int(high) if high is not None else 10
        data = rng.integers(lo, max(hi, lo + 1), shape).astype(dt)
    else:
        lo = -9.0 if low is None else float(low)
        hi = 9.0 if high is None else float(high)
        data = rng.uniform(lo, hi, shape).astype(dt)
    if exclude_zero:
        one = np.finfo(dt).tiny if dt.kind == "f" else 1
        data = np.where(data == 0, one, data).astype(dt)
    t = Tensor(np.asarray(data, dtype=dt))
    return t.requires_grad_(True) if requires_grad else t


__all__ = ["assert_close", "make_tensor"]
