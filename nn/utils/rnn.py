"""Sequences of different lengths, as ``torch.nn.utils.rnn``.

A batch of sentences or time series rarely has one length. Padding them to the longest
(``pad_sequence``) gives one array, but a recurrent layer would then read the padding as
if it were data, and its final state would be the state *after the padding*. Packing
fixes that: ``pack_padded_sequence`` sorts the sequences from longest to shortest and
keeps, time step by time step, only the entries that are real:

    lengths 3, 2, 1  ->  data = [a0 b0 c0 | a1 b1 | a2],  batch_sizes = [3, 2, 1]

A recurrent layer fed this ``PackedSequence`` runs step ``t`` on the first
``batch_sizes[t]`` sequences only, so each sequence's final state is the state after its
own last step. ``pad_packed_sequence`` turns the packed output back into a padded array.

Every function here moves rows around with one differentiable gather (``_gather``): a
table of row numbers, with -1 where the padding goes. The gradient of a gather sends each
row's gradient back to where it came from, so gradients flow back to the padded input or
to the list of sequences with no code of their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

import tinygrad_dk as tg
from nn.functional_layers import to_tensor
from tinygrad_dk import Tensor

__all__ = ["PackedSequence", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "pack_sequence", "unpad_sequence", "unpack_sequence"]


class _PackedFields(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


class PackedSequence(_PackedFields):
    """A batch of sequences packed step by step (see the module's docstring).

    * ``data``: (total number of steps, *features), step 0 of every sequence first, then
      step 1 of those still running, and so on, the sequences sorted longest first;
    * ``batch_sizes``: int64, how many sequences run at each step (never increasing);
    * ``sorted_indices``: the caller's batch position of each sorted sequence (None when
      the caller's batch was already sorted, ``enforce_sorted=True``);
    * ``unsorted_indices``: the inverse permutation, to put results back in the caller's
      order.

    Make one with ``pack_padded_sequence`` or ``pack_sequence`` rather than by hand.
    """

    def __new__(cls, data: Any, batch_sizes: Any = None, sorted_indices: Any = None,
                unsorted_indices: Any = None) -> PackedSequence:
        if batch_sizes is None:
            raise TypeError("PackedSequence: batch_sizes is required; make a PackedSequence "
                            "with pack_padded_sequence or pack_sequence")
        if unsorted_indices is None and sorted_indices is not None:
            unsorted_indices = _int64(np.argsort(np.asarray(sorted_indices)))
        return super().__new__(cls, to_tensor(data),
                               _int64(batch_sizes),
                               None if sorted_indices is None else _int64(sorted_indices),
                               unsorted_indices if unsorted_indices is None
                               else _int64(unsorted_indices))

    def to(self, *args: Any, **kwargs: Any) -> PackedSequence:
        """The data converted as ``Tensor.to`` does (a dtype, "cpu"); itself if unchanged."""
        data = self.data.to(*args, **kwargs)
        return self if data is self.data else type(self)(data, *self[1:])

    def float(self) -> PackedSequence:  # noqa: A003
        return self.to(np.float32)

    def double(self) -> PackedSequence:
        return self.to(np.float64)

    def half(self) -> PackedSequence:
        return self.to(np.float16)

    def long(self) -> PackedSequence:
        return self.to(np.int64)

    def int(self) -> PackedSequence:  # noqa: A003
        return self.to(np.int32)

    def cpu(self) -> PackedSequence:
        """Itself: everything lives on the CPU here."""
        return self

    def cuda(self, *args: Any, **kwargs: Any) -> PackedSequence:
        """Always an error, as ``Tensor.cuda``: there is no GPU here."""
        self.data.cuda(*args, **kwargs)
        return self

    @property
    def is_cuda(self) -> bool:
        """False: there is no GPU here."""
        return False

    def is_pinned(self) -> bool:
        return False


# --- small helpers ---------------------------------------------------------------------------


def _int64(x: Any) -> Tensor:
    """Indices or sizes (a list, an array or a Tensor) as an int64 Tensor."""
    return Tensor(np.asarray(x).astype(np.int64))


def _gather(rows: Tensor, index: np.ndarray, padding_value: float) -> Tensor:
    """``rows[index]`` along axis 0, with ``padding_value`` wherever ``index`` is -1.

    The one mechanism of this module: packing, padding and unpacking all only move rows,
    so each is a table of row numbers. The padding is one constant row appended below the
    data; a gather is differentiable, so gradients reach ``rows`` and never the padding.
    """
    if (index < 0).any():
        pad = tg.full((1, *rows.shape[1:]), padding_value, dtype=rows.dtype)
        rows = tg.concatenate([rows, pad], axis=0)
        index = np.where(index < 0, len(rows) - 1, index)
    return rows[index]


def _lengths(lengths: Any, batch: int) -> np.ndarray:
    """``lengths`` (a list or a 1-D integer tensor) as int64, checked against the batch."""
    values = np.asarray(lengths)  # (a list, an array or a Tensor)
    if values.ndim != 1:
        raise RuntimeError(f"'lengths' argument should be a 1D CPU int64 tensor (or a list "
                           f"of ints), but got {values.ndim}D with shape {values.shape}")
    if values.size and not np.issubdtype(values.dtype, np.integer):
        if not np.issubdtype(values.dtype, np.number) or not np.all(values == np.round(values)):
            raise ValueError(f"lengths must be whole numbers (steps per sequence), got "
                             f"{values.tolist()}")
    if len(values) != batch:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{len(values)} (batch_size={batch})")
    if not len(values):
        raise RuntimeError("Cannot pack empty tensors: the batch has no sequences; give at "
                           "least one")
    values = values.astype(np.int64)
    if (values <= 0).any():
        raise RuntimeError("Length of all samples has to be greater than 0, but found an "
                           "element in 'lengths' that is <= 0 (lengths: "
                           f"{values.tolist()}); drop the empty sequences from the batch")
    return values


# --- packing and unpacking ---------------------------------------------------------------------


def pack_padded_sequence(input: Any, lengths: Any, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch (time, batch, *) ((batch, time, *) with ``batch_first``) whose
    sequence ``b`` has ``lengths[b]`` real steps; the padding after them is dropped.

    With ``enforce_sorted=True`` (PyTorch's default) the lengths must already be in
    decreasing order; ``enforce_sorted=False`` sorts them (stably) and records the order in
    ``sorted_indices``, so that a recurrent layer gives its results back in yours.
    """
    x = to_tensor(input)
    if x.ndim < 2:
        raise ValueError(f"pack_padded_sequence: the input must be (time, batch, *) or, with "
                         f"batch_first=True, (batch, time, *); got shape {tuple(x.shape)}")
    steps, batch = (x.shape[1], x.shape[0]) if batch_first else x.shape[:2]
    lengths = _lengths(lengths, batch)
    if enforce_sorted:
        if (np.diff(lengths) > 0).any():
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
                "pack_sequence to sidestep this requirement if you do not need ONNX "
                "exportability.")
        order, sorted_indices = np.arange(batch), None
    else:
        order = np.argsort(-lengths, kind="stable")  # ties keep their order, as PyTorch's
        sorted_indices = order
    if lengths.max() > steps:
        raise ValueError(f"pack_padded_sequence: a sequence of length {lengths.max()} does not "
                         f"fit in the input's {steps} time steps (shape {tuple(x.shape)}, "
                         f"batch_first={batch_first}); check the lengths and batch_first")
    lengths = lengths[order]
    # (time, sorted batch) entries that are real, step by step: row-major order is packed order
    t_idx, b_idx = np.nonzero(np.arange(lengths[0])[:, None] < lengths[None, :])
    b_idx = order[b_idx]
    data = x[b_idx, t_idx] if batch_first else x[t_idx, b_idx]
    batch_sizes = (lengths[None, :] > np.arange(lengths[0])[:, None]).sum(axis=1)
    return PackedSequence(data, batch_sizes, sorted_indices)


def _positions(batch_sizes: np.ndarray) -> np.ndarray:
    """The (time, sorted batch) table of every entry's row in the packed data, -1 where a
    sequence has already ended."""
    batch = int(batch_sizes[0])
    starts = np.cumsum(batch_sizes) - batch_sizes  # the first row of each time step
    table = starts[:, None] + np.arange(batch)[None, :]
    return np.where(np.arange(batch)[None, :] < batch_sizes[:, None], table, -1)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Tensor, Tensor]:
    """The inverse of ``pack_padded_sequence``: ``(padded, lengths)``, padded (time, batch,
    *) ((batch, time, *) with ``batch_first``) in the caller's batch order, filled with
    ``padding_value`` after each sequence's end, and the lengths as an int64 tensor.
    ``total_length`` pads the time axis further (to undo padding the packed data lost)."""
    if not isinstance(sequence, PackedSequence):
        raise TypeError(f"pad_packed_sequence takes a PackedSequence (from "
                        f"pack_padded_sequence or pack_sequence), got {type(sequence).__name__}")
    batch_sizes = np.asarray(sequence.batch_sizes)
    table = _positions(batch_sizes)
    if total_length is not None:
        if total_length < len(batch_sizes):
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in "
                f"input, but got total_length={total_length} and max sequence length being "
                f"{len(batch_sizes)}")
        extra = np.full((int(total_length) - len(batch_sizes), table.shape[1]), -1)
        table = np.concatenate([table, extra])
    lengths = (batch_sizes[None, :] > np.arange(table.shape[1])[:, None]).sum(axis=1)
    if sequence.unsorted_indices is not None:
        back = np.asarray(sequence.unsorted_indices)
        table, lengths = table[:, back], lengths[back]
    padded = _gather(sequence.data, table.T if batch_first else table, padding_value)
    return padded, Tensor(lengths.astype(np.int64))


def pad_sequence(sequences: Any, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stack sequences of shapes (L_i, *) into one (max L, batch, *) tensor ((batch, max L,
    *) with ``batch_first``), padded with ``padding_value`` on the right (after the end) or,
    with ``padding_side='left'``, before the start."""
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got "
                           f"{padding_side}.")
    sequences = list(sequences)  # a tensor: its rows, as PyTorch's unbind(0)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    sequences = [to_tensor(s) for s in sequences]
    trailing = {tuple(s.shape[1:]) for s in sequences}
    if len(trailing) > 1 or any(s.ndim == 0 for s in sequences):
        raise ValueError(f"pad_sequence: every sequence must be (length, *features) with the "
                         f"same features; got shapes {[tuple(s.shape) for s in sequences]}")
    lengths = np.array([len(s) for s in sequences])
    starts = np.cumsum(lengths) - lengths  # where each sequence begins in the joined rows
    steps = np.arange(lengths.max())[:, None]
    if padding_side == "left":
        steps = steps - (lengths.max() - lengths)[None, :]  # the padding comes first
    table = np.where((steps >= 0) & (steps < lengths), starts + steps, -1)
    rows = tg.concatenate(sequences, axis=0)
    return _gather(rows, table.T if batch_first else table, padding_value)


def pack_sequence(sequences: Sequence[Any], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of sequences of shapes (L_i, *) (longest first unless
    ``enforce_sorted=False``): ``pack_padded_sequence(pad_sequence(sequences), lengths)``."""
    sequences = list(sequences)
    lengths = [len(s) for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences: Any, lengths: Any,
                   batch_first: bool = False) -> list[Tensor]:
    """The inverse of ``pad_sequence``: the list of sequences, each cut to its length."""
    padded = to_tensor(padded_sequences)
    if not batch_first:
        padded = padded.swapaxes(0, 1)
    lengths = np.asarray(lengths)
    if len(lengths) != padded.shape[0] or (lengths > padded.shape[1]).any():
        raise ValueError(f"unpad_sequence: lengths {lengths.tolist()} do not fit the padded "
                         f"batch of shape {np.shape(padded_sequences)} (batch_first="
                         f"{batch_first}): one length per sequence, none longer than the time "
                         "axis")
    return [padded[b, :int(n)] for b, n in enumerate(lengths)]


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The inverse of ``pack_sequence``: the list of sequences, in the caller's order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
