"""Weight initialisation, as ``torch.nn.init``: fill a Tensor's data in place.

Why it matters: if the starting weights are too large, activations (and
gradients) grow layer by layer; too small, and they shrink to nothing. The
schemes below pick the spread from the layer's *fan*: how many inputs feed one
output (``fan_in``) and how many outputs one input feeds (``fan_out``). For a
``Linear`` weight of shape ``(out, in)``: fan_in = in, fan_out = out.

* Xavier/Glorot (tanh, sigmoid): variance 2 / (fan_in + fan_out), times gain^2.
* Kaiming/He (ReLU family): variance gain^2 / fan, gain = sqrt(2) for ReLU,
  because ReLU zeroes half of its inputs and so halves the variance.

Every function draws from the shared generator (``tinygrad_dk.manual_seed``
makes it repeatable), keeps the tensor's dtype and shape, and returns the tensor.
The trailing underscore is PyTorch's mark for "changes its argument in place".
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import tinygrad_dk as tg
from tinygrad_dk import Tensor

_GAINS = {"linear": 1.0, "identity": 1.0, "sigmoid": 1.0, "tanh": 5.0 / 3.0,
          "relu": math.sqrt(2.0), "selu": 0.75}


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The factor that keeps the variance steady through ``nonlinearity`` (PyTorch's values).

    ``param`` is the negative slope for 'leaky_relu' (0.01 when None).
    """
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1.0 + slope * slope))
    if nonlinearity not in _GAINS:
        raise ValueError(f"calculate_gain: unknown nonlinearity {nonlinearity!r}; choose one of "
                         f"{', '.join(map(repr, [*_GAINS, 'leaky_relu']))}")
    return _GAINS[nonlinearity]


def _check(tensor: Any, fn: str) -> Tensor:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"nn.init.{fn}: expected a Tensor (e.g. layer.weight), got "
                        f"{type(tensor).__name__}")
    if tensor.dtype.kind != "f":
        raise TypeError(f"nn.init.{fn}: the tensor has dtype {tensor.dtype}; initialise "
                        "floating-point tensors only")
    return tensor


def _fill(tensor: Tensor, values: Any) -> Tensor:
    # a new array in the tensor's own memory layout (empty_like keeps it: nn.Linear's
    # weight is stored column-major), holding the drawn values in the tensor's dtype
    new = np.empty_like(tensor.data)
    new[...] = np.asarray(values).reshape(tensor.shape)
    tensor.data = new
    return tensor


def fans(tensor: Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of shape (out, in, *kernel), as PyTorch computes them."""
    if tensor.ndim < 2:
        raise ValueError(f"fan_in and fan_out need a weight with at least 2 axes, got shape "
                         f"{tensor.shape}; use uniform_/normal_/zeros_ for a bias")
    receptive = int(np.prod(tensor.shape[2:])) if tensor.ndim > 2 else 1
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fan(tensor: Tensor, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = fans(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    """Fill with samples from U(a, b)."""
    _check(tensor, "uniform_")
    return _fill(tensor, tg.generator().uniform(a, b, tensor.shape))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Fill with samples from N(mean, std^2)."""
    _check(tensor, "normal_")
    return _fill(tensor, tg.generator().normal(mean, std, tensor.shape))


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with one number."""
    _check(tensor, "constant_")
    return _fill(tensor, np.full(tensor.shape, val))


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with 0 (the usual start for biases)."""
    return constant_(tensor, 0.0)


def ones_(tensor: Tensor) -> Tensor:
    """Fill with 1."""
    return constant_(tensor, 1.0)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot uniform: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out))."""
    _check(tensor, "xavier_uniform_")
    fan_in, fan_out = fans(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return _fill(tensor, tg.generator().uniform(-bound, bound, tensor.shape))


def xavier_normal_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot normal: N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    _check(tensor, "xavier_normal_")
    fan_in, fan_out = fans(tensor)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return _fill(tensor, tg.generator().normal(0.0, std, tensor.shape))


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu") -> Tensor:
    """He uniform: U(-bound, bound), bound = gain * sqrt(3 / fan).

    ``a`` is the negative slope used by the 'leaky_relu' gain (PyTorch's
    signature: with the default a=0 this is the ReLU gain sqrt(2)).
    ``nn.Linear`` uses a = sqrt(5), which gives bound = 1 / sqrt(fan_in).
    """
    _check(tensor, "kaiming_uniform_")
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    bound = math.sqrt(3.0) * std  # U(-b, b) has standard deviation b / sqrt(3)
    return _fill(tensor, tg.generator().uniform(-bound, bound, tensor.shape))


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu") -> Tensor:
    """He normal: N(0, std^2), std = gain / sqrt(fan)."""
    _check(tensor, "kaiming_normal_")
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    return _fill(tensor, tg.generator().normal(0.0, std, tensor.shape))


__all__ = ["calculate_gain", "fans", "uniform_", "normal_", "constant_", "zeros_", "ones_",
           "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_"]


# --- PyTorch names: nntrain (truncated normal, orthogonal, identity, Dirac) ---


def _rng(generator: Any) -> Any:
    """The numpy Generator to draw from: ``generator``'s (a ``tg.Generator``), or the
    shared one when None."""
    return generator.numpy if isinstance(generator, tg.Generator) else (
        generator or tg.generator())


def _normal_cdf(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0, generator: Any = None) -> Tensor:
    """Fill with N(mean, std^2) samples cut to [a, b] (``a`` and ``b`` are values, not
    numbers of std, as PyTorch): samples outside are drawn again, so the shape inside
    is the normal's. The transformers' usual start (std 0.02)."""
    _check(tensor, "trunc_normal_")
    if not a < b:
        raise ValueError(f"nn.init.trunc_normal_: need a < b, got a={a}, b={b}")
    if not std > 0:
        raise ValueError(f"nn.init.trunc_normal_: std must be > 0, got {std}")
    inside = _normal_cdf((b - mean) / std) - _normal_cdf((a - mean) / std)
    if inside < 1e-4:  # (rejection would take forever)
        raise ValueError(f"nn.init.trunc_normal_: [a, b] = [{a}, {b}] holds only {inside:.2g} of "
                         f"N({mean}, {std}^2); put the interval around the mean")
    rng = _rng(generator)
    values = rng.normal(mean, std, tensor.shape)
    outside = (values < a) | (values > b)
    while outside.any():  # draw again where a sample fell outside
        values[outside] = rng.normal(mean, std, int(outside.sum()))
        outside = (values < a) | (values > b)
    return _fill(tensor, values)


def orthogonal_(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    """Fill with a (semi-)orthogonal matrix times ``gain`` (Saxe et al.): the rows (or
    columns, whichever are fewer) are orthonormal, so the layer keeps lengths; good for
    deep and recurrent networks. A weight with more than 2 axes is seen as
    (shape[0], the rest flattened). From the QR decomposition of a Gaussian matrix,
    with signs fixed so that the result is uniformly distributed."""
    _check(tensor, "orthogonal_")
    if tensor.ndim < 2:
        raise ValueError(f"nn.init.orthogonal_: needs a tensor with at least 2 axes, got shape "
                         f"{tensor.shape}")
    rows, cols = tensor.shape[0], int(np.prod(tensor.shape[1:]))
    rng = _rng(generator)
    flat = rng.normal(0.0, 1.0, (rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))  # make the decomposition unique: uniform over orthogonal matrices
    if rows < cols:
        q = q.T
    return _fill(tensor, gain * q)


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-d tensor with the identity (ones on the diagonal of a rectangle too): a
    Linear layer that starts by passing its inputs through."""
    _check(tensor, "eye_")
    if tensor.ndim != 2:
        raise ValueError(f"nn.init.eye_: needs a 2-d tensor, got shape {tensor.shape}")
    return _fill(tensor, np.eye(*tensor.shape))


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """Fill a convolution weight (out, in, *kernel) (3 to 5 axes) with the Dirac delta: each
    output channel copies one input channel (the kernel's centre is 1), so the layer
    starts as the identity. With ``groups``, per group of output channels."""
    _check(tensor, "dirac_")
    if tensor.ndim not in (3, 4, 5):
        raise ValueError(f"nn.init.dirac_: needs a convolution weight with 3, 4 or 5 axes, got "
                         f"shape {tensor.shape}")
    if tensor.shape[0] % groups:
        raise ValueError(f"nn.init.dirac_: {tensor.shape[0]} output channels do not divide into "
                         f"groups={groups}")
    per_group = tensor.shape[0] // groups
    values = np.zeros(tensor.shape)
    centre = tuple(k // 2 for k in tensor.shape[2:])
    for g in range(groups):
        for d in range(min(per_group, tensor.shape[1])):
            values[(g * per_group + d, d, *centre)] = 1.0
    return _fill(tensor, values)


__all__ += ["trunc_normal_", "orthogonal_", "eye_", "dirac_"]


# --- PyTorch names: names2 (sparse initialisation) ---


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01, generator: Any = None) -> Tensor:
    """Fill a 2-D weight with normal values (mean 0, ``std``) and then set a fraction
    ``sparsity`` of each column to 0 (ceil(sparsity * rows) entries, at random rows),
    as ``torch.nn.init.sparse_`` (Martens' sparse initialisation for deep networks)."""
    _check(tensor, "sparse_")
    if tensor.ndim != 2:
        raise ValueError(f"nn.init.sparse_: only tensors with 2 dimensions are supported, got "
                         f"shape {tensor.shape} (a Linear layer's weight is 2-D)")
    if isinstance(sparsity, bool) or not 0.0 <= float(sparsity) <= 1.0:
        raise ValueError(f"nn.init.sparse_: sparsity is the fraction of each column set to 0, "
                         f"a number in [0, 1], got {sparsity!r}")
    rows, cols = tensor.shape
    rng = _rng(generator)
    values = rng.normal(0.0, std, (rows, cols))
    zeros = math.ceil(float(sparsity) * rows)
    for col in range(cols):
        values[rng.permutation(rows)[:zeros], col] = 0.0
    return _fill(tensor, values)


__all__ += ["sparse_"]
# --- end names2 ---
