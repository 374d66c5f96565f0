"""All parameters as one vector and back, as ``torch.nn.utils``: for methods that see
the weights as one point (line searches, second-order methods, weight averaging,
perturbing the weights to look at the loss landscape)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

import tinygrad_dk as tg
from tinygrad_dk import Tensor


def _tensors(parameters: Any, name: str) -> list[Tensor]:
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for p in params:
        if not isinstance(p, Tensor):
            raise TypeError(f"{name}: expected Tensors (e.g. model.parameters()), got "
                            f"{type(p).__name__}")
    return params


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """The parameters flattened and joined into one 1-d Tensor, in order. It is part of the
    graph: a loss of the vector backpropagates into every parameter."""
    params = _tensors(parameters, "parameters_to_vector")
    if not params:
        raise ValueError("parameters_to_vector: got no parameters")
    return tg.concatenate([p.reshape(-1) for p in params])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Write the slices of the 1-d ``vec`` into the parameters, in order (the inverse of
    ``parameters_to_vector``); each keeps its shape and dtype."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"vector_to_parameters: expected a Tensor, got {type(vec).__name__}")
    params = _tensors(parameters, "vector_to_parameters")
    values = vec.numpy()
    total = sum(p.numel() for p in params)
    if values.ndim != 1 or values.size != total:
        raise ValueError(f"vector_to_parameters: the parameters hold {total} numbers, so vec must "
                         f"be 1-d of length {total}, got shape {values.shape}")
    start = 0
    for p in params:
        n = p.numel()
        p.copy_(np.asarray(values[start:start + n], dtype=p.dtype).reshape(p.shape))
        start += n
