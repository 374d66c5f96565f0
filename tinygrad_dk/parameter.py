"""``Parameter``: a Tensor that a model learns, as ``torch.nn.Parameter``.

Assigned to an attribute of an ``nn.Module`` it is registered as one of the module's
parameters (so ``model.parameters()`` and the optimizer see it), even with
``requires_grad=False`` (a frozen parameter is still the model's). Everything computed
from it is an ordinary ``Tensor``: ``(w * 2)`` is not a parameter.

A plain ``Tensor(data, requires_grad=True)`` assigned to a module is registered too;
``Parameter`` is there for PyTorch programs (``self.w = nn.Parameter(torch.randn(3))``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_dk.tensor import Tensor


class Parameter(Tensor):
    """``Parameter(data, requires_grad=True)``: a learnable leaf tensor (see the module)."""

    __slots__ = ()
    _result_class = Tensor  # results of operations are plain Tensors

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            data = np.empty(0, dtype=np.float32)
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
