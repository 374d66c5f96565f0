"""Gradient mode: whether operations record the graph, switched per thread.

Both engines ask before they record parents, so inside ``no_grad()`` a Value or a
Tensor computed from parameters is a plain number or array without history (nothing
to backpropagate, nothing kept alive). Use it for evaluation and for updating
weights by hand.

The mode belongs to a thread, as in PyTorch: ``no_grad()`` in one thread never
switches recording off in another. It is kept as the set of threads that are
currently *not* recording, ``THREADS_WITHOUT_GRAD``; while no thread is inside
``no_grad()`` that set is empty, and the check every operation makes
(``if THREADS_WITHOUT_GRAD and ...``) costs next to nothing, which matters for the
scalar engine, where an operation is only a few hundred nanoseconds.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

#: ids of the threads inside no_grad() (and not inside an enable_grad() within it)
THREADS_WITHOUT_GRAD: set[int] = set()
_stacks: dict[int, list[bool]] = {}  # each thread's modes, innermost last
_get_ident = threading.get_ident


def is_grad_enabled() -> bool:
    """True unless this thread is inside ``no_grad()``."""
    return not THREADS_WITHOUT_GRAD or _get_ident() not in THREADS_WITHOUT_GRAD


def _set_mode(enabled: bool) -> None:
    if enabled:
        THREADS_WITHOUT_GRAD.discard(_get_ident())
    else:
        THREADS_WITHOUT_GRAD.add(_get_ident())


class GradMode:
    """Context manager and decorator that switches recording on or off in this thread."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = bool(enabled)

    def __enter__(self) -> None:
        _stacks.setdefault(_get_ident(), []).append(is_grad_enabled())
        _set_mode(self.enabled)

    def __exit__(self, *exc: object) -> None:
        ident = _get_ident()
        stack = _stacks[ident]
        _set_mode(stack.pop())
        if not stack:
            del _stacks[ident]

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with GradMode(self.enabled):
                return fn(*args, **kwargs)

        return wrapper


def no_grad() -> GradMode:
    """Record nothing inside this block (or decorated function): inference, updates.

    >>> with no_grad():
    ...     y = model(x)        # y has no graph and requires no grad
    """
    return GradMode(False)


def enable_grad() -> GradMode:
    """Switch recording back on inside a ``no_grad`` block."""
    return GradMode(True)


class set_grad_enabled(GradMode):  # noqa: N801 - PyTorch's name for a function-like class
    """Switch recording on or off at once, as ``torch.set_grad_enabled(mode)``.

    Called on its own line it changes the mode for the rest of the thread; used as
    ``with set_grad_enabled(False):`` it also puts the previous mode back at the end.
    """

    def __init__(self, mode: bool) -> None:
        super().__init__(mode)
        self._before = is_grad_enabled()
        _set_mode(self.enabled)

    def __enter__(self) -> None:
        pass  # already switched when the object was made

    def __exit__(self, *exc: object) -> None:
        _set_mode(self._before)
