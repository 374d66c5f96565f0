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

from tinygrad_dk.backward import backprop
from tinygrad_dk.grad_mode import no_grad
from tinygrad_dk.node import Node


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


def _as_number(out: Any, proj: np.ndarray | None) -> Any:
    """The checked function's output as one number-node: itself, or sum(out * proj)."""
    if not isinstance(out, Node):
        raise TypeError(
            f"gradcheck: the function must return a Tensor or a Value, got {type(out).__name__}"
        )
    return out if proj is None else (out * proj).sum()


def _perturbed(node: Node, values: np.ndarray) -> None:
    """Write ``values`` into an input without recording anything (the function is re-run)."""
    with no_grad():
        node.copy_(values)


def _check(fn: Callable, inputs: Sequence[Any], eps: float, atol: float, rtol: float,
           raise_exception: bool, fast_mode: bool, seed: int) -> bool:
    """The one check for both engines: analytic gradient vs central differences."""
    rng = np.random.default_rng(seed)
    # Reports name an input by its position in ``inputs``, constants included.
    positions = [k for k, v in enumerate(inputs) if isinstance(v, Node) and v.requires_grad]
    checked = [inputs[k] for k in positions]
    if not checked:
        raise ValueError("gradcheck: no input Tensor has requires_grad=True; nothing to check")
    for t in checked:
        if t.dtype != np.float64:
            warnings.warn(
                f"gradcheck: an input is {t.dtype}, not float64; the numeric derivative will "
                "be imprecise. Create inputs with np.float64 data",
                UserWarning,
                stacklevel=3,
            )
    with no_grad():
        first = _as_number(fn(*inputs), None)  # also checks what fn returns
    # A non-scalar output is checked through a fixed random projection sum(out * v):
    # the same vector-Jacobian product a scalar loss on top would use.
    proj = None if first.numel() == 1 else rng.standard_normal(first.shape).astype(first.dtype)
    out = _as_number(fn(*inputs), proj)
    grads = backprop(out, out._seed(None, False), targets=checked)
    analytic = [np.zeros(t.shape) if g is None else np.asarray(g, dtype=np.float64)
                for g, t in zip(grads, checked)]

    def value() -> float:
        with no_grad():
            return float(_as_number(fn(*inputs), proj).numpy().reshape(-1)[0])

    def slope(node: Node, base: np.ndarray, step: np.ndarray) -> float:
        _perturbed(node, base + step)
        plus = value()
        _perturbed(node, base - step)
        minus = value()
        _perturbed(node, base)
        return (plus - minus) / (2 * eps)

    rows, total = [], 0
    for i, t in enumerate(checked):
        name = f"{positions[i]} {t.label}".strip()
        base = np.array(t.numpy(), copy=True)
        if fast_mode:
            # One random direction u per input: compare grad . u with the slope along u.
            u = rng.standard_normal(t.shape)
            a, numeric = float(np.sum(analytic[i] * u)), slope(t, base, eps * u)
            if not _close(a, numeric, atol, rtol):
                total += 1
                rows.append((name, "direction", a, numeric))
            continue
        for j in range(base.size):
            step = np.zeros(base.shape)
            step.flat[j] = eps
            a, numeric = float(analytic[i].flat[j]), slope(t, base, step)
            if not _close(a, numeric, atol, rtol):
                total += 1
                # plain ints: numpy 2 would print (np.int64(1), np.int64(2))
                idx = "-" if not t.shape else str(tuple(
                    int(k) for k in np.unravel_index(j, t.shape)))
                rows.append((name, idx, a, numeric))
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
    engines = {type(v).__name__ for v in inputs if isinstance(v, Node)}
    if len(engines) > 1:
        raise TypeError("gradcheck: inputs mix Values and Tensors; use one engine")
    return _check(fn, inputs, eps, atol, rtol, raise_exception, fast_mode, seed)
