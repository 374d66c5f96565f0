"""``Embedding``: a learned vector for every token or category number, as in PyTorch.

``Embedding(num_embeddings, embedding_dim)`` holds a table ``weight`` of shape
``(num_embeddings, embedding_dim)``; calling it with integer indices returns their
rows. It does exactly what a ``Linear`` layer without bias does to a one-hot vector,
without building the one-hot vector: words, postcodes or product ids become short
dense vectors that training moves so that similar items end up close together.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nn import functional_layers as FL
from nn import init
from nn.module import Module, float_dtype
from tinygrad_dk import Parameter, Tensor


class _Table(Module):
    """What ``Embedding`` and ``EmbeddingBag`` share: the checked sizes, ``padding_idx``
    and options, and the table ``weight``: N(0, 1) with the padding row at zero, or the
    given ``_weight`` (kept a parameter even when frozen)."""

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None,
                 max_norm: float | None, norm_type: float, scale_grad_by_freq: bool,
                 sparse: bool, dtype: Any, _weight: Any = None) -> None:
        super().__init__()
        name = type(self).__name__
        dtype = float_dtype(dtype)  # None: the default dtype (float32 unless set)
        if int(num_embeddings) < 1 or int(embedding_dim) < 1:
            raise ValueError(f"{name}: num_embeddings and embedding_dim must be >= 1, got "
                             f"{num_embeddings} and {embedding_dim}")
        if scale_grad_by_freq or sparse:
            raise NotImplementedError(f"{name}: scale_grad_by_freq and sparse are not "
                                      "supported (gradients here are dense); leave them False")
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        if padding_idx is not None:
            if not -self.num_embeddings <= padding_idx < self.num_embeddings:
                raise ValueError(f"{name}: padding_idx must be within the table "
                                 f"(-{self.num_embeddings} .. {self.num_embeddings - 1}), got "
                                 f"{padding_idx}")
            padding_idx %= self.num_embeddings
        self.padding_idx = padding_idx
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        shape = (self.num_embeddings, self.embedding_dim)
        if _weight is None:
            self.weight = Tensor(np.empty(shape, dtype=dtype), requires_grad=True)
            self.reset_parameters()
        else:
            values = _weight.numpy() if isinstance(_weight, Tensor) else np.asarray(_weight)
            if values.shape != shape:
                raise ValueError(f"{name}: _weight must have shape {shape}, got {values.shape}")
            self.weight = Parameter(values.copy())

    def reset_parameters(self) -> None:
        """Draw a fresh table from N(0, 1); the padding row, if any, is zero."""
        init.normal_(self.weight)
        if self.padding_idx is not None:
            values = self.weight.numpy().copy()
            values[self.padding_idx] = 0
            self.weight.copy_(values)


class Embedding(_Table):
    """A lookup table of ``num_embeddings`` learned vectors of length ``embedding_dim``.

    ``weight`` starts as N(0, 1) (PyTorch's default). Input: integer indices of any
    shape; output: that shape plus ``(embedding_dim,)``. An index that appears several
    times in a batch gets the sum of its gradients. ``padding_idx``: that row starts
    at zero and is never trained (for padding tokens in sequences of unequal length).
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0,
                 scale_grad_by_freq: bool = False, sparse: bool = False,
                 dtype: Any = None) -> None:
        super().__init__(num_embeddings, embedding_dim, padding_idx, max_norm, norm_type,
                         scale_grad_by_freq, sparse, dtype)

    def forward(self, input: Any) -> Tensor:
        try:
            return FL.embedding(input, self.weight, self.padding_idx, self.max_norm,
                                self.norm_type)
        except (IndexError, TypeError) as err:
            raise type(err)(f"{self!r}: {err}") from None

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        text += f", padding_idx={self.padding_idx}" if self.padding_idx is not None else ""
        return text + (f", max_norm={self.max_norm}" if self.max_norm is not None else "")
