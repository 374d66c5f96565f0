"""``EmbeddingBag``: the sum, mean or max of the embeddings of a *bag* of indices, as PyTorch.

A bag of words, the set of products in a basket, the tags of a post: each bag
becomes one vector, without first building the (bags, words, dim) tensor of all
looked-up rows that ``Embedding`` followed by ``.mean(1)`` would need. Bags come in
two forms:

* a 2-D input (B, L): B bags of equal length L;
* a 1-D input with ``offsets``: all bags joined into one sequence, ``offsets[b]`` the
  position where bag b starts (``include_last_offset=True``: one more offset, where
  the last bag ends).

How it is computed (no Python loop over bags): every index gets the number of its bag;
indices equal to ``padding_idx`` are dropped (they count neither in a sum nor in a
mean's count); the remaining rows of ``weight`` are looked up (``weight[idx]``) and
added into their bag's row of the output (``index_add``). Both are engine operations,
so the gradient flows back to ``weight`` and ``per_sample_weights`` by itself. ``max``
finds, for every bag and feature, the first index holding the largest value, and reads
``weight[winner, feature]``: its gradient goes to that one element, as PyTorch's.
An empty bag gives zeros.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import tinygrad_dk as tg
from nn.embedding import _Table
from nn.functional_layers import _indices, embedding_renorm_, to_tensor
from tinygrad_dk import Tensor

__all__ = ["EmbeddingBag", "embedding_bag"]

_MODES = ("sum", "mean", "max")


def _bags_of_flat(n: int, offsets: Any, include_last_offset: bool) -> tuple[int, np.ndarray]:
    """The number of bags and, for each of the first elements of a 1-D input, its bag."""
    offs = np.asarray(offsets.numpy() if isinstance(offsets, Tensor) else offsets)
    if offs.ndim != 1:
        raise ValueError(f"embedding_bag: offsets has to be a 1D Tensor, got shape {offs.shape}")
    if offs.dtype.kind not in "iu":
        raise TypeError(f"embedding_bag: offsets must be integers (int64), got dtype "
                        f"{offs.dtype}")
    offs = offs.astype(np.int64)
    if offs.size and offs[0] != 0:
        raise RuntimeError(f"embedding_bag: offsets[0] has to be 0 (the first bag starts at "
                           f"position 0), got {int(offs[0])}")
    if np.any(np.diff(offs) < 0):
        raise RuntimeError("embedding_bag: offsets must not decrease (each bag starts where "
                           f"the previous one ends or later), got {offs.tolist()}")
    if offs.size and offs[-1] > n:
        raise RuntimeError(f"embedding_bag: offsets[-1] can not be greater than the input's "
                           f"length {n}, got {int(offs[-1])}")
    if include_last_offset:
        if offs.size == 0:
            raise ValueError("embedding_bag: include_last_offset=True needs at least one "
                             "offset (the end of the last bag)")
        if offs[-1] != n:  # PyTorch's kernels disagree among themselves on the rest
            raise ValueError(f"embedding_bag: with include_last_offset=True the last offset "
                             f"is where the last bag ends, the input's length {n}; got "
                             f"{int(offs[-1])}")
        starts, ends = offs[:-1], offs[1:]
    else:
        starts, ends = offs, np.append(offs[1:], n)
    return starts.size, np.repeat(np.arange(starts.size), ends - starts)


def embedding_bag(input: Any, weight: Any, offsets: Any = None, max_norm: float | None = None,
                  norm_type: float = 2, scale_grad_by_freq: bool = False, mode: str = "mean",
                  sparse: bool = False, per_sample_weights: Any = None,
                  include_last_offset: bool = False, padding_idx: int | None = None) -> Tensor:
    """One row per bag: the ``mode`` ('sum', 'mean' or 'max') of the bag's rows of ``weight``
    (see the module). ``per_sample_weights`` (mode 'sum' only, the input's shape)
    multiplies each looked-up row before the sum."""
    if scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding_bag: scale_grad_by_freq and sparse are not "
                                  "supported (gradients here are dense); leave them False")
    if mode not in _MODES:
        raise ValueError(f"embedding_bag: mode has to be one of sum, mean or max, got {mode!r}")
    weight = to_tensor(weight)
    if weight.ndim != 2:
        raise ValueError(f"embedding_bag: weight must have shape (num_embeddings, "
                         f"embedding_dim), got {weight.shape}")
    num, dim = weight.shape
    idx = _indices(input, num, "embedding_bag")
    if idx.ndim == 2:
        if offsets is not None:
            raise ValueError("embedding_bag: a 2-D input holds bags of equal length, one per "
                             "row, so offsets has to be None")
        bags, bag_of = idx.shape[0], np.repeat(np.arange(idx.shape[0]), idx.shape[1])
    elif idx.ndim == 1:
        if offsets is None:
            raise ValueError("embedding_bag: a 1-D input needs offsets (where each bag "
                             "starts); or give a 2-D input, one bag per row")
        bags, bag_of = _bags_of_flat(idx.size, offsets, include_last_offset)
    else:
        raise ValueError(f"embedding_bag: input has to be a 1-D or 2-D tensor, got shape "
                         f"{idx.shape}")
    flat = idx.reshape(-1)
    if per_sample_weights is not None:
        if mode != "sum":
            raise NotImplementedError(f"embedding_bag: per_sample_weights is only supported "
                                      f"for mode='sum' (got mode={mode!r})")
        per_sample_weights = to_tensor(per_sample_weights)
        if per_sample_weights.shape != idx.shape:
            raise ValueError(f"embedding_bag: per_sample_weights must have the input's shape "
                             f"{idx.shape}, got {per_sample_weights.shape}")
    if max_norm is not None:
        embedding_renorm_(weight, flat, max_norm, norm_type)
    used = np.arange(bag_of.size)  # elements of the input inside some bag ...
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise ValueError(f"embedding_bag: padding_idx must be within the table (-{num} .. "
                             f"{num - 1}), got {padding_idx}")
        used = used[flat[used] != padding_idx % num]  # ... that are not padding
    bag, rows_of = bag_of[used], flat[used]
    counts = np.bincount(bag, minlength=bags)
    if mode == "max":
        return _bag_max(weight, rows_of, bag, bags, counts)
    rows = weight[rows_of]
    if per_sample_weights is not None:
        rows = rows * per_sample_weights.reshape(-1)[used].reshape(-1, 1)
    out = tg.zeros(bags, dim, dtype=weight.dtype).index_add(0, bag, rows)
    if mode == "mean":
        out = out / np.maximum(counts, 1).astype(weight.dtype)[:, None]
    return out


def _bag_max(weight: Tensor, rows_of: np.ndarray, bag: np.ndarray, bags: int,
             counts: np.ndarray) -> Tensor:
    """Per bag and feature the largest value, read at its first index (ties: the first; a
    nan counts as the largest)."""
    values = weight.numpy()[rows_of]  # (elements, dim)
    dim = weight.shape[1]
    best = np.full((bags, dim), -np.inf, dtype=values.dtype)
    np.maximum.at(best, bag, values)
    position = np.arange(bag.size)[:, None]
    # where each bag's max sits; a nan is the max (np.maximum propagates it), as torch.amax
    top = (values == best[bag]) | np.isnan(values)
    hits = np.where(top, position, bag.size)
    first = np.full((bags, dim), bag.size, dtype=np.int64)
    np.minimum.at(first, bag, hits)
    filled = counts > 0
    winner = rows_of[np.minimum(first, bag.size - 1)] if bag.size else first * 0
    winner = np.where(filled[:, None], winner, 0)  # empty bags read row 0, then zeroed
    out = weight[winner, np.arange(dim)[None, :]]
    return tg.where(filled[:, None], out, tg.zeros_like(out))  # empty bags: zeros


class EmbeddingBag(_Table):
    """``num_embeddings`` learned vectors of length ``embedding_dim``, combined per bag by
    ``mode`` ('mean' by default, 'sum' or 'max'): see the module and
    ``nn.functional.embedding_bag``. Input: (B, L) bags of equal length, or a 1-D
    sequence with ``offsets``; output (B, embedding_dim). ``weight`` starts as
    N(0, 1), the ``padding_idx`` row at zero (and never in a bag).
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, max_norm: float | None = None,
                 norm_type: float = 2.0, scale_grad_by_freq: bool = False, mode: str = "mean",
                 sparse: bool = False, _weight: Any = None, include_last_offset: bool = False,
                 padding_idx: int | None = None, dtype: Any = None) -> None:
        if mode not in _MODES:
            raise ValueError(f"EmbeddingBag: mode has to be one of sum, mean or max, got "
                             f"{mode!r}")
        super().__init__(num_embeddings, embedding_dim, padding_idx, max_norm, norm_type,
                         scale_grad_by_freq, sparse, dtype, _weight)
        self.mode, self.include_last_offset = mode, include_last_offset

    def forward(self, input: Any, offsets: Any = None, per_sample_weights: Any = None) -> Tensor:
        return embedding_bag(input, self.weight, offsets, self.max_norm, self.norm_type,
                             self.scale_grad_by_freq, self.mode, self.sparse,
                             per_sample_weights, self.include_last_offset, self.padding_idx)

    @classmethod
    def from_pretrained(cls, embeddings: Any, freeze: bool = True, max_norm: float | None = None,
                        norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                        mode: str = "mean", sparse: bool = False,
                        include_last_offset: bool = False,
                        padding_idx: int | None = None) -> EmbeddingBag:
        """An EmbeddingBag holding ``embeddings`` (a 2-D table); ``freeze``: not trained."""
        values = embeddings.numpy() if isinstance(embeddings, Tensor) else np.asarray(embeddings)
        if values.ndim != 2:
            raise ValueError(f"EmbeddingBag.from_pretrained: embeddings must be 2-D (rows, dim), "
                             f"got shape {values.shape}")
        bag = cls(values.shape[0], values.shape[1], max_norm, norm_type, scale_grad_by_freq,
                  mode, sparse, values, include_last_offset, padding_idx, dtype=values.dtype)
        bag.weight.requires_grad = not freeze
        return bag

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            text += f", norm_type={self.norm_type}"
        text += f", mode={self.mode!r}"  # (PyTorch shows no include_last_offset either)
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        return text
