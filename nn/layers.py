"""Tensor layers: ``Linear``, ``Sequential``, activation modules, ``Dropout`` and friends.

They work on whole batches: an input of shape ``(batch, features)`` goes through
``Sequential(Linear(2, 8), ReLU(), Linear(8, 1))`` in three matrix-sized steps.
Names, shapes and state-dict keys are PyTorch's, so a trained model loads into
the equivalent ``torch.nn`` model unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from nn import functional as F
from nn import init
from nn.containers import ModuleSequence
from nn.functional_layers import to_tensor
from nn.module import Module, float_dtype
from tinygrad_dk import Tensor


class Linear(Module):
    """A fully connected layer: ``y = x @ W.T + b``.

    ``weight`` has shape ``(out_features, in_features)`` (PyTorch's layout: one
    row per output unit) and ``bias`` shape ``(out_features,)``. Both start as in
    PyTorch, uniform in [-1/sqrt(in_features), 1/sqrt(in_features)]: that is
    ``init.kaiming_uniform_(weight, a=sqrt(5))``, which keeps the outputs'
    spread similar to the inputs'. The input may have any leading axes:
    ``(batch, in_features)`` or ``(in_features,)`` for one example.

    The weight is stored column-major (Fortran order): same shape and numbers, but
    ``W.T``, the matrix every forward pass multiplies by, is then row-major, which
    OpenBLAS multiplies faster (see ``tinygrad_dk.ops._column_major``). Nothing else
    changes; a weight replaced by a row-major array works the same, a little slower.

    The layer computes in its weights' dtype: an input of another dtype (numpy's
    float64 arrays, integers) is converted first, as ``nn.fit`` does. PyTorch refuses
    such an input instead ("mat1 and mat2 must have the same dtype"); a PyTorch program
    has converted already (``x.float()``), so it runs the same here.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 dtype: Any = None) -> None:
        super().__init__()
        dtype = float_dtype(dtype)  # None: the default dtype (float32 unless set)
        if int(in_features) < 1 or int(out_features) < 1:
            raise ValueError(f"Linear: in_features and out_features must be >= 1, got "
                             f"{in_features} and {out_features}")
        self.in_features, self.out_features = int(in_features), int(out_features)
        self.weight = Tensor(np.empty((self.out_features, self.in_features), dtype=dtype,
                                      order="F"), requires_grad=True)  # column-major: above
        self.bias = Tensor(np.empty(self.out_features, dtype=dtype), requires_grad=True) \
            if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw fresh starting weights (PyTorch's default scheme, shared generator)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1.0 / math.sqrt(self.in_features)
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x: Any) -> Tensor:
        x = to_tensor(x)
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(
                f"{self!r}: expected input of shape (batch, {self.in_features}) (the last axis "
                f"holds the {self.in_features} features), got shape {x.shape}; check the "
                "previous layer's out_features or reshape the data"
            )
        weight = self.weight  # read once: a parametrized weight is computed at each read
        if x.dtype != weight.dtype:
            x = x.to(weight.dtype)
        return F.linear(x, weight, self.bias)  # one fused op: x @ W.T + b

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Sequential(ModuleSequence):
    """Modules applied one after the other: ``Sequential(Linear(2, 8), ReLU(), Linear(8, 1))``.

    Indexable (``model[0]``, ``model[-1]``, slices give a new Sequential), has a
    ``len`` and iterates over its modules; a part can be replaced
    (``model[2] = Linear(8, 3)``), deleted, appended or inserted. The parts are named
    "0", "1", ..., so the state-dict keys are ``"0.weight"``, ``"0.bias"``, ``"2.weight"``, ...
    (or by the keys of an ``OrderedDict`` given alone: ``Sequential(OrderedDict(fc1=...))``).
    """

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        names = [str(i) for i in range(len(modules))]
        if len(modules) == 1 and isinstance(modules[0], Mapping):  # Sequential(OrderedDict(...))
            names, modules = [str(k) for k in modules[0]], tuple(modules[0].values())
        for i, (name, module) in enumerate(zip(names, modules)):
            if not isinstance(module, Module):
                raise TypeError(f"Sequential: part {i} is a {type(module).__name__}, not an "
                                "nn.Module; did you pass a class instead of an instance "
                                "(nn.ReLU instead of nn.ReLU())?")
            setattr(self, name, module)

    def _new(self, parts: list[Any]) -> Sequential:
        return Sequential(*parts)

    def forward(self, x: Any) -> Any:
        for i, module in enumerate(self._parts()):
            try:
                x = module(x)
            except ValueError as err:
                if type(err) is not ValueError or str(err).startswith("Sequential"):
                    raise
                # Say *which* part failed: "Sequential part (2): Linear(...): expected ..."
                raise ValueError(f"Sequential part ({i}): {err}") from err
        return x


# --- activations as modules (so they can sit inside a Sequential) -----------------


class ReLU(Module):
    """max(0, x), elementwise. (``inplace`` is accepted for PyTorch programs and changes
    nothing: the result is a new tensor with the same numbers.)"""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()

    def forward(self, x: Any) -> Tensor:
        return to_tensor(x).relu()


class LeakyReLU(Module):
    """x for x > 0, ``negative_slope * x`` otherwise: a ReLU whose units never go fully dead."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = float(negative_slope)

    def forward(self, x: Any) -> Tensor:
        return to_tensor(x).leaky_relu(self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Sigmoid(Module):
    """1 / (1 + e^-x): squashes to (0, 1), e.g. a probability for binary classification."""

    def forward(self, x: Any) -> Tensor:
        return to_tensor(x).sigmoid()


class Tanh(Module):
    """tanh(x): squashes to (-1, 1), centred at 0."""

    def forward(self, x: Any) -> Tensor:
        return to_tensor(x).tanh()


class ELU(Module):
    """x for x > 0, alpha (e^x - 1) otherwise (see ``F.elu``)."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = float(alpha)

    def forward(self, x: Any) -> Tensor:
        return F.elu(x, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class SiLU(Module):
    """x sigmoid(x), also called swish (see ``F.silu``)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()

    def forward(self, x: Any) -> Any:
        return F.silu(x)


class GELU(Module):
    """x Phi(x), Phi the normal distribution function (see ``F.gelu``)."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = approximate

    def forward(self, x: Any) -> Tensor:
        return F.gelu(x, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Softplus(Module):
    """log(1 + e^(beta x)) / beta: a smooth ReLU whose output is always positive."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta, self.threshold = float(beta), float(threshold)

    def forward(self, x: Any) -> Any:
        return F.softplus(x, self.beta)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Softmax(Module):
    """exp(x) / sum(exp(x)) along ``dim`` (``axis`` is numpy's name for it; default the
    last axis): turns scores into class probabilities.

    For training use raw scores with ``CrossEntropyLoss`` (it applies a stable
    log-softmax itself); put Softmax only where you want the probabilities.
    """

    def __init__(self, dim: int | None = None, *, axis: int | None = None) -> None:
        super().__init__()
        self.dim = _one_dim(type(self).__name__, dim, axis)
        self._spelled = "axis" if axis is not None else "dim"  # the repr says it the same way

    @property
    def axis(self) -> int:
        return self.dim

    def forward(self, x: Any) -> Tensor:
        return to_tensor(x).softmax(self.dim)

    def extra_repr(self) -> str:
        return f"{self._spelled}={self.dim}"


class LogSoftmax(Softmax):
    """log(softmax(x)) along ``dim``, computed stably (pair it with ``NLLLoss``)."""

    def forward(self, x: Any) -> Tensor:
        return to_tensor(x).log_softmax(self.dim)


def _one_dim(layer: str, dim: int | None, axis: int | None) -> int:
    if dim is not None and axis is not None:
        raise TypeError(f"{layer}: got dim= and axis=, the same argument (PyTorch's and numpy's "
                        "names); give one")
    return int(-1 if dim is None and axis is None else dim if dim is not None else axis)


class Identity(Module):
    """Returns its input unchanged (a placeholder, e.g. to switch a layer off)."""

    def forward(self, x: Any) -> Any:
        return x


class Flatten(Module):
    """Reshape ``(batch, a, b, ...)`` to ``(batch, a * b * ...)``: the axes from ``start_dim``
    to ``end_dim`` become one, e.g. 8x8 images to 64 features for a ``Linear`` layer.
    (``start_axis`` is the old name of ``start_dim``.)"""

    def __init__(self, start_dim: int = 1, end_dim: int = -1, *,
                 start_axis: int | None = None) -> None:
        super().__init__()
        self.start_dim = int(start_dim if start_axis is None else start_axis)
        self.end_dim = int(end_dim)

    @property
    def start_axis(self) -> int:
        return self.start_dim

    def forward(self, x: Any) -> Tensor:
        return to_tensor(x).flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Dropout(Module):
    """While training, zero each element with probability ``p`` and scale the rest by
    1 / (1 - p) ("inverted" dropout); in ``eval()`` mode, pass the input through.

    Why: a unit cannot rely on any particular other unit being there, which
    fights overfitting. The scaling keeps every element's expected value, so
    nothing needs changing at evaluation time. The random mask comes from the
    shared generator (``tinygrad_dk.manual_seed``).
    """

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if isinstance(p, bool) or not 0.0 <= float(p) < 1.0:
            raise ValueError(f"Dropout: p is the probability of dropping a unit and must be in "
                             f"[0, 1), got {p!r}")
        self.p = float(p)

    def forward(self, x: Any) -> Any:
        if not self.training or self.p == 0.0:
            return x
        return F.dropout(x, self.p, training=True)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Unflatten(Module):
    """Split axis ``dim`` into ``unflattened_size``, as PyTorch: the reverse of ``Flatten``.

    ``Unflatten(1, (1, 8, 8))`` turns 64 pixel values per row, shape ``(batch, 64)``,
    into one-channel 8x8 images, ``(batch, 1, 8, 8)``, ready for a ``Conv2d``.
    """

    def __init__(self, dim: int, unflattened_size: tuple[int, ...]) -> None:
        super().__init__()
        self.dim, self.unflattened_size = int(dim), tuple(int(n) for n in unflattened_size)

    def forward(self, x: Any) -> Tensor:
        x = to_tensor(x)
        dim = self.dim % x.ndim if x.ndim else 0
        sizes, n = list(self.unflattened_size), x.shape[dim]
        known = int(np.prod([s for s in sizes if s != -1]))
        if sizes.count(-1) > 1:
            raise ValueError(f"{self!r}: at most one size can be -1 (inferred)")
        if -1 in sizes and known and n % known == 0:
            # inferred from this axis alone (as PyTorch), not from the whole tensor, which
            # cannot tell it when another axis is empty
            sizes[sizes.index(-1)] = n // known
        if int(np.prod(sizes)) != n:
            raise ValueError(f"{self!r}: axis {self.dim} of the input {x.shape} has "
                             f"{n} elements, but {self.unflattened_size} holds "
                             f"{known if -1 not in sizes else f'a multiple of {known}'}")
        return x.reshape(*x.shape[:dim], *sizes, *x.shape[dim + 1:])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
