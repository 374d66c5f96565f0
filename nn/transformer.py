"""The transformer: ``nn.TransformerEncoderLayer``, ``nn.TransformerEncoder``, the decoder
(``nn.TransformerDecoderLayer``, ``nn.TransformerDecoder``) and ``nn.Transformer``.

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

A decoder layer (``TransformerDecoderLayer``) has one more block between the two: cross
attention, where the target's positions (queries) look at the encoder's output, the
*memory* (keys and values). ``Transformer`` is an encoder stack and a decoder stack, each
ending in a ``LayerNorm``. Every block of every layer is wrapped the same way, by
``_residual`` below: post-norm ``norm(x + block(x))`` or pre-norm ``x + block(norm(x))``.
"""

from __future__ import annotations

import copy
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

import nn.functional as F
from nn import init
from nn.attention import MultiheadAttention
from nn.containers import ModuleList
from nn.functional_layers import to_tensor
from nn.layers import Dropout, Linear
from nn.layers_extra import LayerNorm
from nn.module import Module, float_dtype
from tinygrad_dk import Tensor

_ACTIVATIONS = {"relu": F.relu, "gelu": F.gelu}


def _activation(owner: str, activation: str | Callable[[Any], Any]) -> Callable[[Any], Any]:
    """The feed-forward network's activation: 'relu', 'gelu' or a function of a Tensor."""
    if not isinstance(activation, str):
        return activation
    if activation not in _ACTIVATIONS:
        raise ValueError(f"{owner}: activation must be 'relu', 'gelu' or a function, got "
                         f"{activation!r}")
    return _ACTIVATIONS[activation]


def _residual(x: Tensor, norm: Module, block: Callable[[Tensor], Tensor],
              norm_first: bool) -> Tensor:
    """One block of a transformer layer with its residual connection and its LayerNorm:
    pre-norm ``x + block(norm(x))`` or post-norm ``norm(x + block(x))``."""
    return x + block(norm(x)) if norm_first else norm(x + block(x))


def _is_whole(value: Any) -> bool:
    """Is ``value`` a whole number (3 or 3.0; not True, 2.5, nan, inf, None or "3")?"""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) \
        and float(value).is_integer()


def _copies(owner: str, layer: Module, num_layers: int) -> ModuleList:
    """``num_layers`` deep copies of ``layer`` (each its own weights, starting from layer's)."""
    if not _is_whole(num_layers) or num_layers < 1:
        raise ValueError(f"{owner}: num_layers must be >= 1, got {num_layers!r}")
    return ModuleList([copy.deepcopy(layer) for _ in range(int(num_layers))])


class _TransformerLayer(Module):
    """What an encoder layer and a decoder layer share: their arguments and their parts,
    built in PyTorch's attribute order (which is state_dict's key order). A decoder layer
    (``cross_attention = True``) has one block more: ``multihead_attn`` with ``norm3`` and
    ``dropout3``."""

    cross_attention = False

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation: str | Callable[[Any], Any] = "relu",
                 layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        activation = _activation(type(self).__name__, activation)

        def attention() -> MultiheadAttention:
            return MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                      batch_first=batch_first, dtype=dtype)

        def norm() -> LayerNorm:
            return LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)

        self.self_attn = attention()
        if self.cross_attention:
            self.multihead_attn = attention()
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)
        self.norm_first = bool(norm_first)
        self.norm1, self.norm2 = norm(), norm()
        if self.cross_attention:
            self.norm3 = norm()
        self.dropout1, self.dropout2 = Dropout(dropout), Dropout(dropout)
        if self.cross_attention:
            self.dropout3 = Dropout(dropout)
        self.activation = activation

    def _feed_forward(self, x: Tensor) -> Tensor:
        """The position-wise network (without its last dropout: ``dropout2`` in an encoder
        layer, ``dropout3`` in a decoder layer, as PyTorch names them)."""
        return self.linear2(self.dropout(self.activation(self.linear1(x))))


class TransformerEncoderLayer(_TransformerLayer):
    """Self-attention and a feed-forward network, each with a residual connection and a norm.

    ``TransformerEncoderLayer(d_model, nhead, dim_feedforward=2048, dropout=0.1,
    activation="relu", layer_norm_eps=1e-5, batch_first=False, norm_first=False,
    bias=True)``; input (S, N, d_model), or (N, S, d_model) with ``batch_first``, or
    (S, d_model). ``forward(src, src_mask=None, src_key_padding_mask=None,
    is_causal=False)`` with the masks of ``MultiheadAttention``.
    """

    def forward(self, src: Any, src_mask: Any = None, src_key_padding_mask: Any = None,
                is_causal: bool = False) -> Tensor:
        def self_attention(x: Tensor) -> Tensor:
            return self.dropout1(self.self_attn(
                x, x, x, attn_mask=src_mask, key_padding_mask=src_key_padding_mask,
                need_weights=False, is_causal=is_causal)[0])

        x = _residual(to_tensor(src), self.norm1, self_attention, self.norm_first)
        return _residual(x, self.norm2, lambda x: self.dropout2(self._feed_forward(x)),
                         self.norm_first)


class TransformerEncoder(Module):
    """``num_layers`` copies of an encoder layer, one after the other, then ``norm`` (if any).

    ``TransformerEncoder(encoder_layer, num_layers, norm=None)``: each copy is a deep copy
    (its own weights, starting from the layer's). ``forward(src, mask=None,
    src_key_padding_mask=None, is_causal=None)`` passes the masks to every layer.
    """

    def __init__(self, encoder_layer: Module, num_layers: int, norm: Module | None = None,
                 enable_nested_tensor: bool = True, mask_check: bool = True) -> None:
        super().__init__()
        self.layers = _copies("TransformerEncoder", encoder_layer, num_layers)
        self.num_layers = len(self.layers)
        self.norm = norm

    def forward(self, src: Any, mask: Any = None, src_key_padding_mask: Any = None,
                is_causal: bool | None = None) -> Tensor:
        x = src
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask,
                      is_causal=bool(is_causal))
        return x if self.norm is None else self.norm(x)


class TransformerDecoderLayer(_TransformerLayer):
    """Self-attention, cross attention to ``memory`` and a feed-forward network, each with
    a residual connection and a norm (``norm1``, ``norm2``, ``norm3``).

    ``TransformerDecoderLayer(d_model, nhead, dim_feedforward=2048, dropout=0.1,
    activation="relu", layer_norm_eps=1e-5, batch_first=False, norm_first=False,
    bias=True)``; ``forward(tgt, memory, tgt_mask=None, memory_mask=None,
    tgt_key_padding_mask=None, memory_key_padding_mask=None, tgt_is_causal=False,
    memory_is_causal=False)``: ``tgt`` (T, N, d_model), ``memory`` (S, N, d_model) (batch
    first with ``batch_first``); the masks as in ``MultiheadAttention`` (``tgt_mask``
    (T, T), e.g. ``Transformer.generate_square_subsequent_mask(T)``, so that a position
    does not see the later ones; ``memory_mask`` (T, S)). ``*_is_causal`` are hints, as in
    PyTorch: the mask itself must be given.
    """

    cross_attention = True

    def forward(self, tgt: Any, memory: Any, tgt_mask: Any = None, memory_mask: Any = None,
                tgt_key_padding_mask: Any = None, memory_key_padding_mask: Any = None,
                tgt_is_causal: bool = False, memory_is_causal: bool = False) -> Tensor:
        def self_attention(x: Tensor) -> Tensor:
            return self.dropout1(self.self_attn(
                x, x, x, attn_mask=tgt_mask, key_padding_mask=tgt_key_padding_mask,
                need_weights=False, is_causal=bool(tgt_is_causal))[0])

        def cross_attention(x: Tensor) -> Tensor:  # queries from x, keys and values: memory
            return self.dropout2(self.multihead_attn(
                x, memory, memory, attn_mask=memory_mask,
                key_padding_mask=memory_key_padding_mask, need_weights=False,
                is_causal=bool(memory_is_causal))[0])

        x = _residual(to_tensor(tgt), self.norm1, self_attention, self.norm_first)
        x = _residual(x, self.norm2, cross_attention, self.norm_first)
        return _residual(x, self.norm3, lambda x: self.dropout3(self._feed_forward(x)),
                         self.norm_first)


class TransformerDecoder(Module):
    """``num_layers`` copies of a decoder layer, one after the other, then ``norm`` (if any).

    ``TransformerDecoder(decoder_layer, num_layers, norm=None)``: deep copies, as
    ``TransformerEncoder``. ``forward(tgt, memory, tgt_mask=None, memory_mask=None,
    tgt_key_padding_mask=None, memory_key_padding_mask=None, tgt_is_causal=None,
    memory_is_causal=False)`` gives every layer the same ``memory`` and masks.
    """

    def __init__(self, decoder_layer: Module, num_layers: int,
                 norm: Module | None = None) -> None:
        super().__init__()
        self.layers = _copies("TransformerDecoder", decoder_layer, num_layers)
        self.num_layers = len(self.layers)
        self.norm = norm

    def forward(self, tgt: Any, memory: Any, tgt_mask: Any = None, memory_mask: Any = None,
                tgt_key_padding_mask: Any = None, memory_key_padding_mask: Any = None,
                tgt_is_causal: bool | None = None, memory_is_causal: bool = False) -> Tensor:
        x = tgt
        for layer in self.layers:
            x = layer(x, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                      tgt_key_padding_mask=tgt_key_padding_mask,
                      memory_key_padding_mask=memory_key_padding_mask,
                      tgt_is_causal=bool(tgt_is_causal), memory_is_causal=memory_is_causal)
        return x if self.norm is None else self.norm(x)


class Transformer(Module):
    """The encoder-decoder transformer of "Attention is all you need", as PyTorch's.

    ``Transformer(d_model=512, nhead=8, num_encoder_layers=6, num_decoder_layers=6,
    dim_feedforward=2048, dropout=0.1, activation="relu", custom_encoder=None,
    custom_decoder=None, layer_norm_eps=1e-5, batch_first=False, norm_first=False,
    bias=True)``: ``encoder`` (a ``TransformerEncoder`` ending in a LayerNorm) reads the
    source into a memory, ``decoder`` (a ``TransformerDecoder``, also with a final
    LayerNorm) reads the target and looks at the memory. Every weight matrix starts
    Xavier-uniform, as in PyTorch. ``forward(src, tgt, src_mask=None, tgt_mask=None,
    memory_mask=None, src_key_padding_mask=None, tgt_key_padding_mask=None,
    memory_key_padding_mask=None, src_is_causal=None, tgt_is_causal=None,
    memory_is_causal=False)`` -> (T, N, d_model) ((N, T, d_model) with ``batch_first``).
    """

    def __init__(self, d_model: int = 512, nhead: int = 8, num_encoder_layers: int = 6,
                 num_decoder_layers: int = 6, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation: str | Callable[[Any], Any] = "relu",
                 custom_encoder: Module | None = None, custom_decoder: Module | None = None,
                 layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        layer_options = {"dim_feedforward": dim_feedforward, "dropout": dropout,
                         "activation": activation, "layer_norm_eps": layer_norm_eps,
                         "batch_first": batch_first, "norm_first": norm_first, "bias": bias,
                         "dtype": dtype}
        norm_options = {"eps": layer_norm_eps, "bias": bias, "dtype": dtype}
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            self.encoder = TransformerEncoder(
                TransformerEncoderLayer(d_model, nhead, **layer_options), num_encoder_layers,
                LayerNorm(d_model, **norm_options))
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            self.decoder = TransformerDecoder(
                TransformerDecoderLayer(d_model, nhead, **layer_options), num_decoder_layers,
                LayerNorm(d_model, **norm_options))
        for p in self.parameters():  # PyTorch's _reset_parameters: matrices Xavier-uniform
            if p.ndim > 1:
                init.xavier_uniform_(p)
        self.d_model, self.nhead, self.batch_first = int(d_model), int(nhead), bool(batch_first)

    def forward(self, src: Any, tgt: Any, src_mask: Any = None, tgt_mask: Any = None,
                memory_mask: Any = None, src_key_padding_mask: Any = None,
                tgt_key_padding_mask: Any = None, memory_key_padding_mask: Any = None,
                src_is_causal: bool | None = None, tgt_is_causal: bool | None = None,
                memory_is_causal: bool = False) -> Tensor:
        src, tgt = to_tensor(src), to_tensor(tgt)
        batch = 0 if self.batch_first else 1
        if src.ndim == 3 and (tgt.ndim != 3 or src.shape[batch] != tgt.shape[batch]):
            raise ValueError(f"Transformer: src {src.shape} and tgt {tgt.shape} must have the "
                             f"same batch size (axis {batch}"
                             f"{' with batch_first' if self.batch_first else ''})")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise ValueError(f"Transformer: src {src.shape} and tgt {tgt.shape} must have "
                             f"d_model = {self.d_model} features on their last axis")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask,
                              is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask,
                            tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz: int, device: Any = None,
                                        dtype: Any = None) -> Tensor:
        """The causal mask (sz, sz): 0 on and below the diagonal, -inf above it, so that
        position i attends to positions 0..i only (add it to the scores: ``tgt_mask``)."""
        if not _is_whole(sz) or sz < 0:
            raise ValueError(f"generate_square_subsequent_mask: sz must be a whole number >= "
                             f"0 (the sequence length), got {sz!r}")
        sz = int(sz)
        return Tensor(np.triu(np.full((sz, sz), -np.inf, dtype=float_dtype(dtype)), 1))
