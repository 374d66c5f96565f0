"""Gradient mode: whether operations record the graph, switched per thread.

Both engines ask ``is_grad_enabled()`` before they record parents, so inside
``no_grad()`` a Value or a Tensor computed from parameters is a plain number or
array without history (nothing to backpropagate, nothing kept alive). Use it for
evaluation and for updating weights by hand.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any


class _ThreadState(threading.local):
    # A class attribute of a threading.local subclass is every thread's starting value.
    enabled = True


_state = _ThreadState()


def is_grad_enabled() -> bool:
    """True unless this thread is inside ``no_grad()``."""
    return _state.enabled


class GradMode:
    """Context manager and decorator that switches recording on or off in this thread."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._previous: list[bool] = []

    def __enter__(self) -> None:
        self._previous.append(_state.enabled)
        _state.enabled = self.enabled

    def __exit__(self, *exc: object) -> None:
        _state.enabled = self._previous.pop()

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
        super().__init__(bool(mode))
        self._before = _state.enabled
        _state.enabled = self.enabled

    def __enter__(self) -> None:
        pass  # already switched when the object was made

    def __exit__(self, *exc: object) -> None:
        _state.enabled = self._before
