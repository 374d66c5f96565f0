"""Three more layers a transformer or an image decoder uses: ``RMSNorm``, ``Bilinear`` and
``PixelShuffle``/``PixelUnshuffle``, with their functional forms (``F.rms_norm``,
``F.bilinear``, ``F.pixel_shuffle``, ``F.pixel_unshuffle``), as in PyTorch.

All three are compositions of the engine's differentiable operations (their
derivatives, first and second, come from those).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nn import init
from nn.functional_layers import to_tensor
from nn.module import Module, float_dtype
from tinygrad_dk import Tensor


def _normalized(shape: Any, what: str) -> tuple[int, ...]:
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if not shape or any(isinstance(n, bool) or int(n) < 1 for n in shape):
        raise ValueError(f"{what}: normalized_shape must hold positive sizes, got {shape!r}")
    return tuple(int(n) for n in shape)


# --- RMSNorm -------------------------------------------------------------------------------


def rms_norm(input: Any, normalized_shape: Any, weight: Any = None,
             eps: float | None = None) -> Tensor:
    """x / sqrt(mean(x^2) + eps) over the last ``len(normalized_shape)`` axes, times ``weight``.

    LayerNorm without the mean: only the size is normalised. ``eps`` defaults to the
    dtype's machine epsilon (PyTorch's default). Stable: the numbers are divided by
    their largest magnitude (when above 1, a constant, so the gradient is unchanged)
    before squaring, so x = 1e30 in float32 gives 1, not 0 (1e60 overflows).
    """
    x = to_tensor(input)
    shape = _normalized(normalized_shape, "rms_norm")
    if not x.is_floating_point():
        raise TypeError(f"rms_norm: the input has dtype {x.dtype}; normalising needs floating "
                        "point, convert it with x.float()")
    if tuple(x.shape[len(x.shape) - len(shape):]) != shape:
        raise ValueError(f"rms_norm: the input's last axes {tuple(x.shape)} must be "
                         f"normalized_shape {shape}; pass normalized_shape=x.shape[-k:]")
    if weight is not None and tuple(to_tensor(weight).shape) != shape:
        raise ValueError(f"rms_norm: weight must have shape normalized_shape {shape}, got "
                         f"{tuple(to_tensor(weight).shape)}")
    eps = float(np.finfo(x.dtype).eps) if eps is None else float(eps)
    axes = tuple(range(-len(shape), 0))
    # a constant divisor m >= 1 per row (no graph): x / rms(x) = (x/m) / rms(x/m) exactly
    biggest = np.abs(x.data).max(axis=axes, keepdims=True, initial=0.0)
    m = np.maximum(np.where(np.isfinite(biggest), biggest, 1.0), 1.0).astype(x.dtype)
    with np.errstate(over="ignore"):  # m^2 may overflow: eps / inf = 0, as it should
        eps_scaled = Tensor((eps / (m * m)).astype(x.dtype))
    scaled = x / Tensor(m)
    out = scaled * ((scaled * scaled).mean(axes, keepdims=True) + eps_scaled).rsqrt()
    return out if weight is None else out * weight


class RMSNorm(Module):
    """Root-mean-square normalisation: ``RMSNorm(normalized_shape, eps=None,
    elementwise_affine=True)``; ``weight`` of shape normalized_shape, starting at 1."""

    def __init__(self, normalized_shape: Any, eps: float | None = None,
                 elementwise_affine: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.normalized_shape = _normalized(normalized_shape, "RMSNorm")
        self.eps, self.elementwise_affine = eps, bool(elementwise_affine)
        self.weight = Tensor(np.ones(self.normalized_shape, dtype=float_dtype(dtype)),
                             requires_grad=True) if elementwise_affine else None

    def reset_parameters(self) -> None:
        """weight back to 1."""
        if self.weight is not None:
            init.ones_(self.weight)

    def forward(self, x: Any) -> Tensor:
        try:
            return rms_norm(x, self.normalized_shape, self.weight, self.eps)
        except ValueError as err:
            raise ValueError(f"{self!r}: {err}") from None

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


# --- Bilinear ------------------------------------------------------------------------------


def bilinear(input1: Any, input2: Any, weight: Any, bias: Any = None) -> Tensor:
    """y[..., o] = sum over i, j of x1[..., i] W[o, i, j] x2[..., j] + b[o].

    ``input1`` (*, in1), ``input2`` (*, in2), ``weight`` (out, in1, in2): one matrix
    product of x1 with every W[o] side by side, then a product with x2 summed over j.
    """
    x1, x2, w = to_tensor(input1), to_tensor(input2), to_tensor(weight)
    if w.ndim != 3 or x1.shape[-1:] != w.shape[1:2] or x2.shape[-1:] != w.shape[2:] or \
            x1.shape[:-1] != x2.shape[:-1]:
        raise ValueError(f"bilinear: need input1 (*, in1), input2 (*, in2) with the same * "
                         f"and weight (out, in1, in2); got {tuple(x1.shape)}, "
                         f"{tuple(x2.shape)}, {tuple(w.shape)}")
    out_f, in1, in2 = w.shape
    rows = x1 @ w.permute(1, 0, 2).reshape(in1, out_f * in2)  # x1 W[o] for every o
    y = (rows.reshape(*x1.shape[:-1], out_f, in2) * x2.unsqueeze(-2)).sum(-1)
    return y if bias is None else y + bias


class Bilinear(Module):
    """``Bilinear(in1_features, in2_features, out_features, bias=True)``: y = x1^T W x2 + b.

    weight (out, in1, in2) and bias (out,) uniform in +-1/sqrt(in1_features), as PyTorch.
    """

    def __init__(self, in1_features: int, in2_features: int, out_features: int,
                 bias: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        dtype = float_dtype(dtype)
        self.in1_features, self.in2_features = int(in1_features), int(in2_features)
        self.out_features = int(out_features)
        if min(self.in1_features, self.in2_features, self.out_features) < 1:
            raise ValueError(f"Bilinear: the feature counts must be >= 1, got {in1_features}, "
                             f"{in2_features}, {out_features}")
        self.weight = Tensor(np.empty((self.out_features, self.in1_features, self.in2_features),
                                      dtype=dtype), requires_grad=True)
        self.bias = Tensor(np.empty(self.out_features, dtype=dtype), requires_grad=True) \
            if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Uniform in +-1/sqrt(in1_features) (PyTorch's draw), weight and bias."""
        bound = 1.0 / math.sqrt(self.in1_features)
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Any, input2: Any) -> Tensor:
        return bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")


# --- PixelShuffle: channels into space and back --------------------------------------------


def _factor(r: Any, what: str) -> int:
    if isinstance(r, bool) or not isinstance(r, (int, np.integer)) or r < 1:
        raise ValueError(f"{what}: the factor must be an int >= 1, got {r!r}")
    return int(r)


def pixel_shuffle(input: Any, upscale_factor: int) -> Tensor:
    """(*, C r^2, H, W) -> (*, C, H r, W r): each group of r^2 channels becomes an r x r
    block of pixels (the "sub-pixel convolution" way of upsampling)."""
    x, r = to_tensor(input), _factor(upscale_factor, "pixel_shuffle")
    if x.ndim < 3 or x.shape[-3] % (r * r):
        raise ValueError(f"pixel_shuffle: need (*, C * {r}^2, H, W), got {tuple(x.shape)}: "
                         f"the channel axis (-3) must be divisible by {r * r}")
    *lead, c, h, w = x.shape
    n = len(lead)
    x = x.reshape(*lead, c // (r * r), r, r, h, w)
    x = x.permute(*range(n), n, n + 3, n + 1, n + 4, n + 2)  # (*, C, H, r, W, r)
    return x.reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input: Any, downscale_factor: int) -> Tensor:
    """(*, C, H r, W r) -> (*, C r^2, H, W): the inverse of ``pixel_shuffle``."""
    x, r = to_tensor(input), _factor(downscale_factor, "pixel_unshuffle")
    if x.ndim < 3 or x.shape[-2] % r or x.shape[-1] % r:
        raise ValueError(f"pixel_unshuffle: need (*, C, H * {r}, W * {r}), got "
                         f"{tuple(x.shape)}: height and width must be divisible by {r}")
    *lead, c, h, w = x.shape
    n = len(lead)
    x = x.reshape(*lead, c, h // r, r, w // r, r)
    x = x.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)  # (*, C, r, r, H, W)
    return x.reshape(*lead, c * r * r, h // r, w // r)


class PixelShuffle(Module):
    """``PixelShuffle(upscale_factor)``: (*, C r^2, H, W) -> (*, C, H r, W r)."""

    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = _factor(upscale_factor, "PixelShuffle")

    def forward(self, x: Any) -> Tensor:
        return pixel_shuffle(x, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """``PixelUnshuffle(downscale_factor)``: (*, C, H r, W r) -> (*, C r^2, H, W)."""

    def __init__(self, downscale_factor: int) -> None:
        super().__init__()
        self.downscale_factor = _factor(downscale_factor, "PixelUnshuffle")

    def forward(self, x: Any) -> Tensor:
        return pixel_unshuffle(x, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"
