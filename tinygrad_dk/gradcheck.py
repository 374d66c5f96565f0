"""Numeric gradient checks: is backprop's answer the slope we can measure?

For each input element x_i the central difference

    (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)

approximates df/dx_i with an error of order eps^2. ``gradcheck`` compares it with
the gradient backprop computes, element by element, and reports the first
disagreements in a small table. Use float64: with float32's 7 digits the
difference quotient is mostly rounding noise.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tinygrad_dk import autograd
from tinygrad_dk.tensor import Tensor
from tinygrad_dk.value import Value


class GradcheckError(AssertionError):
    """Backprop and the numeric derivative disagree; the message holds a table."""


def _table(rows: list[tuple], total: int) -> str:
    head = (f"{'input':<14}{'element':<16}{'analytic':>14}{'numeric':>14}"
            f"{'abs err':>12}{'rel err':>12}")
    lines = [head, "-" * len(head)]
    for name, idx, a, n in rows:
        err = abs(a - n)
        rel = err / max(abs(n), 1e-300)
        lines.append(f"{name:<14.14}{idx:<16.16}{a:>14.6g}{n:>14.6g}{err:>12.3g}{rel:>12.3g}")
    if total > len(rows):
        lines.append(f"... and {total - len(rows)} more mismatching element(s)")
    return "\n".join(lines)


def _fail(rows: list[tuple], total: int, atol: float, rtol: float, raise_exception: bool) -> bool:
    if not raise_exception:
        return False
    raise GradcheckError(
        f"gradcheck: backprop disagrees with the numeric derivative at {total} element(s) "
        f"(tolerance: |analytic - numeric| <= {atol:g} + {rtol:g} * |numeric|)\n"
        + _table(rows[:10], total)
    )


def _close(a: float, n: float, atol: float, rtol: float) -> bool:
    if np.isnan(a) and np.isnan(n):
        return True
    return bool(abs(a - n) <= atol + rtol * abs(n))


def _check_values(fn: Callable, inputs: Sequence[Value], eps: float, atol: float, rtol: float,
                  raise_exception: bool) -> bool:
    saved = [v.grad for v in inputs]
    for v in inputs:
        v.grad = 0.0
    fn(*inputs).backward()
    analytic = [v.grad for v in inputs]
    rows = []
    for i, v in enumerate(inputs):
        x = v.data
        v.data = x + eps
        plus = fn(*inputs).data
        v.data = x - eps
        minus = fn(*inputs).data
        v.data = x
        numeric = (plus - minus) / (2 * eps)
        if not _close(analytic[i], numeric, atol, rtol):
            rows.append((f"{i} {v.label}".strip(), "-", analytic[i], numeric))
    for v, g in zip(inputs, saved):
        v.grad = g
    return _fail(rows, len(rows), atol, rtol, raise_exception) if rows else True


def _scalar_of(fn: Callable, inputs: Sequence[Any], proj: np.ndarray | None) -> Any:
    out = fn(*inputs)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: the function must return a Tensor, got {type(out).__name__}")
    return out if proj is None else (out * proj).sum()


def _check_tensors(fn: Callable, inputs: Sequence[Any], eps: float, atol: float, rtol: float,
                   raise_exception: bool, fast_mode: bool, seed: int) -> bool:
    rng = np.random.default_rng(seed)
    # Reports name an input by its position in ``inputs``, constants included.
    positions = [k for k, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    tensors = [inputs[k] for k in positions]
    if not tensors:
        raise ValueError("gradcheck: no input Tensor has requires_grad=True; nothing to check")
    for t in tensors:
        if t.dtype != np.float64:
            warnings.warn(
                f"gradcheck: an input is {t.dtype}, not float64; the numeric derivative will "
                "be imprecise. Create inputs with np.float64 data",
                UserWarning,
                stacklevel=3,
            )
    with autograd.no_grad():
        first = _scalar_of(fn, inputs, None)  # also checks that fn returns a Tensor
    # A non-scalar output is checked through a fixed random projection sum(out * v):
    # the same vector-Jacobian product a scalar loss on top would use.
    proj = None if first.size == 1 else rng.standard_normal(first.shape).astype(first.dtype)
    targets = list(tensors)
    out = _scalar_of(fn, inputs, proj)
    grads = autograd.backprop(out, np.ones_like(out.data), targets=targets)
    analytic = [np.zeros(t.shape) if g is None else np.asarray(g, dtype=np.float64)
                for g, t in zip(grads, targets)]

    def value() -> float:
        with autograd.no_grad():
            return _scalar_of(fn, inputs, proj).item()  # also for shape (1,) or (1, 1)

    rows, total = [], 0
    if fast_mode:
        # One random direction u per input: compare grad . u with the slope along u.
        for i, t in enumerate(tensors):
            u = rng.standard_normal(t.shape)
            original = t.data
            t._data = original + eps * u
            plus = value()
            t._data = original - eps * u
            minus = value()
            t._data = original
            numeric = (plus - minus) / (2 * eps)
            a = float(np.sum(analytic[i] * u))
            if not _close(a, numeric, atol, rtol):
                total += 1
                rows.append((f"{positions[i]} {t.label}".strip(), "direction", a, numeric))
    else:
        for i, t in enumerate(tensors):
            flat = t.data.reshape(-1)  # a view: writing flat[j] changes t.data
            if not np.shares_memory(flat, t.data) or not t.data.flags.writeable:
                t._data = t.data.copy()
                flat = t.data.reshape(-1)
            for j in range(flat.size):
                x = flat[j]
                flat[j] = x + eps
                plus = value()
                flat[j] = x - eps
                minus = value()
                flat[j] = x
                numeric = (plus - minus) / (2 * eps)
                a = float(analytic[i].reshape(-1)[j])
                if not _close(a, numeric, atol, rtol):
                    total += 1
                    # plain ints: numpy 2 would print (np.int64(1), np.int64(2))
                    idx = str(tuple(int(k) for k in np.unravel_index(j, t.shape)))
                    rows.append((f"{positions[i]} {t.label}".strip(), idx, a, numeric))
    return _fail(rows, total, atol, rtol, raise_exception) if rows else True


def gradcheck(
    fn: Callable,
    inputs: Sequence[Any],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    fast_mode: bool = False,
    seed: int = 0,
) -> bool:
    """Check backprop against central differences for ``fn(*inputs)``.

    ``inputs`` are Values, or Tensors (those with ``requires_grad=True`` are
    checked; use float64). Returns True, or raises ``GradcheckError`` with a
    table naming the input, element, analytic and numeric values
    (``raise_exception=False`` returns False instead). ``fast_mode`` checks one
    random direction per input instead of every element: use it for big inputs.
    """
    inputs = list(inputs)
    if not inputs:
        raise ValueError("gradcheck: give at least one input")
    if all(isinstance(v, Value) for v in inputs):
        return _check_values(fn, inputs, eps, atol, rtol, raise_exception)
    if any(isinstance(v, Value) for v in inputs):
        raise TypeError("gradcheck: inputs mix Values and Tensors; use one engine")
    return _check_tensors(fn, inputs, eps, atol, rtol, raise_exception, fast_mode, seed)
