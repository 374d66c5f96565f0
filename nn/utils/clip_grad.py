"""Gradient clipping: keep one unlucky batch from throwing the weights far away.

``clip_grad_norm_(model.parameters(), max_norm=1.0)`` goes between ``loss.backward()``
and ``optimizer.step()``. It treats all the gradients as one long vector; when that
vector is longer than ``max_norm`` it scales every gradient down by the same factor,
so the direction of the step stays the same and only its length is limited.
``clip_grad_value_`` instead cuts each gradient element to [-clip_value, clip_value],
which can change the direction.

Both work on Tensor and Value parameters (through the parameter surface:
``grad_numpy()`` to read, ``p.grad = ...`` to write) and skip parameters without a
gradient.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from tinygrad_dk import Node, Tensor


def _with_grads(parameters: Any) -> list[Any]:
    params = [parameters] if isinstance(parameters, Node) else list(parameters)
    return [p for p in params if p.grad_numpy() is not None]


def clip_grad_norm_(parameters: Iterable[Any] | Any, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach: Any = None) -> Tensor:
    """Scale the gradients so that their total ``norm_type``-norm is at most ``max_norm``.

    Returns the total norm before clipping (a 0-d Tensor, as PyTorch). The factor is
    ``max_norm / (total + 1e-6)``, applied only when it is below 1, as PyTorch does.
    A NaN or infinite total is an error when ``error_if_nonfinite=True``.
    """
    if not max_norm >= 0:
        raise ValueError(f"clip_grad_norm_: max_norm must be >= 0, got {max_norm!r}")
    params = _with_grads(parameters)
    grads = [np.asarray(p.grad_numpy(), dtype=np.float64).ravel() for p in params]
    flat = np.concatenate(grads) if grads else np.zeros(0)
    norm_type = float(norm_type)
    if flat.size == 0:
        total = 0.0
    elif math.isinf(norm_type):
        total = float(np.max(np.abs(flat)))
    else:
        total = float(np.linalg.norm(flat, ord=norm_type))
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total norm of the gradients is {total}; "
                           "the loss or a gradient is not finite (check the learning rate and "
                           "the data), or pass error_if_nonfinite=False")
    factor = max_norm / (total + 1e-6)
    if factor < 1.0:
        for p in params:
            p.grad = p.grad * factor
    return Tensor(np.float32(total))


def clip_grad_value_(parameters: Iterable[Any] | Any, clip_value: float,
                     foreach: Any = None) -> None:
    """Cut every gradient element to [-clip_value, clip_value], in place."""
    if not clip_value >= 0:
        raise ValueError(f"clip_grad_value_: clip_value must be >= 0, got {clip_value!r}")
    for p in _with_grads(parameters):
        clipped = np.clip(p.grad_numpy(), -clip_value, clip_value)
        p.grad = type(p.grad)(clipped)  # the engine's own kind: a Tensor, or a float (Value)
