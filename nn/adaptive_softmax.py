"""``nn.AdaptiveLogSoftmaxWithLoss``: the adaptive softmax of Grave et al. (2017), as
``torch.nn``, for output layers over very many classes (the words of a language model).

Classes are sorted by frequency and split by ``cutoffs``: the frequent ones (below the
first cutoff, the "shortlist") get a logit each in the ``head``, the rare ones are
grouped into clusters, and the head has one more logit per cluster. A rare class's
log-probability is

    log p(cluster | x) + log p(class | cluster, x),

the second from the cluster's own small layer in ``tail`` (a projection to
``in_features / div_value^i`` features, then the cluster's logits). Most examples need
the head only, and rare clusters get small layers: training is much cheaper than a full
softmax, and the result is still a proper distribution over all classes.

The submodules carry PyTorch's names (``head``, ``tail.0.0``, ``tail.0.1``, ...), so a
state dict loads both ways.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Sequence
from typing import Any

import numpy as np

import tinygrad_dk as tg
from nn.containers import ModuleList
from nn.layers import Linear, Sequential
from nn.module import Module
from tinygrad_dk import Tensor

__all__ = ["AdaptiveLogSoftmaxWithLoss"]

#: what ``forward`` returns, as PyTorch: each example's log-probability of its target
#: (``output``) and the mean negative log-likelihood (``loss``)
_ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])


class AdaptiveLogSoftmaxWithLoss(Module):
    """``AdaptiveLogSoftmaxWithLoss(in_features, n_classes, cutoffs, div_value=4.0,
    head_bias=False)``; ``forward(input, target)`` returns ``(output, loss)``,
    ``log_prob(input)`` every class's log-probability, ``predict(input)`` the likeliest
    class. ``cutoffs``: increasing class numbers between 1 and n_classes - 1, e.g.
    ``[10, 100, 1000]`` for 10 frequent classes and clusters of 90, 900 and the rest.
    """

    def __init__(self, in_features: int, n_classes: int, cutoffs: Sequence[int],
                 div_value: float = 4.0, head_bias: bool = False, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        cutoffs = list(cutoffs)
        if len(cutoffs) == 0:
            raise ValueError("cutoffs should be a sequence of length larger than 0")
        if (cutoffs != sorted(cutoffs) or min(cutoffs) <= 0 or max(cutoffs) > n_classes - 1
                or len(set(cutoffs)) != len(cutoffs) or any(int(c) != c for c in cutoffs)):
            raise ValueError("cutoffs should be a sequence of unique, positive integers sorted "
                             "in an increasing order, where each value is between 1 and "
                             f"n_classes-1 (n_classes = {n_classes}), got {cutoffs}")
        self.in_features, self.n_classes = in_features, n_classes
        self.cutoffs = [int(c) for c in cutoffs] + [n_classes]
        self.div_value, self.head_bias = div_value, head_bias
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        self.head = Linear(in_features, self.head_size, bias=head_bias, dtype=dtype)
        self.tail = ModuleList()
        for i in range(self.n_clusters):
            hidden = int(in_features // (div_value ** (i + 1)))
            if hidden < 1:
                raise ValueError(f"AdaptiveLogSoftmaxWithLoss: cluster {i} would project "
                                 f"to {in_features} // {div_value}^{i + 1} = 0 features; use "
                                 "more in_features, a smaller div_value or fewer cutoffs")
            size = self.cutoffs[i + 1] - self.cutoffs[i]
            self.tail.append(Sequential(Linear(in_features, hidden, bias=False, dtype=dtype),
                                        Linear(hidden, size, bias=False, dtype=dtype)))

    def reset_parameters(self) -> None:
        """New random weights for the head and every cluster (as at construction)."""
        self.head.reset_parameters()
        for projection, logits in self.tail:
            projection.reset_parameters()
            logits.reset_parameters()

    def forward(self, input: Any, target: Any) -> _ASMoutput:  # type: ignore[override]
        """Each example's log-probability of its target, and the mean of their negatives:
        only the head and the clusters that hold a target are computed."""
        x = input if isinstance(input, Tensor) else Tensor(input)
        labels = np.asarray(getattr(target, "data", target))
        if labels.ndim == 1:
            if x.shape[:1] != labels.shape:
                raise RuntimeError("Input and target should have the same size in the batch "
                                   f"dimension (input {x.shape}, target {labels.shape}).")
            if x.ndim != 2:
                raise RuntimeError("1D target tensor expects 2D input tensors, but found "
                                   f"inputs with size {x.shape}")
        elif labels.ndim == 0:
            if x.ndim != 1:
                raise RuntimeError("0D target tensor expects 1D input tensors, but found "
                                   f"inputs with size {x.shape}")
        else:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if labels.dtype.kind not in "iu":
            raise TypeError(f"AdaptiveLogSoftmaxWithLoss: targets must be integer class "
                            f"numbers, got dtype {labels.dtype}; convert with .long()")
        batched = labels.ndim == 1
        rows = x if batched else x.reshape(1, -1)
        labels = labels.reshape(-1).astype(np.int64)
        if labels.size and (labels.min() < 0 or labels.max() >= self.n_classes):
            raise RuntimeError(f"Target values should be in [0, {self.n_classes - 1}], but "
                               f"values in range [{labels.min()}, {labels.max()}] were found. ")
        # the head's entry for each example: its own class, or its cluster's logit
        cluster = np.searchsorted(self.cutoffs, labels, side="right")  # 0: the shortlist
        in_head = np.where(cluster == 0, labels, self.shortlist_size + cluster - 1)
        head = tg.log_softmax(self.head(rows), 1)
        output = head.gather(1, Tensor(in_head[:, None])).reshape(-1)
        for i in range(1, len(self.cutoffs)):  # add log p(class | cluster) where needed
            members = np.flatnonzero(cluster == i)
            if members.size == 0:
                continue
            local = tg.log_softmax(self.tail[i - 1](rows[members]), 1)
            within = (labels[members] - self.cutoffs[i - 1])[:, None]
            picked = local.gather(1, Tensor(within)).reshape(-1)
            output = output + tg.zeros(len(labels), dtype=output.dtype).scatter(
                0, Tensor(members), picked)
        loss = (-output).mean()
        return _ASMoutput(output if batched else output.reshape(()), loss)

    def _full_log_prob(self, rows: Tensor, head_logits: Tensor) -> Tensor:
        """log p(class | x) of every class (N, n_classes): the shortlist from the head,
        each cluster's classes as log p(cluster) + log p(class | cluster)."""
        head = tg.log_softmax(head_logits, 1)
        parts = [head[:, :self.shortlist_size]]
        for i, layers in enumerate(self.tail):
            cluster = head[:, self.shortlist_size + i:self.shortlist_size + i + 1]
            parts.append(tg.log_softmax(layers(rows), 1) + cluster)
        return tg.concatenate(parts, axis=1)

    def log_prob(self, input: Any) -> Tensor:
        """The log-probability of every class, (N, n_classes) (or (n_classes,) for one
        example): exp of a row sums to 1."""
        x = input if isinstance(input, Tensor) else Tensor(input)
        rows = x if x.ndim > 1 else x.reshape(1, -1)
        out = self._full_log_prob(rows, self.head(rows))
        return out if x.ndim > 1 else out.reshape(-1)

    def predict(self, input: Any) -> Tensor:
        """The likeliest class of each example (int64): the head decides unless its best
        entry is a cluster, then that example's full distribution does (as PyTorch)."""
        x = input if isinstance(input, Tensor) else Tensor(input)
        rows = x if x.ndim > 1 else x.reshape(1, -1)
        with tg.no_grad():
            head_logits = self.head(rows)
            best = np.argmax(head_logits.numpy(), axis=1).astype(np.int64)
            outside = np.flatnonzero(best >= self.shortlist_size)
            if outside.size:
                full = self._full_log_prob(rows[outside], head_logits[outside])
                best[outside] = np.argmax(full.numpy(), axis=1)
        return Tensor(best if x.ndim > 1 else best.reshape(()))
