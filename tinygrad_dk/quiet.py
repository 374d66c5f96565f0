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
    if _extobj_contextvar is None:
        def run(*args: Any, **kwargs: Any) -> Any:
            with np.errstate(all="ignore"):
                return fn(*args, **kwargs)
    else:
        def run(*args: Any, **kwargs: Any) -> Any:
            token = _extobj_contextvar.set(_IGNORE_ALL)
            try:
                return fn(*args, **kwargs)
            finally:
                _extobj_contextvar.reset(token)

    return functools.wraps(fn)(run)  # keeps fn's name and docstring


try:  # numpy >= 2 keeps errstate in a context variable; setting it directly is ~3x faster
    from numpy._core._ufunc_config import _extobj_contextvar, _make_extobj

    _IGNORE_ALL = _make_extobj(all="ignore")
except (ImportError, AttributeError, TypeError):  # pragma: no cover - other numpy: np.errstate
    _extobj_contextvar = None
