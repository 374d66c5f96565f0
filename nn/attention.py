"""Attention: ``F.scaled_dot_product_attention`` and ``nn.MultiheadAttention``, as in PyTorch.

Attention lets every position of a sequence look at every other one and take a
weighted mean of what it finds. Each query ``q`` is compared with every key ``k`` (a dot
product, scaled by 1/sqrt(features) so the scores do not grow with the width); a
softmax over the keys turns the scores into weights that sum to 1; the result is the
weighted mean of the values ``v``::

    attention(q, k, v) = softmax(q @ k.T / sqrt(E)) @ v

A *mask* says which keys a query may not see (padding, or the future in a causal
model): their scores become -inf before the softmax, so their weights are exactly 0.
``_attend`` below is that formula, once; the functional form and the layer both call it.

A query that may see no key at all (every score -inf) gets weights 0 and the output 0,
as PyTorch's ``scaled_dot_product_attention`` gives (the plain formula would divide 0
by 0: nan).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import tinygrad_dk as tg
from nn import init
from nn.functional_layers import to_tensor
from nn.layers import Linear
from nn.module import Module, float_dtype
from tinygrad_dk import Tensor


def _attend(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None, dropout_p: float,
            scale: float) -> tuple[Tensor, Tensor]:
    """(softmax(q k^T scale + mask) v, the weights): the one attention formula.

    ``mask`` is None or additive (float, -inf where a key is hidden), broadcast against
    the scores (..., L, S). Rows with every key hidden get weights 0 (see the module
    docstring); dropout (``dropout_p`` > 0) drops weights, as PyTorch does.
    """
    scores = (q * scale) @ k.transpose(-2, -1)
    if mask is not None:
        scores = scores + mask
    dead = np.isneginf(scores.data).all(axis=-1, keepdims=True)  # no key to look at
    if dead.any():  # softmax of a row of zeros, then weights 0: finite, gradient 0
        scores = scores.masked_fill(Tensor(dead), 0.0)
        weights = scores.softmax(-1).masked_fill(Tensor(dead), 0.0)
    else:
        weights = scores.softmax(-1)
    if dropout_p > 0.0:
        weights = tg.dropout(weights, dropout_p, True)
    return weights @ v, weights


def _additive(mask: Any, dtype: Any, what: str, hidden_if: bool) -> Tensor:
    """A mask as an additive float tensor: a bool mask gives -inf where it is ``hidden_if``
    (SDPA hides False, ``MultiheadAttention`` hides True) and 0 elsewhere; a float mask
    is added as it is."""
    mask = to_tensor(mask)
    if mask.dtype == np.bool_:
        hidden = mask.data if hidden_if else ~mask.data
        return Tensor(np.where(hidden, -np.inf, 0.0).astype(dtype))
    if mask.dtype.kind != "f":
        raise TypeError(f"{what} must be a bool mask or float scores to add, got dtype "
                        f"{mask.dtype}; convert it with .bool() or .float()")
    return mask


def scaled_dot_product_attention(query: Any, key: Any, value: Any, attn_mask: Any = None,
                                 dropout_p: float = 0.0, is_causal: bool = False,
                                 scale: float | None = None, enable_gqa: bool = False) -> Tensor:
    """softmax(query @ key^T * scale + mask) @ value, as PyTorch's function of the same name.

    ``query`` (..., L, E), ``key`` (..., S, E), ``value`` (..., S, Ev) -> (..., L, Ev).
    ``attn_mask`` broadcasts to (..., L, S): bool (True: the query may look at the key)
    or float (added to the scores). ``is_causal=True`` hides the keys after each query
    (position i sees 0..i). ``scale`` defaults to 1/sqrt(E). ``dropout_p`` drops weights
    whenever it is > 0 (PyTorch's function has no training flag: pass
    ``dropout_p if self.training else 0.0``). ``enable_gqa``: fewer key/value heads (axis
    -3) than query heads, each shared by a group of query heads.
    """
    q, k, v = to_tensor(query), to_tensor(key), to_tensor(value)
    qs, ks, vs = q.shape, k.shape, v.shape
    name = "scaled_dot_product_attention"
    if min(len(qs), len(ks), len(vs)) < 2:
        raise ValueError(f"{name}: query, key and value need at least 2 axes (..., length, "
                         f"features), got shapes {qs}, {ks}, {vs}")
    if qs[-1] != ks[-1] or ks[-2] != vs[-2]:
        raise ValueError(f"{name}: query (..., L, E) {qs}, key (..., S, E) {ks} and value "
                         f"(..., S, Ev) {vs} disagree: query and key need the same E, key and "
                         "value the same S")
    if enable_gqa and len(qs) >= 3 and ks[-3] != qs[-3]:
        if ks[-3] == 0 or qs[-3] % ks[-3] or ks[-3] != vs[-3]:
            raise ValueError(f"{name}: enable_gqa needs a number of key/value heads ({ks[-3]}"
                             f", {vs[-3]}) that divides the query heads ({qs[-3]})")
        k = k.repeat_interleave(qs[-3] // ks[-3], -3)
        v = v.repeat_interleave(qs[-3] // ks[-3], -3)
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"{name}: dropout_p must be in [0, 1], got {dropout_p!r}")
    dtype = q.dtype
    mask = None
    if is_causal:
        if attn_mask is not None:
            raise ValueError(f"{name}: give either attn_mask or is_causal=True, not both (as "
                             "PyTorch); for both, combine them into attn_mask")
        mask = _additive(np.tril(np.ones((qs[-2], ks[-2]), dtype=bool)), dtype, name, False)
    elif attn_mask is not None:
        mask = _additive(attn_mask, dtype, f"{name}: attn_mask", False)
        try:
            np.broadcast_shapes(mask.shape, (*np.broadcast_shapes(qs[:-2], ks[:-2]), qs[-2],
                                               ks[-2]))
        except ValueError:
            raise ValueError(f"{name}: attn_mask of shape {mask.shape} does not broadcast to "
                             f"the scores (..., L, S) = (..., {qs[-2]}, {ks[-2]}); give it "
                             f"shape ({qs[-2]}, {ks[-2]}) or (batch, heads, {qs[-2]}, "
                             f"{ks[-2]})") from None
    scale = 1.0 / math.sqrt(qs[-1]) if scale is None else float(scale)
    return _attend(q, k, v, mask, float(dropout_p), scale)[0]


class MultiheadAttention(Module):
    """Attention with ``num_heads`` heads, each on its own slice of the features.

    ``MultiheadAttention(embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False,
    add_zero_attn=False, kdim=None, vdim=None, batch_first=False)``; parameters as in
    PyTorch: ``in_proj_weight`` (3 E, E) (or ``q_proj_weight``, ``k_proj_weight``,
    ``v_proj_weight`` when kdim/vdim differ from E), ``in_proj_bias`` (3 E,) and
    ``out_proj`` (a Linear E -> E). ``forward(query, key, value, key_padding_mask=None,
    need_weights=True, attn_mask=None, average_attn_weights=True, is_causal=False)``
    returns ``(output, weights)``: output (L, N, E) ((N, L, E) with ``batch_first``,
    (L, E) for one sequence), weights (N, L, S) averaged over the heads, (N, heads, L, S)
    with ``average_attn_weights=False``, or None without ``need_weights``.
    Masks: True (bool) hides a key, a float is added to the scores; ``key_padding_mask``
    (N, S), ``attn_mask`` (L, S) or (N * heads, L, S). A query whose every key is hidden
    gets output 0 and weights 0 (PyTorch: 0 with ``need_weights=False``, nan otherwise).
    Dropout (on the weights) only in training mode.
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim: int | None = None,
                 vdim: int | None = None, batch_first: bool = False, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        dtype = float_dtype(dtype)
        if int(embed_dim) < 1 or int(num_heads) < 1 or embed_dim % num_heads:
            raise ValueError(f"MultiheadAttention: embed_dim ({embed_dim}) must be divisible "
                             f"by num_heads ({num_heads}): each head gets embed_dim // "
                             f"num_heads features; choose e.g. num_heads in "
                             f"{[h for h in range(1, int(embed_dim) + 1) if embed_dim % h == 0]}")
        if add_bias_kv or add_zero_attn:
            raise NotImplementedError("MultiheadAttention: add_bias_kv and add_zero_attn are "
                                      "not supported")
        if isinstance(dropout, bool) or not 0.0 <= float(dropout) < 1.0:
            raise ValueError(f"MultiheadAttention: dropout must be in [0, 1), got {dropout!r}")
        self.embed_dim, self.num_heads = int(embed_dim), int(num_heads)
        self.head_dim = self.embed_dim // self.num_heads
        self.kdim = self.embed_dim if kdim is None else int(kdim)
        self.vdim = self.embed_dim if vdim is None else int(vdim)
        self.dropout, self.batch_first = float(dropout), bool(batch_first)
        self._qkv_same_embed_dim = self.kdim == self.embed_dim and self.vdim == self.embed_dim
        e = self.embed_dim

        def weight(*shape: int) -> Tensor:
            return Tensor(np.empty(shape, dtype=dtype), requires_grad=True)
        if self._qkv_same_embed_dim:
            self.in_proj_weight = weight(3 * e, e)
        else:
            self.q_proj_weight = weight(e, e)
            self.k_proj_weight = weight(e, self.kdim)
            self.v_proj_weight = weight(e, self.vdim)
        self.in_proj_bias = weight(3 * e) if bias else None
        self.out_proj = Linear(e, e, bias=bias, dtype=dtype)
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        """PyTorch's start: Xavier-uniform projections, zero biases (out_proj's weight keeps
        Linear's own draw)."""
        names = ["in_proj_weight"] if self._qkv_same_embed_dim else [
            "q_proj_weight", "k_proj_weight", "v_proj_weight"]
        for name in names:
            init.xavier_uniform_(getattr(self, name))
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)

    def _project(self, x: Tensor, i: int) -> Tensor:
        """The i-th input projection (0: queries, 1: keys, 2: values)."""
        e = self.embed_dim
        if self._qkv_same_embed_dim:
            w = self.in_proj_weight[i * e:(i + 1) * e]
        else:
            w = getattr(self, ("q_proj_weight", "k_proj_weight", "v_proj_weight")[i])
        b = None if self.in_proj_bias is None else self.in_proj_bias[i * e:(i + 1) * e]
        return tg.linear(x, w, b)

    def _mask(self, key_padding_mask: Any, attn_mask: Any, n: int, lq: int, s: int,
              dtype: Any) -> Tensor | None:
        """Both masks as one additive mask broadcasting to the scores (N, heads, L, S)."""
        mask = None
        name = "MultiheadAttention"
        if attn_mask is not None:
            mask = _additive(attn_mask, dtype, f"{name}: attn_mask", True)
            shape = mask.shape
            if shape == (n * self.num_heads, lq, s):
                mask = mask.reshape(n, self.num_heads, lq, s)
            elif shape != (lq, s):
                raise ValueError(f"{name}: attn_mask has shape {shape}; it must be (L, S) = "
                                 f"({lq}, {s}) or (N * num_heads, L, S) = "
                                 f"({n * self.num_heads}, {lq}, {s})")
        if key_padding_mask is not None:
            pad = _additive(key_padding_mask, dtype, f"{name}: key_padding_mask", True)
            if pad.shape not in ((n, s), (s,)):
                raise ValueError(f"{name}: key_padding_mask has shape {pad.shape}; it must "
                                 f"be (N, S) = ({n}, {s}), True where a key is padding")
            pad = pad.reshape(-1, 1, 1, s)
            mask = pad if mask is None else mask + pad
        return mask

    def forward(self, query: Any, key: Any, value: Any, key_padding_mask: Any = None,
                need_weights: bool = True, attn_mask: Any = None,
                average_attn_weights: bool = True,
                is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
        q, k, v = (to_tensor(t) for t in (query, key, value))
        name = "MultiheadAttention"
        if is_causal and attn_mask is None:
            raise ValueError(f"{name}: is_causal=True is a hint (as in PyTorch) and needs the "
                             "causal attn_mask too: attn_mask=torch.triu(torch.ones(L, L, "
                             "dtype=torch.bool), diagonal=1) (True hides a later key)")
        batched = q.ndim == 3
        if q.ndim not in (2, 3) or k.ndim != q.ndim or v.ndim != q.ndim:
            raise ValueError(f"{name}: query, key and value must be (L, N, E) (or (N, L, E) "
                             f"with batch_first, or (L, E) for one sequence), got shapes "
                             f"{q.shape}, {k.shape}, {v.shape}")
        if not batched:  # one sequence: a batch of one
            q, k, v = q[:, None], k[:, None], v[:, None]
            key_padding_mask = None if key_padding_mask is None else to_tensor(
                key_padding_mask).reshape(1, -1)
        elif self.batch_first:  # the work below is on (L, N, E), PyTorch's default layout
            q, k, v = (t.transpose(0, 1) for t in (q, k, v))
        (lq, n, e), s = q.shape, k.shape[0]
        if (e, k.shape[2], v.shape[2]) != (self.embed_dim, self.kdim, self.vdim) or \
                k.shape[:2] != v.shape[:2] or k.shape[1] != n:
            raise ValueError(f"{name}: expected query (L, N, {self.embed_dim}), key (S, N, "
                             f"{self.kdim}), value (S, N, {self.vdim}) (batch first with "
                             f"batch_first=True), got {q.shape}, {k.shape}, {v.shape}")
        h, d = self.num_heads, self.head_dim

        def heads(t: Tensor, length: int) -> Tensor:  # (len, N, E) -> (N, heads, len, d)
            return t.reshape(length, n, h, d).permute(1, 2, 0, 3)
        mask = self._mask(key_padding_mask, attn_mask, n, lq, s, q.dtype)
        out, weights = _attend(heads(self._project(q, 0), lq), heads(self._project(k, 1), s),
                               heads(self._project(v, 2), s), mask,
                               self.dropout if self.training else 0.0, 1.0 / math.sqrt(d))
        out = self.out_proj(out.permute(2, 0, 1, 3).reshape(lq, n, e))  # heads side by side
        if not batched:
            out, weights = out[:, 0], weights[0]
        elif self.batch_first:
            out = out.transpose(0, 1)
        if not need_weights:
            return out, None
        return out, weights.mean(-3) if average_attn_weights else weights

    def extra_repr(self) -> str:
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}"
