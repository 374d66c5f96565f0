"""More of PyTorch's layers: ``LayerNorm``, ``GroupNorm``, ``InstanceNorm1d/2d``, the channel
dropouts (``Dropout1d``, ``Dropout2d``, ``AlphaDropout``) and the similarity modules
(``CosineSimilarity``, ``PairwiseDistance``).

Layer, group and instance normalisation standardise each example on its own (no
statistic shared across the batch, unlike ``BatchNorm``), so a batch of one works and
training and evaluation compute the same (instance norm with
``track_running_stats=True`` excepted). Names, arguments, defaults and state-dict keys
are PyTorch's. The formulas are in ``nn.functional``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nn import functional_extra as FX
from nn.functional_layers import to_tensor
from nn.layers import Dropout
from nn.module import Module, float_dtype
from tinygrad_dk import Tensor


def _affine_params(module: Module, shape: tuple[int, ...], weight: bool, bias: bool,
                   dtype: Any) -> None:
    """``module.weight`` (ones) and ``module.bias`` (zeros) of ``shape``, or None."""
    module.weight = Tensor(np.ones(shape, dtype=dtype), requires_grad=True) if weight else None
    module.bias = Tensor(np.zeros(shape, dtype=dtype), requires_grad=True) if bias else None


class LayerNorm(Module):
    """Normalise the last axes of every example to mean 0 and variance 1, then scale and
    shift (``weight``, ``bias`` of shape ``normalized_shape``, learned, starting at 1 and
    0): the normalisation of transformers and recurrent networks.

    ``LayerNorm(normalized_shape, eps=1e-5, elementwise_affine=True, bias=True)``;
    ``normalized_shape`` is the size of the last axis (an int) or of the last few axes.
    """

    def __init__(self, normalized_shape: Any, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        dtype = float_dtype(dtype)  # None: the default dtype (float32 unless set)
        shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) \
            else tuple(normalized_shape)
        self.normalized_shape = tuple(int(n) for n in shape)
        if not self.normalized_shape or min(self.normalized_shape) < 1:
            raise ValueError(f"LayerNorm: normalized_shape must hold positive sizes, got "
                             f"{normalized_shape!r}")
        self.eps, self.elementwise_affine = float(eps), bool(elementwise_affine)
        _affine_params(self, self.normalized_shape, self.elementwise_affine,
                       self.elementwise_affine and bias, dtype)

    def reset_parameters(self) -> None:
        """weight back to 1, bias to 0."""
        if self.weight is not None:
            self.weight.copy_(1.0)
        if self.bias is not None:
            self.bias.copy_(0.0)

    def forward(self, input: Any) -> Tensor:
        try:
            return FX.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)
        except ValueError as err:
            raise ValueError(f"{self!r}: {err}") from None

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class GroupNorm(Module):
    """Normalise groups of channels of every example, then scale and shift per channel.

    ``GroupNorm(num_groups, num_channels, eps=1e-5, affine=True, *, bias=True)``: the
    channels (axis 1)
    are split into ``num_groups`` groups of equal size; works for any batch size, so it
    replaces BatchNorm where batches are small.
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, device: Any = None, dtype: Any = None, *,
                 bias: bool = True) -> None:
        super().__init__()
        dtype = float_dtype(dtype)  # None: the default dtype (float32 unless set)
        if int(num_groups) < 1 or int(num_channels) % int(num_groups):
            raise ValueError(f"GroupNorm: num_channels ({num_channels}) must be divisible by "
                             f"num_groups ({num_groups})")
        self.num_groups, self.num_channels = int(num_groups), int(num_channels)
        self.eps, self.affine = float(eps), bool(affine)
        _affine_params(self, (self.num_channels,), self.affine, self.affine and bias, dtype)

    def forward(self, input: Any) -> Tensor:
        x = to_tensor(input)
        if x.ndim < 2 or x.shape[1] != self.num_channels:
            raise ValueError(f"{self!r}: expected input of shape (batch, {self.num_channels}, "
                             f"...), got {x.shape}")
        return FX.group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


class _InstanceNorm(Module):
    """What InstanceNorm1d and InstanceNorm2d share; ``_spatial`` is the number of spatial
    axes (an unbatched input has one axis fewer)."""

    _spatial = 1
    _layout = ""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1,
                 affine: bool = False, track_running_stats: bool = False, device: Any = None,
                 dtype: Any = None, *, bias: bool = True) -> None:
        super().__init__()
        dtype = float_dtype(dtype)  # None: the default dtype (float32 unless set)
        self.num_features, self.eps, self.momentum = int(num_features), float(eps), momentum
        self.affine, self.track_running_stats = bool(affine), bool(track_running_stats)
        _affine_params(self, (self.num_features,), self.affine, self.affine and bias, dtype)
        if self.track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(self.num_features, dtype)))
            self.register_buffer("running_var", Tensor(np.ones(self.num_features, dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            self.running_mean = self.running_var = self.num_batches_tracked = None

    def forward(self, input: Any) -> Tensor:
        x = to_tensor(input)
        batched = x.ndim == self._spatial + 2
        if x.ndim != self._spatial + 2 and x.ndim != self._spatial + 1:
            raise ValueError(f"{self!r}: expected input of shape {self._layout}, got {x.shape}")
        if not batched:
            x = x.unsqueeze(0)
        if (self.affine or self.track_running_stats) and x.shape[1] != self.num_features:
            raise ValueError(f"{self!r}: the input of shape {tuple(input.shape)} has "
                             f"{x.shape[1]} channels, expected {self.num_features}")
        # as PyTorch: num_batches_tracked is kept (for state dicts) but never counts, and
        # momentum=None leaves the running statistics where they are
        use_input_stats = self.training or not self.track_running_stats
        momentum = 0.0 if self.momentum is None else self.momentum
        y = FX.instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                             use_input_stats, momentum, self.eps)
        return y if batched else y.squeeze(0)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class InstanceNorm1d(_InstanceNorm):
    """Normalise every channel of every example over its length: (batch, channels, length)
    or (channels, length). ``affine`` and ``track_running_stats`` default to False."""

    _spatial, _layout = 1, "(batch, channels, length) or (channels, length)"


class InstanceNorm2d(_InstanceNorm):
    """Normalise every channel of every image over its pixels: (batch, channels, height,
    width) or (channels, height, width); style transfer's normalisation."""

    _spatial, _layout = 2, "(batch, channels, height, width) or (channels, height, width)"


# --- dropout of whole channels -----------------------------------------------------------------


class Dropout1d(Dropout):
    """While training, zero whole channels of (batch, channels, length) with probability
    ``p`` (the rest scaled by 1 / (1 - p)); in ``eval()`` mode, pass the input through."""

    def forward(self, input: Any) -> Any:
        return FX.dropout1d(input, self.p, self.training)


class Dropout2d(Dropout):
    """While training, zero whole feature maps of (batch, channels, height, width) with
    probability ``p`` (the rest scaled by 1 / (1 - p)); in ``eval()`` mode, pass through."""

    def forward(self, input: Any) -> Any:
        return FX.dropout2d(input, self.p, self.training)


class AlphaDropout(Dropout):
    """Dropout for SELU networks (see ``F.alpha_dropout``); ``eval()`` passes through."""

    def forward(self, input: Any) -> Any:
        return FX.alpha_dropout(input, self.p, self.training)


# --- similarity ----------------------------------------------------------------------------------


class CosineSimilarity(Module):
    """The cosine of the angle between x1 and x2 along ``dim`` (default 1)."""

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim, self.eps = int(dim), float(eps)

    def forward(self, x1: Any, x2: Any) -> Tensor:
        return FX.cosine_similarity(x1, x2, self.dim, self.eps)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, eps={self.eps}"


class PairwiseDistance(Module):
    """The p-norm distance between matching rows of x1 and x2 (last axis)."""

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        self.norm, self.eps, self.keepdim = float(p), float(eps), bool(keepdim)

    def forward(self, x1: Any, x2: Any) -> Tensor:
        return FX.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)

    def extra_repr(self) -> str:
        return f"p={self.norm}, eps={self.eps}, keepdim={self.keepdim}"
