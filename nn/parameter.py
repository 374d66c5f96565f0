"""``nn.parameter``, as ``torch.nn.parameter``: ``Parameter`` and the placeholders of lazy
layers, ``UninitializedParameter`` and ``UninitializedBuffer`` (defined in nn/lazy.py)."""

from nn.lazy import UninitializedBuffer, UninitializedParameter
from tinygrad_dk import Parameter

__all__ = ["Parameter", "UninitializedParameter", "UninitializedBuffer"]
