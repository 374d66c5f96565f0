"""``torch.nn.functional.pdist``: the distances between every pair of rows of a matrix.

The operation is the engine's (``tinygrad_dk.pdist``, next to cosine_similarity and
pairwise_distance in ``tinygrad_dk.ops_misc_arrays``); ``nn.functional`` re-exports it
under PyTorch's name.
"""

from __future__ import annotations

from typing import Any

import tinygrad_dk as tg
from nn.functional_layers import to_tensor
from tinygrad_dk import Tensor

__all__ = ["pdist"]


def pdist(input: Any, p: float = 2.0) -> Tensor:  # noqa: A002 - PyTorch's name
    """The p-norm distance between every pair of rows i < j of an (N, M) matrix."""
    return tg.pdist(to_tensor(input), p)
