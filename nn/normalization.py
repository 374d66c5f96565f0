"""Batch normalisation layers: ``BatchNorm1d`` and ``BatchNorm2d``, as in PyTorch.

Batch normalisation rescales every channel to mean 0 and variance 1 over the batch,
then lets the network choose the scale and shift it really wants (``weight`` and
``bias``, learned, starting at 1 and 0). Deep networks train faster and more
steadily with it, because each layer sees inputs of a steady size however the
earlier layers change.

Training and evaluation differ, so ``model.train()`` / ``model.eval()`` matter here:

* training: the statistics of the current batch are used, and the running averages
  ``running_mean`` and ``running_var`` move a step ``momentum`` (0.1) towards them;
* evaluation: the running averages are used, so a prediction for one example does not
  depend on which other examples happen to be in its batch.

The running statistics and ``num_batches_tracked`` are *buffers*: saved in
``state_dict`` (same keys as PyTorch) and loaded back, but never trained.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nn import functional_layers as FL
from nn.functional_layers import to_tensor
from nn.module import Module, float_dtype
from tinygrad_dk import Tensor


class _BatchNorm(Module):
    """What BatchNorm1d and BatchNorm2d share; ``_dims`` are the input ranks accepted,
    ``_rank_hints`` what to say for a rank the other layer takes."""

    _dims: tuple[int, ...] = ()
    _layout = ""
    _rank_hints: dict[int, str] = {}

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True,
                 dtype: Any = None) -> None:
        super().__init__()
        dtype = float_dtype(dtype)  # None: the default dtype (float32 unless set)
        if int(num_features) < 1:
            raise ValueError(f"{type(self).__name__}: num_features must be >= 1, got "
                             f"{num_features}")
        self.num_features, self.eps, self.momentum = int(num_features), float(eps), momentum
        self.affine, self.track_running_stats = bool(affine), bool(track_running_stats)
        n = self.num_features
        self.weight = Tensor(np.ones(n, dtype=dtype), requires_grad=True) if affine else None
        self.bias = Tensor(np.zeros(n, dtype=dtype), requires_grad=True) if affine else None
        if self.track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(n, dtype=dtype)))
            self.register_buffer("running_var", Tensor(np.ones(n, dtype=dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            self.running_mean = self.running_var = self.num_batches_tracked = None

    def reset_running_stats(self) -> None:
        """Forget the running statistics: mean 0, variance 1, no batches seen."""
        if self.track_running_stats:
            self.running_mean.copy_(0.0)
            self.running_var.copy_(1.0)
            self.num_batches_tracked.copy_(0)

    def _check(self, x: Tensor) -> None:
        name = f"{type(self).__name__}({self.num_features})"
        if x.ndim not in self._dims:
            raise ValueError(f"{name}: expected input of shape {self._layout}, got {x.shape} "
                             f"({x.ndim} axes){self._rank_hints.get(x.ndim, '')}")
        if x.shape[1] != self.num_features:
            hint = ""
            if x.shape[-1] == self.num_features and x.ndim > 2:
                hint = (f"; the features seem to be on the last axis: move them to axis 1 "
                        f"with x.transpose{(0, x.ndim - 1, *range(1, x.ndim - 1))}")
            raise ValueError(f"{name}: the input of shape {x.shape} has {x.shape[1]} channels "
                             f"on axis 1 (the channel axis of {self._layout}), expected "
                             f"{self.num_features}{hint}")

    def forward(self, x: Any) -> Tensor:
        x = to_tensor(x)
        self._check(x)
        own = self.weight if self.affine else self.running_mean
        if own is not None and x.dtype != own.dtype:  # computed in the layer's dtype
            x = x.to(own.dtype)
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.copy_(self.num_batches_tracked.numpy() + 1)
            if self.momentum is None:  # a plain average over every batch seen so far
                momentum = 1.0 / float(self.num_batches_tracked.numpy())
        # without running statistics even evaluation uses the batch's own statistics
        use_batch = self.training or self.running_mean is None
        return FL.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                             use_batch, momentum, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of ``(batch, features)`` or ``(batch, channels, length)``.

    ``BatchNorm1d(num_features, eps=1e-5, momentum=0.1, affine=True,
    track_running_stats=True)``; put it between a ``Linear`` and its activation.
    """

    _dims = (2, 3)
    _layout = "(batch, features) or (batch, channels, length)"
    _rank_hints = {4: "; for images use BatchNorm2d"}


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of images ``(batch, channels, height, width)``, per channel.

    ``BatchNorm2d(num_features, eps=1e-5, momentum=0.1, affine=True,
    track_running_stats=True)``; put it between a ``Conv2d`` and its activation.
    """

    _dims = (4,)
    _layout = "(batch, channels, height, width)"
    _rank_hints = dict.fromkeys(
        (2, 3), "; for (batch, features) or (batch, channels, length) use BatchNorm1d")
