"""Randomised activations and sampling, as PyTorch's: ``RReLU`` / ``F.rrelu`` (a leaky
ReLU whose slope is random while training), ``FeatureAlphaDropout`` /
``F.feature_alpha_dropout`` (alpha dropout of whole channels) and ``F.gumbel_softmax``
(differentiable samples of a categorical distribution).

All draw from the shared generator (``torch.manual_seed`` repeats them) and are
compositions of engine operations, so their gradients come with them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import tinygrad_dk as tg
from nn import functional_extra as FX
from nn.functional_layers import to_tensor
from nn.layers import Dropout
from nn.module import Module
from tinygrad_dk import Tensor


def rrelu(input: Any, lower: float = 1.0 / 8, upper: float = 1.0 / 3,  # noqa: A002
          training: bool = False, inplace: bool = False) -> Tensor:
    """Randomised leaky ReLU: x for x > 0, a x below, where while training each element
    draws its own slope a uniform in [lower, upper] (a regulariser), and in evaluation
    a = (lower + upper) / 2. The gradient below 0 is that same a."""
    if not lower <= upper:
        raise ValueError(f"rrelu: the lower bound should be less than or equal to the upper "
                         f"bound, got lower={lower}, upper={upper}")
    x = to_tensor(input)
    if training:
        slopes = tg.generator().uniform(lower, upper, x.shape).astype(x.dtype)
    else:
        slopes = np.asarray((lower + upper) / 2, dtype=x.dtype)
    # the slope is a constant (no gradient of its own): 1 above 0, a at and below 0
    return x * np.where(x.numpy() > 0, np.ones((), x.dtype), slopes)


class RReLU(Module):
    """``RReLU(lower=1/8, upper=1/3)``: ``F.rrelu``, random slopes in ``train()`` mode,
    their mean in ``eval()`` mode."""

    def __init__(self, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
                 inplace: bool = False) -> None:
        super().__init__()
        self.lower, self.upper, self.inplace = lower, upper, inplace

    def forward(self, input: Any) -> Tensor:  # noqa: A002
        return rrelu(input, self.lower, self.upper, self.training)

    def extra_repr(self) -> str:
        return f"lower={self.lower}, upper={self.upper}" + (", inplace=True" if self.inplace
                                                            else "")


def feature_alpha_dropout(input: Any, p: float = 0.5, training: bool = False,  # noqa: A002
                          inplace: bool = False) -> Tensor:
    """``alpha_dropout`` of whole channels: one coin per (example, channel) of a
    (batch, channels, ...) input, so a dropped feature map is SELU's lower limit all over."""
    FX._check_p("feature_alpha_dropout", p)
    x = to_tensor(input)
    if x.ndim < 2:
        raise RuntimeError(f"feature_alpha_dropout: feature dropout requires at least 2 "
                           f"dimensions in the input (batch, channels, ...), got shape "
                           f"{tuple(x.shape)}")
    return FX._alpha_dropout(x, p, training, x.shape[:2] + (1,) * (x.ndim - 2))


class FeatureAlphaDropout(Dropout):
    """Alpha dropout of whole channels (see ``F.feature_alpha_dropout``); ``eval()`` passes
    the input through."""

    def forward(self, input: Any) -> Tensor:  # noqa: A002
        return feature_alpha_dropout(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace=False"


def gumbel_softmax(logits: Any, tau: float = 1.0, hard: bool = False, eps: float = 1e-10,
                   dim: int = -1) -> Tensor:
    """A differentiable sample of the categorical distribution softmax(logits):
    softmax((logits + g) / tau) with Gumbel noise g = -log(E), E ~ Exponential(1). Small
    ``tau`` gives nearly one-hot samples. ``hard=True`` returns the exact one-hot vector of
    the largest entry, with the soft sample's gradient (the straight-through estimator:
    y_hard - y_soft.detach() + y_soft)."""
    if not tau > 0:
        raise ValueError(f"gumbel_softmax: the temperature tau must be > 0, got {tau!r}")
    x = to_tensor(logits)
    gumbels = -np.log(tg.generator().exponential(1.0, x.shape)).astype(x.dtype)
    y_soft = tg.softmax((x + gumbels) / tau, dim=dim)
    if not hard:
        return y_soft
    index = y_soft.argmax(dim=dim, keepdim=True)
    y_hard = tg.zeros_like(y_soft).scatter(dim, index, value=1.0)
    return y_hard - y_soft.detach() + y_soft
