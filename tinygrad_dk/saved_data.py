"""Catching writes into a Tensor's numbers between its forward and its backward pass.

Backward reads the very arrays the forward pass used: ``x * w`` needs ``w``'s numbers
to give ``x`` its gradient. Two kinds of change would make that gradient wrong:

* **assigning** ``t.data = ...`` (also ``t.data -= lr * g``) or ``t.copy_(...)``: these
  go through the Tensor, which moves its version counter; every recorded operation
  remembers the versions of its inputs, and backward refuses when they moved.
* **writing into the elements** of the array (``w.data[0] = 5``,
  ``np.copyto(w.data, ...)``, ``w.numpy()[:] = 0``): numpy does that behind the
  Tensor's back, so no counter moves by itself. This module catches it.

How, cheaply: a recorded operation marks each input (and its output) *saved*, with the
number of the current backward "epoch" (``_EPOCH``, moved on by every backward pass;
an input that requires grad is marked by any operation, also inside ``no_grad()``).
Handing out the array of a saved tensor (``.data``, ``.numpy()``, ``np.asarray``)
keeps a copy of its numbers (``watch``). Before the next backward pass, and whenever a
new operation uses a watched tensor, the copy is compared with the array
(``check_writes``, ``before_record``); if the numbers changed, the version counter moves,
so backward through the operations that saw the old numbers raises a RuntimeError
instead of returning a wrong gradient. Nothing is copied or compared unless someone
takes the array of a tensor between its forward and backward pass, so training
loops pay one attribute write per operation input.

What is not seen: an array taken *before* the forward pass (or through a view such
as ``detach()``) and written afterwards, and writes after a backward pass into a
graph that is differentiated a second time. Change numbers after ``backward()``, or
assign a new array (``t.data = new``), and both are always safe.
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np

#: how many backward passes have started; a tensor marked with an older number is not
#: saved for any backward pass still to come
_EPOCH = [0]
_watched: list[weakref.ref] = []  # tensors whose array was handed out while saved
_prune_at = [256]  # when _watched is this long, drop the tensors that no longer exist


def watch(t: Any) -> None:
    """``t``'s array is being handed out while ``t`` is saved for backward: keep a copy."""
    t._watch = np.array(t._data, copy=True)
    if len(_watched) >= _prune_at[0]:
        _watched[:] = [ref for ref in _watched if ref() is not None]
        _prune_at[0] = max(256, 2 * len(_watched))  # amortised: never quadratic
    _watched.append(weakref.ref(t))


def _changed(before: np.ndarray, now: np.ndarray) -> bool:
    if before.shape != now.shape:
        return True
    return not np.array_equal(before, now, equal_nan=before.dtype.kind in "fc")


def before_record(args: tuple) -> list:
    """A new operation is about to use ``args``: every watched tensor among them whose
    numbers changed since they were handed out moves its version on now (graphs built
    before the change become stale; the new one sees the new numbers and is right), and
    keeps being watched with its new numbers. Returns the (tensor, copy) pairs to keep."""
    kept = []
    for t in args:
        copy = getattr(t, "_watch", None)
        if isinstance(copy, np.ndarray):
            if _changed(copy, t._data):
                t._version += 1
                copy = np.array(t._data, copy=True)
            kept.append((t, copy))
    return kept


def keep_watching(kept: list) -> None:
    """Put the copies back after the operation marked its inputs as saved."""
    for t, copy in kept:
        t._watch = copy


def check_writes() -> None:
    """Start of a backward pass: compare every watched tensor with its copy, move the
    version of those that were written into, and begin a new epoch (nothing is saved
    for a later backward pass any more, so nothing needs watching)."""
    for ref in _watched:
        t = ref()
        if t is not None and isinstance(t._watch, np.ndarray):
            if _changed(t._watch, t._data):
                t._version += 1
            t._watch = None
    _watched.clear()
    _EPOCH[0] += 1
