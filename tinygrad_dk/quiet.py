"""``quiet``: run a function with numpy's floating-point warnings off.

In an autograd engine IEEE inf and nan are answers, not accidents: exp(1000) is inf,
0 * inf in a derivative is nan, and the engine decides what to do with them (see
``ops.pass_where``). numpy would print a RuntimeWarning each time, so the forward
functions of the ops, the backward walk and the optimizers' steps run quietly (a
user's own ``Primitive`` can wrap its forward in it too: ``tinygrad_dk.quiet``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np


def quiet(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` with numpy's floating-point warnings off: IEEE inf and nan are the answer.

    Equivalent to ``with np.errstate(all="ignore"): fn(...)``, which costs ~2.5 us a
    call; where numpy allows it the same setting is switched on its context variable
    directly (~0.8 us), as ``np.errstate`` itself does.
    """
    if warnings_off is None:
        def run(*args: Any, **kwargs: Any) -> Any:
            with np.errstate(all="ignore"):
                return fn(*args, **kwargs)
    else:
        def run(*args: Any, **kwargs: Any) -> Any:
            token = warnings_off()
            try:
                return fn(*args, **kwargs)
            finally:
                warnings_back(token)

    functools.wraps(fn)(run)  # keeps fn's name and docstring
    if warnings_off is not None:
        # (with run itself: functools.wraps copies attributes onto other wrappers, and
        # one of those must never be skipped; see inner_of)
        run.quiet_of = (run, fn)  # type: ignore[attr-defined]
    return run


def inner_of(fn: Callable[..., Any]) -> Callable[..., Any] | None:
    """The function inside ``quiet(fn)``, or None.

    A primitive calls its forward once per operation, and for the small arrays of a
    scalar-sized graph the wrapper's own call is a third of the cost of switching the
    warnings off. So ``Primitive`` takes the function out of the wrapper and switches
    the warnings off around it itself, with ``warnings_off()`` and ``warnings_back()``.
    """
    wrapper, inner = getattr(fn, "quiet_of", (None, None))
    return inner if wrapper is fn else None


try:  # numpy >= 2 keeps errstate in a context variable; setting it directly is ~3x faster
    from numpy._core._ufunc_config import _extobj_contextvar, _make_extobj

    #: ``token = warnings_off()`` switches every numpy floating-point warning off in the
    #: current context; ``warnings_back(token)`` restores what was there before.
    warnings_off: Callable[[], Any] | None = functools.partial(
        _extobj_contextvar.set, _make_extobj(all="ignore"))
    warnings_back: Callable[[Any], None] = _extobj_contextvar.reset
except (ImportError, AttributeError, TypeError):  # pragma: no cover - other numpy: np.errstate
    warnings_off = None
