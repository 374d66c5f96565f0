"""One time step of a recurrent network: ``RNNCell``, ``LSTMCell``, ``GRUCell``, as in PyTorch.

A recurrent network reads a sequence one step at a time and carries a *hidden state*
``h`` from step to step: its memory of what it has read so far. Every step applies
the same weights, so a network trained on sequences of 12 steps also runs on 100.

The step functions below are the whole idea, written with ordinary engine operations
(``@``, ``sigmoid``, ``tanh``, ``*``, ``+``), so backpropagation through time needs no
code of its own: the graph of the unrolled loop is differentiated like any other.

Two choices make a step cheap:

* **One product for every gate.** The input and the old hidden state enter every gate
  through two matrix products and two biases, ``W_ih x + b_ih + W_hh h + b_hh``. Here
  that is one product: the joined matrix ``[W_ih | W_hh | b]`` (``joined``, made once
  per sequence, with ``b = b_ih + b_hh``) times the joined input ``[x; h; 1]``
  (``step_input``). The bias is simply the weight of an input that is always 1.
* **One column per example**, as the formula ``W x + b`` is written: inside the steps
  ``x`` is (input_size, batch) and ``h``, ``c`` are (hidden_size, batch). Each gate is
  then a block of whole rows of the product, one stretch of memory, and the products
  that follow (``f * c``, ``i * g``) run over contiguous numbers, which numpy does
  about three times faster than over a quarter of every row. The layers and cells
  take and give PyTorch's (batch, features) and transpose at the edges.

* RNN: ``h' = tanh(W_ih x + b_ih + W_hh h + b_hh)``. Simple, but its gradient through
  many steps shrinks or explodes, so it forgets quickly.
* LSTM: a second state, the cell ``c``, changed only by gated additions. Four gates in
  PyTorch's order (input i, forget f, cell g, output o): ``c' = f * c + i * g`` and
  ``h' = o * tanh(c')``. While the forget gate is near 1 the cell keeps its content (and
  its gradient) over many steps.
* GRU: two gates (reset r, update z) and a candidate n:
  ``n = tanh(gi_n + r * (W_hn h + b_hn))``, ``h' = (1 - z) * n + z * h``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import tinygrad_dk as tg
from nn import init
from nn.functional_layers import to_tensor
from nn.module import Module, float_dtype
from tinygrad_dk import Tensor

# --- the steps -----------------------------------------------------------------------------


def joined(w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None, b_hh: Tensor | None) -> Tensor:
    """``[W_ih | W_hh | b]`` with ``b = b_ih + b_hh`` as its last column (``[W_ih | W_hh]``
    without bias), so that ``w @ step_input(x, h, w)`` is ``W_ih x + b_ih + W_hh h + b_hh``.
    PyTorch keeps the four apart; so do we, as parameters: this joined copy is made from
    them once per sequence, and its gradient flows back to each."""
    parts = [w_ih, w_hh]
    if b_ih is not None:
        parts.append(bias_column(b_ih + b_hh))
    w = tg.concatenate(parts, axis=1)
    # named, so that draw_graph(..., summarize=True) keeps every time step in its own box
    w.label = "[W_ih | W_hh]" if b_ih is None else "[W_ih | W_hh | b]"
    return w


def step_input(x: Tensor, h: Tensor, w: Tensor) -> Tensor:
    """``[x; h; 1]``, one column per example: the input of one step, with a row of ones
    for the bias column of ``w`` (``[x; h]`` when ``w``, from ``joined``, has no bias)."""
    parts = [x, h]
    if w.shape[1] > x.shape[0] + h.shape[0]:  # the bias column: its input is always 1
        parts.append(Tensor(np.ones((1, h.shape[1]), dtype=h.dtype), label="1 (times b)"))
    joined_input = tg.concatenate(parts, axis=0)
    if not joined_input.op:  # all constants (the first step's input and zero state): name
        # it after its parts, which a drawn graph no longer shows behind a constant
        names = [x.label or "x", h.label or "h"] + (["1"] if len(parts) > 2 else [])
        joined_input.label = "[" + "; ".join(names) + "]"
    return joined_input


def rnn_step(x: Tensor, h: Tensor, w: Tensor, nonlinearity: str = "tanh") -> Tensor:
    """One step of an Elman RNN: the new hidden state (columns are examples; ``w`` from
    ``joined``)."""
    z = w @ step_input(x, h, w)
    return z.tanh() if nonlinearity == "tanh" else z.relu()


def lstm_step(x: Tensor, h: Tensor, c: Tensor, w: Tensor) -> tuple[Tensor, Tensor]:
    """One LSTM step: the new hidden state and cell state (columns are examples; ``w``
    from ``joined``)."""
    n = h.shape[0]
    gates = w @ step_input(x, h, w)  # (4n, batch): the rows of i, f, g, o one below the other
    s = gates.sigmoid()              # i, f and o in one call (g's rows are unused)
    i = s[:n]                        # how much of the candidate to write
    f = s[n:2 * n]                   # how much of the old cell to keep
    g = gates[2 * n:3 * n].tanh()    # the candidate content, in (-1, 1)
    o = s[3 * n:]                    # how much of the cell to show as h
    c = f * c + i * g
    return o * c.tanh(), c


def gru_step(x: Tensor, h: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None,
             b_hh: Tensor | None) -> Tensor:
    """One GRU step: the new hidden state (columns are examples; the biases are columns
    too, (3 * hidden_size, 1)). The reset gate multiplies only the hidden state's share
    of the candidate, so the two products stay apart here."""
    n = h.shape[0]
    gi = w_ih @ x  # (3n, batch): the rows of r, z, n one below the other
    gh = w_hh @ h
    if b_ih is not None:
        gi, gh = gi + b_ih, gh + b_hh
    r = (gi[:n] + gh[:n]).sigmoid()              # reset: how much h the candidate sees
    z = (gi[n:2 * n] + gh[n:2 * n]).sigmoid()    # update: how much of h to keep
    candidate = (gi[2 * n:] + r * gh[2 * n:]).tanh()
    return candidate + z * (h - candidate)       # = (1 - z) * candidate + z * h


def bias_column(b: Tensor | None) -> Tensor | None:
    """A bias (rows,) as a column (rows, 1), to add to a (rows, batch) product."""
    return None if b is None else b.reshape(-1, 1)


# --- the cells: one step as a module ------------------------------------------------------


def uniform_init(module: Module, hidden_size: int) -> None:
    """PyTorch's start for every recurrent weight and bias: U(-1/sqrt(hidden), 1/sqrt(hidden))."""
    bound = 1.0 / math.sqrt(hidden_size)
    for p in module.parameters():
        init.uniform_(p, -bound, bound)


class _Cell(Module):
    """Parameters and checks shared by the cells; ``_chunks`` gates per hidden unit."""

    _chunks = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 dtype: Any = None) -> None:
        super().__init__()
        dtype = float_dtype(dtype)  # None: the default dtype (float32 unless set)
        if int(input_size) < 1 or int(hidden_size) < 1:
            raise ValueError(f"{type(self).__name__}: input_size and hidden_size must be >= 1, "
                             f"got {input_size} and {hidden_size}")
        self.input_size, self.hidden_size = int(input_size), int(hidden_size)
        rows = self._chunks * self.hidden_size
        self.weight_ih = Tensor(np.empty((rows, self.input_size), dtype=dtype), requires_grad=True)
        self.weight_hh = Tensor(np.empty((rows, self.hidden_size), dtype=dtype),
                                requires_grad=True)
        self.bias_ih = Tensor(np.empty(rows, dtype=dtype), requires_grad=True) if bias else None
        self.bias_hh = Tensor(np.empty(rows, dtype=dtype), requires_grad=True) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw fresh weights, as PyTorch: uniform in +-1/sqrt(hidden_size)."""
        uniform_init(self, self.hidden_size)

    def _input(self, x: Any) -> tuple[Tensor, bool]:
        """The input as (batch, input_size) in the weights' dtype, and whether it was batched."""
        x = to_tensor(x)
        if x.dtype != self.weight_ih.dtype:  # computed in the weights' dtype, as nn.Linear
            x = x.to(self.weight_ih.dtype)
        if x.ndim not in (1, 2) or x.shape[-1] != self.input_size:
            raise ValueError(
                f"{self!r}: expected one time step of shape (batch, {self.input_size}) or "
                f"({self.input_size},), got {x.shape}; a cell takes one step, loop over the "
                "time axis yourself (or use the sequence layer)"
            )
        batched = x.ndim == 2
        return (x if batched else x.reshape(1, -1)), batched

    def _state(self, hx: Any, x: Tensor, batched: bool) -> Tensor:
        """A state (h or c) as (batch, hidden_size), checked against the input ``x``
        (already (batch, input_size)); zeros when ``hx`` is None."""
        if hx is None:
            return Tensor(np.zeros((len(x), self.hidden_size), dtype=self.weight_hh.dtype))
        hx = to_tensor(hx)
        if hx.dtype != self.weight_hh.dtype:
            hx = hx.to(self.weight_hh.dtype)
        want = (len(x), self.hidden_size)
        if (hx.shape if batched else (1, *hx.shape)) != want:
            raise ValueError(f"{self!r}: the state must have shape {want if batched else want[1:]}"
                             f" (batch, hidden_size), got {hx.shape}")
        return hx if batched else hx.reshape(1, -1)

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}" + (
            "" if self.bias_ih is not None else ", bias=False")


def _unbatch(t: Tensor, batched: bool) -> Tensor:
    return t if batched else t.reshape(-1)


class RNNCell(_Cell):
    """One step of an Elman RNN: ``h' = tanh(W_ih x + b_ih + W_hh h + b_hh)``.

    ``RNNCell(input_size, hidden_size, bias=True, nonlinearity='tanh')``; call it with
    ``x`` (batch, input_size) and ``h`` (batch, hidden_size) (zeros when omitted).
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", dtype: Any = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: nonlinearity must be 'tanh' or 'relu', got "
                             f"{nonlinearity!r}")
        super().__init__(input_size, hidden_size, bias, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Any, hx: Any = None) -> Tensor:
        x, batched = self._input(input)
        w = joined(self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        h = rnn_step(x.T, self._state(hx, x, batched).T, w, self.nonlinearity).T
        return _unbatch(h, batched)


class LSTMCell(_Cell):
    """One LSTM step: returns ``(h', c')``; gates in PyTorch's order i, f, g, o.

    ``LSTMCell(input_size, hidden_size, bias=True)``; call it with ``x`` (batch,
    input_size) and ``hx = (h, c)``, each (batch, hidden_size) (zeros when omitted).
    ``weight_ih`` is (4 * hidden_size, input_size), ``weight_hh`` (4 * hidden_size,
    hidden_size).
    """

    _chunks = 4

    def forward(self, input: Any, hx: Any = None) -> tuple[Tensor, Tensor]:
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise TypeError(f"{self!r}: hx must be a pair (h, c), got {type(hx).__name__}")
        h0, c0 = (None, None) if hx is None else hx
        x, batched = self._input(input)
        h, c = self._state(h0, x, batched), self._state(c0, x, batched)
        w = joined(self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        h, c = lstm_step(x.T, h.T, c.T, w)
        h, c = h.T, c.T
        return _unbatch(h, batched), _unbatch(c, batched)


class GRUCell(_Cell):
    """One GRU step: ``h' = (1 - z) * n + z * h``; gates in PyTorch's order r, z, n.

    ``GRUCell(input_size, hidden_size, bias=True)``; ``weight_ih`` is
    (3 * hidden_size, input_size), ``weight_hh`` (3 * hidden_size, hidden_size).
    """

    _chunks = 3

    def forward(self, input: Any, hx: Any = None) -> Tensor:
        x, batched = self._input(input)
        h = gru_step(x.T, self._state(hx, x, batched).T, self.weight_ih, self.weight_hh,
                     bias_column(self.bias_ih), bias_column(self.bias_hh)).T
        return _unbatch(h, batched)

# --- PyTorch names: names2 ---
RNNCellBase = _Cell  # PyTorch's name of the base class: isinstance(nn.GRUCell(...), nn.RNNCellBase)
