"""Threads, as ``torch.set_num_threads`` / ``torch.get_num_threads``; and the default
device, as ``torch.set_default_device`` / ``torch.get_default_device``.

tinygrad_dk computes with numpy. The only work numpy spreads over several threads is
linear algebra (matmul, solve, ...), done by the BLAS library numpy is built with
(OpenBLAS, MKL, ...), in the BLAS's own thread pool. So "the engine's threads" are the
BLAS's threads, and that is what these functions read and set:

* with ``threadpoolctl`` installed (an optional package, not a dependency), they read
  and limit the BLAS pools of the running process, as PyTorch's do its own pool;
* without it (or when it recognises no BLAS in the process), a running BLAS pool
  cannot be changed from Python. ``get_num_threads``
  then reports what the environment variables set before Python started say
  (``OPENBLAS_NUM_THREADS``, ``MKL_NUM_THREADS``, ``OMP_NUM_THREADS``), else the number
  of cores (the BLAS's default), and ``set_num_threads`` warns (it does not pretend):
  the program runs on, with the same results, only not on the asked number of threads.

There is no inter-op pool (PyTorch's threads that run independent ops side by side):
ops run one after another, so ``get_num_interop_threads()`` is 1.
"""

from __future__ import annotations

import importlib
import os
import warnings
from types import ModuleType
from typing import Any

from tinygrad_dk.device import CPU, check, device

#: the environment variables the common BLAS libraries read at start-up, in the order
#: they take precedence
BLAS_VARIABLES = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS")

_limits: Any = None  # threadpoolctl's limiter: kept, so that the limit stays in force


def _threadpoolctl() -> ModuleType | None:
    """threadpoolctl if it is installed, else None (tests replace this function)."""
    try:
        return importlib.import_module("threadpoolctl")
    except ImportError:
        return None


def _positive(name: str, n: Any) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise RuntimeError(f"{name} expects a positive integer, got {n!r}")
    return n


def _from_environment() -> int:
    """The BLAS's thread count as the environment set it at start-up, else the cores."""
    for variable in BLAS_VARIABLES:
        value = os.environ.get(variable, "").strip()
        if value.isdigit() and int(value) > 0:
            return int(value)
    return os.cpu_count() or 1


def _blas_pools(tpc: ModuleType | None) -> list[int]:
    """The thread counts of the BLAS pools threadpoolctl sees ([] without it, or when it
    recognises no BLAS in this process)."""
    if tpc is None:
        return []
    return [p["num_threads"] for p in tpc.threadpool_info() if p.get("user_api") == "blas"]


def get_num_threads() -> int:
    """The number of threads numpy's BLAS (matmul and linear algebra) uses."""
    pools = _blas_pools(_threadpoolctl())
    return max(pools) if pools else _from_environment()


def set_num_threads(n: int) -> None:
    """Let numpy's BLAS use ``n`` threads for matmul and linear algebra (as
    ``torch.set_num_threads``; the results do not change, only the speed).

    This needs ``threadpoolctl`` and a BLAS it recognises; without them a warning says
    how to get the effect (nothing changes then, and nothing pretends to)."""
    global _limits
    n = _positive("set_num_threads", n)
    tpc = _threadpoolctl()
    if _blas_pools(tpc):
        _limits = tpc.threadpool_limits(limits=n, user_api="blas")
        return
    if n != _from_environment():
        why, fix = (("threadpoolctl finds no BLAS pool it can limit", "Set") if tpc else
                    ("without the threadpoolctl package", "Run `pip install threadpoolctl`, or "
                     "set"))
        warnings.warn(
            f"set_num_threads({n}): numpy's BLAS thread pool cannot be changed from Python "
            f"({why}), so it keeps {_from_environment()} thread(s). {fix} the environment "
            f"variable before starting Python: OPENBLAS_NUM_THREADS={n} python program.py "
            "(MKL_NUM_THREADS for an MKL numpy)", RuntimeWarning, stacklevel=2)


def get_num_interop_threads() -> int:
    """1: ops run one after another (there is no pool running them side by side)."""
    return 1


def set_num_interop_threads(n: int) -> None:
    """Accepted for PyTorch programs: 1 is what there is; more warns that ops still run
    one after another."""
    n = _positive("set_num_interop_threads", n)
    if n != 1:
        warnings.warn(f"set_num_interop_threads({n}): tinygrad_dk runs one op after another "
                      "and has no inter-op thread pool; the setting changes nothing",
                      RuntimeWarning, stacklevel=2)


# --- the default device ---------------------------------------------------------------------


def set_default_device(device: Any) -> None:  # noqa: A002 - PyTorch's name
    """Accepted for the CPU (and None, PyTorch's reset), the only device here; any other
    is an error that says so."""
    check(device, "set_default_device")


def get_default_device() -> device:
    """``device(type='cpu')``: tensors always live in the computer's memory here."""
    return CPU
