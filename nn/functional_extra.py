"""More of ``torch.nn.functional``: activations, layer/group/instance normalisation,
channel dropout and similarity, re-exported by ``nn.functional``.

Most of them are short compositions of engine operations, whose derivatives then come
for free. Where PyTorch's derivative at a kink (a point where the slope jumps) differs
from what the composition would give, the function says which side it takes and is
written so the two agree: ``tg.where(mask, a, b)`` passes the gradient to ``a`` where
``mask`` holds and to ``b`` elsewhere, exactly (never as ``g * mask``, which turns an
infinite gradient into nan).
"""

from __future__ import annotations

from typing import Any

import numpy as np

import tinygrad_dk as tg
from nn.functional_layers import normalize_with_running, to_tensor
from tinygrad_dk import Tensor

__all__ = [
    "hardtanh", "relu6", "prelu", "selu", "celu", "mish", "logsigmoid", "softsign", "softmin",
    "hardswish", "hardsigmoid", "threshold", "glu", "tanhshrink", "softshrink", "hardshrink",
    "layer_norm", "group_norm", "instance_norm",
    "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
    "normalize", "cosine_similarity", "pairwise_distance",
]

# SELU's constants (Klambauer et al. 2017): with them, layers of SELU units keep mean 0
# and variance 1 on their own ("self-normalising").
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


# --- activations -------------------------------------------------------------------------


def hardtanh(input: Any, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """x clipped to [min_val, max_val]: a cheap tanh. Gradient 1 strictly inside, 0 on and
    outside the edges (as PyTorch)."""
    x = to_tensor(input)
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) must not be larger than max_val "
                         f"({max_val})")
    data = x.numpy()
    outside = (data <= min_val) | (data >= max_val)  # nan is neither: it passes through
    clipped = np.clip(data, min_val, max_val).astype(x.dtype, copy=False)
    return tg.where(~outside, x, clipped)


def relu6(input: Any, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6): a ReLU that saturates at 6 (MobileNet's)."""
    return hardtanh(input, 0.0, 6.0)


def prelu(input: Any, weight: Any) -> Tensor:
    """x for x > 0, ``weight * x`` otherwise, with a learned slope: one for all channels
    (``weight`` of one element) or one per channel (axis 1, ``weight`` of shape (C,))."""
    x, w = to_tensor(input), to_tensor(weight)
    channels = x.shape[1] if x.ndim >= 2 else 1
    if w.ndim > 1 or w.numel() not in (1, channels):
        raise ValueError(f"prelu: weight has {w.numel()} element(s) (shape {w.shape}); it must "
                         f"have 1, or one per channel of axis 1 ({channels} for input of shape "
                         f"{x.shape})")
    if x.ndim >= 2 and w.numel() == channels:  # one slope per channel, lined up with axis 1
        w = w.reshape((1, channels) + (1,) * (x.ndim - 2))
    elif w.ndim:
        w = w.reshape(())
    positive = x.numpy() > 0
    # the negative part is x with its positive entries replaced by 0, so that the weight's
    # gradient g * x is 0 there even for x = inf (0 * inf would be nan)
    negative_part = tg.where(positive, np.zeros((), x.dtype), x)
    return tg.where(positive, x, w * negative_part)


def selu(input: Any, inplace: bool = False) -> Tensor:
    """scale * elu(x, alpha) with SELU's two constants: self-normalising networks."""
    return tg.elu(to_tensor(input), alpha=SELU_ALPHA) * SELU_SCALE


def celu(input: Any, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, alpha (e^(x / alpha) - 1) otherwise: ELU with the slope 1 at 0 for
    every alpha."""
    if alpha == 0:
        raise ValueError("celu: alpha must not be 0 (the formula divides by it)")
    x = to_tensor(input)
    # alpha * elu(x / alpha) is the same, except where x / alpha overflows; x itself above 0
    return tg.where(x.numpy() > 0, x, tg.elu(x / alpha) * alpha)


def mish(input: Any, inplace: bool = False) -> Tensor:
    """x tanh(softplus(x)): a smooth ReLU-like curve (softplus is computed stably; one engine
    operation, so an infinite upstream gradient stays finite-times-slope)."""
    return tg.mish(to_tensor(input))


def logsigmoid(input: Any) -> Tensor:
    """log(sigmoid(x)) = -softplus(-x): finite for every x (log(sigmoid(-1000)) would be
    log(0) = -inf, the stable form gives -1000)."""
    return -(-to_tensor(input)).softplus()


def softsign(input: Any) -> Tensor:
    """x / (1 + |x|): squashes into (-1, 1) like tanh, but approaches the ends slowly."""
    x = to_tensor(input)
    return x / (x.abs() + 1)


def softmin(input: Any, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:
    """softmax(-x) along ``dim``: the smallest entry gets the largest probability.

    ``dim=None`` is the last axis, as in this package's ``softmax`` (PyTorch's deprecated
    implicit choice takes axis 0 of 3-axis and axis 1 of 4-axis inputs: give ``dim``)."""
    x = to_tensor(input)
    if dtype is not None:
        x = x.to(dtype)
    return tg.softmax(-x, dim)


def hardswish(input: Any, inplace: bool = False) -> Tensor:
    """x relu6(x + 3) / 6: swish made of straight pieces and a parabola (MobileNetV3)."""
    return tg.hardswish(to_tensor(input))


def hardsigmoid(input: Any, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6: a sigmoid made of straight pieces. Gradient 1/6 strictly between
    -3 and 3, 0 elsewhere (as PyTorch)."""
    x = to_tensor(input)
    data = x.numpy()
    inside = (data > -3) & (data < 3)
    ends = (np.clip(data + 3, 0, 6) / 6).astype(x.dtype, copy=False)
    return tg.where(inside, (x + 3) / 6, ends)


def threshold(input: Any, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """x where x > ``threshold``, else ``value``."""
    x = to_tensor(input)
    at_or_below = x.numpy() <= threshold  # (nan is not: it passes, as PyTorch)
    return tg.where(~at_or_below, x, np.asarray(value, dtype=x.dtype))


def glu(input: Any, dim: int = -1) -> Tensor:
    """The gated linear unit: split ``dim`` into halves a and b, return a * sigmoid(b)."""
    return tg.glu(to_tensor(input), dim)


def tanhshrink(input: Any) -> Tensor:
    """x - tanh(x). For small x the two nearly cancel, so float32 inputs are computed in
    float64 and rounded once (else the result would keep only a few correct digits)."""
    x = to_tensor(input)
    if x.dtype.itemsize < 8:
        wide = x.to(np.float64)
        return (wide - wide.tanh()).to(x.dtype)
    return x - x.tanh()


def check_lambd(name: str, lambd: float) -> None:
    """The shrink functions' (and modules') check of ``lambd``."""
    if lambd < 0:
        raise ValueError(f"{name}: lambd must be >= 0, got {lambd}")


def softshrink(input: Any, lambd: float = 0.5) -> Tensor:
    """x - lambd above lambd, x + lambd below -lambd, 0 between: moves x towards 0."""
    check_lambd("softshrink", lambd)
    x = to_tensor(input)
    data = x.numpy()
    zero = np.zeros((), x.dtype)
    return tg.where(data > lambd, x - lambd, tg.where(data < -lambd, x + lambd, zero))


def hardshrink(input: Any, lambd: float = 0.5) -> Tensor:
    """x where |x| > lambd, else 0."""
    check_lambd("hardshrink", lambd)
    x = to_tensor(input)
    data = x.numpy()
    inside = (data >= -lambd) & (data <= lambd)
    return tg.where(~inside, x, np.zeros((), x.dtype))


# --- normalisation -----------------------------------------------------------------------


def layer_norm(input: Any, normalized_shape: Any, weight: Any = None, bias: Any = None,
               eps: float = 1e-5) -> Tensor:
    """Normalise the last axes (``normalized_shape``) of every example (see
    ``tinygrad_dk.layer_norm``)."""
    return tg.layer_norm(to_tensor(input), normalized_shape, weight, bias, eps)


def group_norm(input: Any, num_groups: int, weight: Any = None, bias: Any = None,
               eps: float = 1e-5) -> Tensor:
    """Normalise groups of channels of every example (see ``tinygrad_dk.group_norm``)."""
    x = to_tensor(input)
    if x.ndim >= 2 and num_groups and x.shape[1] % num_groups == 0 and \
            x.numel() // num_groups == 1:  # PyTorch's check: N * C / G * spatial numbers
        raise ValueError(f"group_norm: expected more than one value per group to compute a "
                         f"variance, got input of shape {x.shape} with {num_groups} group(s); "
                         "use batches of at least 2 examples or fewer groups")
    return tg.group_norm(x, num_groups, weight, bias, eps)


def instance_norm(input: Any, running_mean: Tensor | None = None,
                  running_var: Tensor | None = None, weight: Any = None, bias: Any = None,
                  use_input_stats: bool = True, momentum: float = 0.1,
                  eps: float = 1e-5) -> Tensor:
    """Normalise every channel of every example over its spatial axes (images' style:
    contrast). ``use_input_stats=True`` uses each example's own statistics and moves the
    running ones (if given) towards their batch average; False uses the running ones."""
    x = to_tensor(input)
    if x.ndim < 3:
        raise ValueError(f"instance_norm: expected input of shape (batch, channels, length) or "
                         f"(batch, channels, height, width), got {x.shape}")
    c = x.shape[1]
    if use_input_stats:
        if x.numel() and x.numel() // (x.shape[0] * c) < 2:
            raise ValueError(f"instance_norm: every channel needs more than one spatial value "
                             f"to compute a variance, got input of shape {x.shape}")
        data = x.numpy().astype(np.float64)
        axes = tuple(range(2, x.ndim))
        for stat, value in ((running_mean, data.mean(axis=axes)),
                            (running_var, data.var(axis=axes, ddof=1))):
            if stat is not None:  # the batch's average of the per-example statistics
                stat.copy_((1 - momentum) * stat.numpy() + momentum * value.mean(axis=0))
        return tg.group_norm(x, c, weight, bias, eps)
    if running_mean is None or running_var is None:
        raise ValueError("instance_norm: use_input_stats=False needs running_mean and "
                         "running_var")
    return normalize_with_running(x, running_mean, running_var, weight, bias, eps)


# --- dropout of whole channels -------------------------------------------------------------


def _check_p(name: str, p: float) -> None:
    if isinstance(p, bool) or not 0.0 <= float(p) <= 1.0:
        raise ValueError(f"{name}: p must be a probability in [0, 1], got {p!r}")


def _channel_dropout(name: str, x: Any, p: float, training: bool,
                     channel_axes: dict[int, int]) -> Any:
    """Zero whole channels with probability p and scale the rest by 1 / (1 - p).

    ``channel_axes`` maps each accepted rank to how many leading axes name a channel:
    2 for (batch, channels, ...), one draw per example and channel; 1 for an unbatched
    (channels, ...)."""
    _check_p(name, p)
    x = to_tensor(x)
    if x.ndim not in channel_axes:
        ranks = " or ".join(str(r) for r in channel_axes)
        raise ValueError(f"{name}: expected an input with {ranks} axes, got shape {x.shape}")
    if not training or p == 0:
        return x
    lead = channel_axes[x.ndim]
    # one draw per channel: the engine's dropout of ones, each 0 or 1 / (1 - p)
    mask = tg.dropout(np.ones(x.shape[:lead] + (1,) * (x.ndim - lead), x.dtype), p)
    return x * mask


def dropout1d(input: Any, p: float = 0.5, training: bool = True, inplace: bool = False) -> Any:
    """Zero whole channels of (batch, channels, length) or (channels, length) inputs."""
    return _channel_dropout("dropout1d", input, p, training, {3: 2, 2: 1})


def dropout2d(input: Any, p: float = 0.5, training: bool = True, inplace: bool = False) -> Any:
    """Zero whole channels (feature maps) of (batch, channels, height, width) inputs:
    neighbouring pixels are correlated, so dropping single pixels would hardly
    regularise. A 3-axis input is taken as (batch, channels, length), as PyTorch does."""
    return _channel_dropout("dropout2d", input, p, training, {4: 2, 3: 2})


def dropout3d(input: Any, p: float = 0.5, training: bool = True, inplace: bool = False) -> Any:
    """Zero whole channels of (batch, channels, depth, height, width) or (channels, depth,
    height, width) inputs, the rest scaled by 1 / (1 - p)."""
    return _channel_dropout("dropout3d", input, p, training, {5: 2, 4: 1})


def alpha_dropout(input: Any, p: float = 0.5, training: bool = False,
                  inplace: bool = False) -> Any:
    """Dropout for SELU networks: dropped units become SELU's lower limit and an affine
    correction keeps the mean and variance, so the self-normalisation survives."""
    _check_p("alpha_dropout", p)
    x = to_tensor(input)
    return _alpha_dropout(x, p, training, x.shape)


def _alpha_dropout(x: Tensor, p: float, training: bool, mask_shape: tuple) -> Tensor:
    """alpha_dropout's rule with one coin per element of ``mask_shape`` (broadcast over
    ``x``): the whole input for alpha_dropout, (batch, channels, 1, ...) for
    feature_alpha_dropout (nn/activations_more.py), which drops whole channels."""
    if not training or p == 0:
        return x
    if p == 1:
        return x * np.zeros(x.shape, dtype=x.dtype)
    alpha = SELU_ALPHA * SELU_SCALE  # -(SELU's lower limit)
    a = 1.0 / np.sqrt((alpha * alpha * p + 1) * (1 - p))
    keep = (tg.generator().random(mask_shape) >= p).astype(x.dtype)
    shift = ((keep - 1) * alpha * a + alpha * a * p).astype(x.dtype)
    return x * (keep * a).astype(x.dtype) + shift


# --- similarity ------------------------------------------------------------------------------


def normalize(input: Any, p: float = 2.0, dim: int = 1, eps: float = 1e-12,
              out: Any = None) -> Tensor:
    """x / max(||x||_p, eps) along ``dim``: vectors of length 1 (eps keeps a zero vector
    from dividing by 0)."""
    x = to_tensor(input)
    return x / x.norm(p, dim=dim, keepdim=True).clamp(min=eps)


def cosine_similarity(x1: Any, x2: Any, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """cos of the angle between x1 and x2 along ``dim``: ``torch.cosine_similarity``
    (tinygrad_dk.ops_misc_arrays, where the formula is)."""
    return tg.cosine_similarity(to_tensor(x1), to_tensor(x2), dim, eps)


def pairwise_distance(x1: Any, x2: Any, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """||x1 - x2 + eps||_p along the last axis: ``torch.pairwise_distance``
    (tinygrad_dk.ops_misc_arrays)."""
    return tg.pairwise_distance(to_tensor(x1), to_tensor(x2), p, eps, keepdim)
