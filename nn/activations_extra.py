"""More activation modules, as PyTorch's: ``Hardtanh``, ``ReLU6``, ``PReLU``, ``SELU``, ``CELU``,
``Mish``, ``LogSigmoid``, ``Softsign``, ``Softmin``, ``Hardswish``, ``Hardsigmoid``,
``Threshold``, ``GLU``, ``Tanhshrink``, ``Softshrink``, ``Hardshrink``.

Each keeps its settings and calls the function of the same name in ``nn.functional``
(the formulas, and why they are written as they are, are there). ``PReLU`` alone has a
parameter: its learned slope.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nn import functional_extra as FX
from nn.module import Module, float_dtype
from tinygrad_dk import Tensor


class _Activation(Module):
    """An activation with settings: ``forward`` calls ``_function`` with the attributes
    named in ``_options``, and the repr shows them."""

    _options: tuple[str, ...] = ()

    @staticmethod
    def _function(x: Any, **options: Any) -> Tensor:
        raise NotImplementedError

    def forward(self, input: Any) -> Tensor:
        return type(self)._function(input, **{k: getattr(self, k) for k in self._options})

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={getattr(self, k)}" for k in self._options)


class Hardtanh(_Activation):
    """x clipped to [min_val, max_val] (default [-1, 1])."""

    _options = ("min_val", "max_val")
    _function = staticmethod(FX.hardtanh)

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        if min_val > max_val:
            raise ValueError(f"Hardtanh: min_val ({min_val}) must not be larger than max_val "
                             f"({max_val})")
        self.min_val, self.max_val = float(min_val), float(max_val)


class ReLU6(Hardtanh):
    """min(max(x, 0), 6)."""

    _options = ()
    _function = staticmethod(FX.relu6)

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0)


class PReLU(Module):
    """x for x > 0, ``weight * x`` otherwise, with the slope ``weight`` learned: one for all
    channels (``num_parameters=1``) or one per channel of axis 1 (``num_parameters=C``).
    The slopes start at ``init`` (0.25)."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        dtype = float_dtype(dtype)  # None: the default dtype (float32 unless set)
        if int(num_parameters) < 0:
            raise ValueError(f"PReLU: num_parameters must be >= 0, got {num_parameters}")
        self.num_parameters, self.init = int(num_parameters), float(init)
        self.weight = Tensor(np.full(self.num_parameters, self.init, dtype=dtype),
                             requires_grad=True)

    def reset_parameters(self) -> None:
        """Every slope back to ``init``."""
        self.weight.copy_(self.init)

    def forward(self, input: Any) -> Tensor:
        return FX.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class SELU(_Activation):
    """scale * elu(x, alpha) with SELU's constants (self-normalising networks)."""

    _function = staticmethod(FX.selu)

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()


class CELU(_Activation):
    """x for x > 0, alpha (e^(x / alpha) - 1) otherwise."""

    _options = ("alpha",)
    _function = staticmethod(FX.celu)

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        if alpha == 0:
            raise ValueError("CELU: alpha must not be 0 (the formula divides by it)")
        self.alpha = float(alpha)


class Mish(_Activation):
    """x tanh(softplus(x))."""

    _function = staticmethod(FX.mish)

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()


class LogSigmoid(_Activation):
    """log(sigmoid(x)), computed stably as -softplus(-x)."""

    _function = staticmethod(FX.logsigmoid)


class Softsign(_Activation):
    """x / (1 + |x|)."""

    _function = staticmethod(FX.softsign)


class Softmin(_Activation):
    """softmax(-x) along ``dim``."""

    _options = ("dim",)
    _function = staticmethod(FX.softmin)

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim


class Hardswish(_Activation):
    """x relu6(x + 3) / 6."""

    _function = staticmethod(FX.hardswish)

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()


class Hardsigmoid(_Activation):
    """relu6(x + 3) / 6."""

    _function = staticmethod(FX.hardsigmoid)

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()


class Threshold(_Activation):
    """x where x > ``threshold``, else ``value``."""

    _options = ("threshold", "value")
    _function = staticmethod(FX.threshold)

    def __init__(self, threshold: float, value: float, inplace: bool = False) -> None:
        super().__init__()
        self.threshold, self.value = float(threshold), float(value)


class GLU(_Activation):
    """a * sigmoid(b) for the two halves a, b of axis ``dim``: the output is half as long."""

    _options = ("dim",)
    _function = staticmethod(FX.glu)

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = int(dim)


class Tanhshrink(_Activation):
    """x - tanh(x)."""

    _function = staticmethod(FX.tanhshrink)


class Softshrink(_Activation):
    """x - lambd above lambd, x + lambd below -lambd, 0 between."""

    _options = ("lambd",)
    _function = staticmethod(FX.softshrink)

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        FX.check_lambd(type(self).__name__, lambd)
        self.lambd = float(lambd)


class Hardshrink(Softshrink):
    """x where |x| > lambd, else 0."""

    _function = staticmethod(FX.hardshrink)
