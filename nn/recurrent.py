"""Recurrent layers over whole sequences: ``RNN``, ``LSTM``, ``GRU``, as in PyTorch.

The layer runs its cell (``nn.recurrent_cells``) over every time step, feeding each
step's hidden state into the next: a Python loop over time, built from ordinary
engine operations, so backpropagation through time is just backward() on the
unrolled graph. Names, shapes and state-dict keys are PyTorch's:

* input ``(time, batch, input_size)``, or ``(batch, time, input_size)`` with
  ``batch_first=True``, or ``(time, input_size)`` for one sequence;
* or a ``PackedSequence`` (``nn.utils.rnn``: sequences of different lengths), giving a
  packed output and, as ``h_n``, each sequence's state after its own last step;
* output: the last layer's hidden state at every step, ``(time, batch, D * hidden_size)``
  (batch first with ``batch_first=True``; D = 2 when ``bidirectional``);
* ``h_n`` (and ``c_n`` for the LSTM): the state after the last step of every layer and
  direction, ``(num_layers * D, batch, hidden_size)``, whatever ``batch_first`` says;
* parameters per layer k: ``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``,
  ``bias_hh_l{k}`` (``..._reverse`` for the backward direction), gates stacked in
  PyTorch's order (LSTM: i, f, g, o; GRU: r, z, n).

The hidden states are labelled (``h[3]``, ``c[3]``) so that
``viz.draw_graph(loss, summarize=True)`` can draw the unrolled network one step per box.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

import tinygrad_dk as tg
from nn import functional as F
from nn.functional_layers import to_tensor
from nn.module import Module, float_dtype
from nn.recurrent_cells import (
    bias_column,
    gru_step,
    joined,
    lstm_step,
    rnn_step,
    uniform_init,
)
from nn.utils.rnn import PackedSequence
from tinygrad_dk import Tensor

_CHUNKS = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _as_columns(t: Tensor) -> Tensor:
    """``t`` (batch, hidden) as one column per example; a constant, such as the zero
    initial state, keeps its label in the drawn graph."""
    columns = t.T
    if not columns.op:
        columns.label = t.label
    return columns


class _RNNBase(Module):
    """The loop over layers, directions and time steps that RNN, LSTM and GRU share."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, dtype: Any = None) -> None:
        super().__init__()
        dtype = float_dtype(dtype)  # None: the default dtype (float32 unless set)
        name = type(self).__name__
        if int(input_size) < 1 or int(hidden_size) < 1 or int(num_layers) < 1:
            raise ValueError(f"{name}: input_size, hidden_size and num_layers must be >= 1, "
                             f"got {input_size}, {hidden_size} and {num_layers}")
        if isinstance(dropout, bool) or not 0.0 <= float(dropout) < 1.0:
            raise ValueError(f"{name}: dropout is a probability in [0, 1), got {dropout!r}")
        self.mode = mode
        self.input_size, self.hidden_size = int(input_size), int(hidden_size)
        self.num_layers, self.bias = int(num_layers), bool(bias)
        self.batch_first, self.dropout = bool(batch_first), float(dropout)
        self.bidirectional = bool(bidirectional)
        directions = 2 if self.bidirectional else 1
        rows = _CHUNKS[mode] * self.hidden_size
        self._weight_names: list[list[str]] = []  # per (layer, direction), in PyTorch's order
        for layer in range(self.num_layers):
            width = self.input_size if layer == 0 else self.hidden_size * directions
            for direction in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                shapes = {"weight_ih": (rows, width), "weight_hh": (rows, self.hidden_size)}
                if self.bias:
                    shapes.update(bias_ih=(rows,), bias_hh=(rows,))
                for kind, shape in shapes.items():
                    setattr(self, kind + suffix,
                            Tensor(np.empty(shape, dtype=dtype), requires_grad=True))
                self._weight_names.append([kind + suffix for kind in shapes])
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw fresh weights, as PyTorch: uniform in +-1/sqrt(hidden_size)."""
        uniform_init(self, self.hidden_size)

    # --- shapes in, shapes out ---------------------------------------------------------

    def _layout(self) -> str:
        return ("(batch, time, input_size)" if self.batch_first
                else "(time, batch, input_size)")

    def _check_input(self, x: Tensor) -> None:
        if x.ndim in (2, 3) and x.shape[-1] == self.input_size:
            if x.ndim == 3 and not self.batch_first and x.shape[0] > x.shape[1]:
                self._warn_layout(x.shape)
            return
        hint = ""
        if x.ndim == 2 and self.input_size == 1:
            a, b = x.shape
            hint = (f"; a batch of sequences of single numbers needs a feature axis: "
                    f"x.reshape({a}, {b}, 1) (with batch_first={self.batch_first} the axes "
                    f"mean {self._layout()})")
        elif x.ndim == 3 and self.input_size in x.shape[:2]:
            hint = "; the features must be on the last axis"
        raise ValueError(
            f"{self!r}: expected input of shape {self._layout()} with the {self.input_size} "
            f"input feature(s) on the last axis, or (time, input_size) for one sequence; got "
            f"{x.shape}{hint}"
        )

    def _warn_layout(self, shape: tuple) -> None:
        """Say once per layer how a (batch, time, features) batch would be misread.

        With batch_first=False, axis 0 is time. Data made of many short windows, shape
        (windows, steps, features), also fits that shape and then trains silently on
        the wrong axis, so more "time steps" than "sequences" earns a warning.
        """
        if self.__dict__.get("_layout_warned"):
            return
        object.__setattr__(self, "_layout_warned", True)
        warnings.warn(
            f"{self!r} reads the input of shape {shape} as (time={shape[0]}, "
            f"batch={shape[1]}, features={shape[2]}) because batch_first=False; if it is "
            f"(batch, time, features), create the layer with batch_first=True (or pass "
            "x.transpose(1, 0, 2))", UserWarning, stacklevel=4)

    def _state(self, hx: Any, batch: int, batched: bool, dtype: Any,
               x_shape: tuple | None) -> list[Tensor]:
        """An initial state as one (batch, hidden) Tensor per layer and direction."""
        count = self.num_layers * (2 if self.bidirectional else 1)
        if hx is None:
            zeros = Tensor(np.zeros((batch, self.hidden_size), dtype=dtype),
                           label="initial state (zeros)")
            return [zeros] * count
        hx = to_tensor(hx)
        if hx.dtype != dtype:
            hx = hx.to(dtype)
        want = (count, batch, self.hidden_size) if batched else (count, self.hidden_size)
        if hx.shape != want:
            hint = ""
            other = None if x_shape is None else x_shape[0 if not self.batch_first else 1]
            if batched and other is not None and hx.shape == (count, other, self.hidden_size):
                seen = "(time, batch, " if self.batch_first else "(batch, time, "
                hint = (f"; the input {x_shape} looks like {seen}features)"
                        f": create the layer with batch_first={not self.batch_first}, or "
                        "swap the axes with x.transpose(1, 0, 2)")
            raise ValueError(f"{self!r}: the initial state must have shape (num_layers * "
                             f"directions, batch, hidden_size) = {want}, got {hx.shape}{hint}")
        if not batched:
            hx = hx.reshape(count, 1, self.hidden_size)
        return [hx[k] for k in range(count)]

    # --- the loop ------------------------------------------------------------------------

    def _run(self, layer_input: list[Tensor], sizes: list[int],
             states: list[list[Tensor]]) -> tuple[list[Tensor], list[list[Tensor]]]:
        """Every layer and direction over the time steps ``layer_input``.

        ``layer_input`` holds one (features, batch_sizes[t]) Tensor per time step (a column
        per example, see ``nn.recurrent_cells``); ``sizes[t]`` is how many sequences run at
        step t: the whole batch for a padded input, fewer and fewer for a packed one (the
        sequences sorted longest first). ``states`` holds one list per state kind (h, and c
        for the LSTM), one (batch, hidden) Tensor per layer and direction. Returns the last
        layer's output columns, one per step, and the final states (batch, hidden).
        """
        directions = 2 if self.bidirectional else 1
        steps = len(layer_input)
        final: list[list[Tensor]] = [[] for _ in states]
        for t, x_t in enumerate(layer_input):
            x_t.label = f"x[{t}]"
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                k = layer * directions + direction
                w_ih, w_hh, *biases = (getattr(self, n) for n in self._weight_names[k])
                weights = self._weights(w_ih, w_hh, *(biases or (None, None)))
                where = f" l{layer}" if self.num_layers > 1 else ""
                where += " reverse" if direction else ""
                order = reversed(range(steps)) if direction else range(steps)
                hs, state = self._over_time(layer_input, sizes, list(order),
                                            [_as_columns(s[k]) for s in states], weights, where)
                outputs.append(hs)
                for kept, s in zip(final, state):
                    kept.append(s.T)
            layer_input = outputs[0] if directions == 1 else [
                tg.concatenate([fw, bw], axis=0) for fw, bw in zip(*outputs)]
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = [F.dropout(h, self.dropout) for h in layer_input]
        return layer_input, final

    def _over_time(self, inputs: list[Tensor], sizes: list[int], order: list[int],
                   start: list[Tensor], weights: tuple,
                   where: str) -> tuple[list[Tensor], list[Tensor]]:
        """One layer in one direction: the steps in ``order``, each on the ``sizes[t]``
        sequences that are still running (the first ones: they are sorted longest first).

        ``start`` is the initial state, (hidden, batch) per state kind. Forwards the batch
        shrinks: when sequences end, their states are set aside, each the state after that
        sequence's own last step. Backwards (a bidirectional layer's reverse direction) the
        batch grows: a sequence joins, with its initial state, at its own last step. With
        every size equal to the batch (a padded input) neither happens. Returns the hidden
        state of every step and the final states in the batch's order.
        """
        width = sizes[order[0]]
        state = start if width == start[0].shape[1] else [s[:, :width] for s in start]
        finished: list[list[Tensor]] = []  # states of sequences that ended, last ones first
        hs: list[Any] = [None] * len(inputs)
        for t in order:
            if sizes[t] < width:  # sequences width-1 down to sizes[t] have ended
                finished.append([s[:, sizes[t]:] for s in state])
                state = [s[:, :sizes[t]] for s in state]
            elif sizes[t] > width:  # sequences width up to sizes[t]-1 start here (reverse)
                state = [tg.concatenate([s, s0[:, width:sizes[t]]], axis=1)
                         for s, s0 in zip(state, start)]
            width = sizes[t]
            state = self._step(inputs[t], state, weights)
            for kind, s in zip("hc", state):
                s.label = f"{kind}[{t}]{where}"
            hs[t] = state[0]
        if finished:  # back in batch order: the running ones, then the shorter and shorter
            state = [tg.concatenate([s, *reversed(parts)], axis=1)
                     for s, parts in zip(state, zip(*finished))]
        return hs, state

    def _weights(self, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None,
                 b_hh: Tensor | None) -> tuple:
        """The weights as the step function takes them (joined once per sequence)."""
        return (joined(w_ih, w_hh, b_ih, b_hh),)

    def _step(self, x: Tensor, state: list[Tensor], weights: tuple) -> list[Tensor]:
        raise NotImplementedError

    def _forward(self, input: Any, hx: list[Any]) -> tuple[Any, list[Tensor]]:
        """Shared forward: check, go time-major, run, and give PyTorch's shapes back."""
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        x = to_tensor(input)
        self._check_input(x)
        if x.dtype != self.weight_ih_l0.dtype:  # computed in the weights' dtype, as nn.Linear
            x = x.to(self.weight_ih_l0.dtype)
        batched, in_shape = x.ndim == 3, tuple(x.shape)  # the shape as given, for hints
        if not batched:
            x = x.reshape(x.shape[0], 1, x.shape[1])
        elif self.batch_first:
            x = x.swapaxes(0, 1)  # the loop runs over axis 0: time
        dtype = self.weight_hh_l0.dtype
        states = [self._state(h, x.shape[1], batched, dtype, in_shape) for h in hx]
        # One (features, batch) Tensor per time step: a column per example, as the steps take it
        columns = x.permute(0, 2, 1)
        steps = [columns[t] for t in range(x.shape[0])]
        outs, final = self._run(steps, [x.shape[1]] * len(steps), states)
        out = tg.stack(outs, axis=0).permute(0, 2, 1)
        if not batched:
            out = out.reshape(out.shape[0], -1)
        elif self.batch_first:
            out = out.swapaxes(0, 1)
        finals = [tg.stack(f, axis=0) for f in final]
        if not batched:
            finals = [f.reshape(f.shape[0], -1) for f in finals]
        return out, finals

    def _forward_packed(self, packed: PackedSequence,
                        hx: list[Any]) -> tuple[PackedSequence, list[Tensor]]:
        """The forward of a PackedSequence: the time loop over its batch_sizes (the batch
        shrinking as sequences end), a packed output, and final states in the caller's
        batch order (``batch_first`` does not matter: packed data has no batch axis)."""
        x = packed.data
        if x.ndim != 2 or x.shape[1] != self.input_size:
            raise ValueError(f"{self!r}: a PackedSequence's data must have shape (total "
                             f"steps, input_size={self.input_size}), got {tuple(x.shape)}; "
                             "pack a (time, batch, input_size) tensor with "
                             "pack_padded_sequence")
        if x.dtype != self.weight_ih_l0.dtype:
            x = x.to(self.weight_ih_l0.dtype)
        sizes = [int(n) for n in packed.batch_sizes.numpy()]
        order, back = packed.sorted_indices, packed.unsorted_indices
        states = []
        for h in hx:  # a given initial state is in the caller's order: sort it as the data
            state = self._state(h, sizes[0], True, self.weight_hh_l0.dtype, None)
            states.append(state if h is None or order is None else
                          [s[order.numpy()] for s in state])
        columns = x.T  # one column per step of a sequence, the steps one after the other
        starts = np.cumsum([0, *sizes])
        steps = [columns[:, starts[t]:starts[t + 1]] for t in range(len(sizes))]
        outs, final = self._run(steps, sizes, states)
        out = PackedSequence(tg.concatenate(outs, axis=1).T, packed.batch_sizes, order, back)
        finals = [tg.stack(f, axis=0) for f in final]
        if back is not None:
            finals = [f[:, back.numpy()] for f in finals]
        return out, finals

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.mode == "RNN_RELU":
            text += ", nonlinearity='relu'"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if not self.bias:
            text += ", bias=False"
        if self.batch_first:
            text += ", batch_first=True"
        if self.dropout:
            text += f", dropout={self.dropout}"
        if self.bidirectional:
            text += ", bidirectional=True"
        return text


class RNN(_RNNBase):
    """An Elman RNN over a sequence: ``h_t = tanh(W_ih x_t + b_ih + W_hh h_(t-1) + b_hh)``.

    ``RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
    batch_first=False, dropout=0.0, bidirectional=False)``; ``rnn(x, h0=None)`` returns
    ``(output, h_n)``.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False,
                 dtype: Any = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(f"RNN_{nonlinearity.upper()}", input_size, hidden_size, num_layers,
                         bias, batch_first, dropout, bidirectional, dtype)
        self.nonlinearity = nonlinearity

    def _step(self, x: Tensor, state: list[Tensor], weights: tuple) -> list[Tensor]:
        return [rnn_step(x, state[0], *weights, self.nonlinearity)]

    def forward(self, input: Any, hx: Any = None) -> tuple[Tensor, Tensor]:
        out, (h_n,) = self._forward(input, [hx])
        return out, h_n


class LSTM(_RNNBase):
    """A long short-term memory network over a sequence (gates i, f, g, o, as PyTorch).

    ``LSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
    dropout=0.0, bidirectional=False)``; ``lstm(x, (h0, c0))`` (state optional)
    returns ``(output, (h_n, c_n))``. For a forecast from the whole sequence use the
    last step: ``output[:, -1]`` with ``batch_first=True``.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0,
                 dtype: Any = None) -> None:
        if proj_size:
            raise NotImplementedError("LSTM: proj_size is not supported")
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, dtype)

    def _step(self, x: Tensor, state: list[Tensor], weights: tuple) -> list[Tensor]:
        return list(lstm_step(x, state[0], state[1], *weights))

    def forward(self, input: Any, hx: Any = None) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise TypeError(f"{self!r}: hx must be a pair (h_0, c_0), got "
                            f"{type(hx).__name__}")
        out, (h_n, c_n) = self._forward(input, [None, None] if hx is None else list(hx))
        return out, (h_n, c_n)


class GRU(_RNNBase):
    """A gated recurrent unit network over a sequence (gates r, z, n, as PyTorch).

    ``GRU(input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
    dropout=0.0, bidirectional=False)``; ``gru(x, h0=None)`` returns ``(output, h_n)``.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, dtype: Any = None) -> None:
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, dtype)

    def _weights(self, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None,
                 b_hh: Tensor | None) -> tuple:
        # the GRU keeps its two products apart; its biases become columns, once
        return w_ih, w_hh, bias_column(b_ih), bias_column(b_hh)

    def _step(self, x: Tensor, state: list[Tensor], weights: tuple) -> list[Tensor]:
        return [gru_step(x, state[0], *weights)]

    def forward(self, input: Any, hx: Any = None) -> tuple[Tensor, Tensor]:
        out, (h_n,) = self._forward(input, [hx])
        return out, h_n

# --- PyTorch names: names2 ---
RNNBase = _RNNBase  # PyTorch's name of the base class: isinstance(nn.LSTM(...), nn.RNNBase)
