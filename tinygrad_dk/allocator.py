"""Keeping freed memory for the next training step (glibc's ``malloc`` settings).

A training step allocates the same arrays every time: activations, gradients,
temporaries, a few megabytes for a small MLP. When the step's graph is freed, the C
library decides whether to keep that memory for the next allocation or hand it back
to the operating system. glibc (the C library of most Linux systems) hands back

* every block of at least ``M_MMAP_THRESHOLD`` bytes (it got those from the OS one by
  one), and
* free memory at the top of its heap beyond ``M_TRIM_THRESHOLD`` bytes.

Memory handed back must be taken again at the next step, and the OS gives it one
zeroed 4 KiB page at a time, each a *page fault*: for a 784-256-128-10 MLP with batch
256 that was about 1,000 faults and a quarter of the step's time. Both thresholds
start at 128 KiB, and glibc raises them by itself after it frees a big block, so
whether a program hits this depends on which arrays it happened to free before.

:func:`keep_freed_memory` makes it not depend on luck: it sets the mmap threshold to
32 MiB (the highest value glibc's own adjustment would ever choose) and the trim
threshold to 64 MiB (twice that, as glibc pairs them). Arrays below 32 MiB then come
from the heap and go back to it, ready for the next step; above that a step's
arithmetic dwarfs the page faults anyway. The price: up to 64 MiB of freed memory
stays with the process instead of going back to the OS.

Scope: the Tensor engine calls it once, at the first Tensor backward pass of a process
(``TensorBase._seed``): programs that train get it, a program that only imports
tinygrad_dk does not. It is a process-wide setting (glibc has no other kind). Set the
environment variable ``TINYGRAD_DK_KEEP_FREED_MEMORY=0`` to leave malloc alone. On
other C libraries (macOS, Windows, musl) it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from collections.abc import Callable

#: glibc's parameter numbers for mallopt (malloc.h).
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
MMAP_THRESHOLD = 32 * 2**20
TRIM_THRESHOLD = 2 * MMAP_THRESHOLD
#: The environment variable that switches the setting off ("0", "no", "false", "off").
SWITCH = "TINYGRAD_DK_KEEP_FREED_MEMORY"

_state = {"tried": False, "applied": False}


def _glibc_mallopt() -> Callable[[int, int], int] | None:
    """glibc's ``mallopt``, or None on any other C library."""
    if not hasattr(os, "confstr"):
        return None
    try:
        version = os.confstr("CS_GNU_LIBC_VERSION")  # e.g. "glibc 2.36"; unset elsewhere
    except (ValueError, OSError):
        return None
    if not version or not version.startswith("glibc"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return None
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return mallopt


def keep_freed_memory() -> bool:
    """Let glibc keep freed memory below 32 MiB for reuse (see the module docstring).

    Returns True when the setting is in force, False when it could not be applied
    (not glibc) or was switched off with ``TINYGRAD_DK_KEEP_FREED_MEMORY=0``. Applies
    it at most once per process; later calls only report.
    """
    if _state["tried"]:
        return _state["applied"]
    _state["tried"] = True
    if os.environ.get(SWITCH, "1").strip().lower() in ("0", "no", "false", "off"):
        return False
    mallopt = _glibc_mallopt()
    if mallopt is None:
        return False
    # mallopt returns 1 on success; setting either threshold also turns off glibc's own
    # adjustment of both, so the values stay as set.
    _state["applied"] = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
                             and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    return _state["applied"]
