"""The transformer encoder: ``nn.TransformerEncoderLayer`` and ``nn.TransformerEncoder``.

One encoder layer is attention (every position looks at the others) followed by a
small two-layer network applied to each position on its own, each wrapped in a
residual connection (``x + block(x)``) and a ``LayerNorm``::

    norm_first=False (PyTorch's default, "post-norm"):
        x = norm1(x + dropout1(self_attn(x, x, x)))
        x = norm2(x + dropout2(linear2(dropout(activation(linear1(x))))))
    norm_first=True ("pre-norm", easier to train deep):
        x = x + dropout1(self_attn(norm1(x), ...));  x = x + dropout2(feed_forward(norm2(x)))

``TransformerEncoder(layer, num_layers)`` stacks ``num_layers`` deep copies of ``layer``
(independent weights, as PyTorch), under the state-dict names ``layers.0.``, ``layers.1.``...
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import nn.functional as F
from nn.attention import MultiheadAttention
from nn.containers import ModuleList
from nn.layers import Dropout, Linear
from nn.layers_extra import LayerNorm
from nn.module import Module
from tinygrad_dk import Tensor

_ACTIVATIONS = {"relu": F.relu, "gelu": F.gelu}


class TransformerEncoderLayer(Module):
    """Self-attention and a feed-forward network, each with a residual connection and a norm.

    ``TransformerEncoderLayer(d_model, nhead, dim_feedforward=2048, dropout=0.1,
    activation="relu", layer_norm_eps=1e-5, batch_first=False, norm_first=False,
    bias=True)``; input (S, N, d_model), or (N, S, d_model) with ``batch_first``, or
    (S, d_model). ``forward(src, src_mask=None, src_key_padding_mask=None,
    is_causal=False)`` with the masks of ``MultiheadAttention``.
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation: str | Callable[[Any], Any] = "relu",
                 layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        if isinstance(activation, str):
            if activation not in _ACTIVATIONS:
                raise ValueError(f"TransformerEncoderLayer: activation must be 'relu', 'gelu' "
                                 f"or a function, got {activation!r}")
            activation = _ACTIVATIONS[activation]
        # PyTorch's attribute order, so that state_dict lists the keys in its order
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first, dtype=dtype)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)
        self.norm_first = bool(norm_first)
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.activation = activation

    def _sa_block(self, x: Tensor, mask: Any, key_padding_mask: Any, is_causal: bool) -> Tensor:
        x = self.self_attn(x, x, x, attn_mask=mask, key_padding_mask=key_padding_mask,
                           need_weights=False, is_causal=is_causal)[0]
        return self.dropout1(x)

    def _ff_block(self, x: Tensor) -> Tensor:
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))

    def forward(self, src: Any, src_mask: Any = None, src_key_padding_mask: Any = None,
                is_causal: bool = False) -> Tensor:
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            return x + self._ff_block(self.norm2(x))
        x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
        return self.norm2(x + self._ff_block(x))


class TransformerEncoder(Module):
    """``num_layers`` copies of an encoder layer, one after the other, then ``norm`` (if any).

    ``TransformerEncoder(encoder_layer, num_layers, norm=None)``: each copy is a deep copy
    (its own weights, starting from the layer's). ``forward(src, mask=None,
    src_key_padding_mask=None, is_causal=None)`` passes the masks to every layer.
    """

    def __init__(self, encoder_layer: Module, num_layers: int, norm: Module | None = None,
                 enable_nested_tensor: bool = True, mask_check: bool = True) -> None:
        super().__init__()
        if isinstance(num_layers, bool) or int(num_layers) < 1:
            raise ValueError(f"TransformerEncoder: num_layers must be >= 1, got {num_layers!r}")
        self.layers = ModuleList([copy.deepcopy(encoder_layer) for _ in range(int(num_layers))])
        self.num_layers = int(num_layers)
        self.norm = norm

    def forward(self, src: Any, mask: Any = None, src_key_padding_mask: Any = None,
                is_causal: bool | None = None) -> Tensor:
        x = src
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask,
                      is_causal=bool(is_causal))
        return x if self.norm is None else self.norm(x)
