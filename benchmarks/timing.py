"""Timing one call, inside an engine's worker process.

The rules, in one place:

* a full garbage collection runs, untimed, before every timed call, so garbage left by
  an earlier call is never charged to the next; the collector stays on while timing,
  as users run it, but everything alive once the step is built (the engine's modules:
  PyTorch alone brings a million objects) is frozen out of its reach with
  ``gc.freeze``, so no call pays for scanning them;
* the graph a step built is kept alive until the clock has stopped, so tearing it down
  is not timed (it happens between calls, and is included in the page-fault count);
* page faults are the process's *minor* faults (``getrusage``): each is a page of
  fresh memory the operating system had to hand over and zero, the cost of memory that
  is given back and taken again at every step.
"""

from __future__ import annotations

import gc
import sys
import threading
import time
import tracemalloc
from typing import Any

from benchmarks.spec import Runner, Step

try:
    import resource
except ImportError:  # pragma: no cover - Windows has no getrusage
    resource = None  # type: ignore[assignment]


def minor_faults() -> int | None:
    """This process's minor page faults so far (all threads), or None where unknown."""
    if resource is None:
        return None
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def time_once(step: Step) -> tuple[float, float]:
    """Collect garbage, then time one call of ``step``; return (seconds, check)."""
    gc.collect()
    start = time.perf_counter()
    check, keep_alive = step()
    seconds = time.perf_counter() - start
    del keep_alive
    return seconds, float(check)


def peak_memory(step: Step, runner: Runner | None = None) -> int:
    """Peak bytes allocated while one call runs (tracemalloc; numpy's arrays included)."""
    gc.collect()
    tracemalloc.start()
    try:
        (runner or time_once)(step)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak


def big_stack_runner(recursion_limit: int, stack_bytes: int = 512 * 1024 * 1024) -> Runner:
    """A runner that times the step in a fresh thread with a big C stack.

    Recursive engines (micrograd's topological sort) need a raised recursion limit for
    deep graphs, and a raised limit needs a big stack so that running out of it raises
    RecursionError instead of crashing the interpreter. The limit is restored afterwards.
    """

    def run(step: Step) -> tuple[float, float]:
        box: dict[str, Any] = {}

        def target() -> None:
            try:
                box["result"] = time_once(step)
            except BaseException as error:  # handed back to the calling thread
                box["error"] = error

        old_limit = sys.getrecursionlimit()
        old_stack = threading.stack_size(stack_bytes)
        sys.setrecursionlimit(max(old_limit, recursion_limit))
        try:
            worker = threading.Thread(target=target, name="big-stack-benchmark")
            worker.start()
            worker.join()
        finally:
            sys.setrecursionlimit(old_limit)
            threading.stack_size(old_stack)
        if "error" in box:
            raise box["error"]
        return box["result"]

    return run


def without_gc(runner: Runner | None = None) -> Runner:
    """Wrap a runner so the garbage collector is off during the timed call.

    For informational rows only: users run with the collector on. It shows how much of
    an engine's time goes to the collector scanning its graph (micrograd's closures make
    reference cycles, so its graphs are scanned again and again while they grow).
    """
    inner = runner or time_once

    def run(step: Step) -> tuple[float, float]:
        gc.disable()
        try:
            return inner(step)
        finally:
            gc.enable()

    return run


def describe_error(error: BaseException) -> str:
    """A one-line description of an exception for the table and the JSON."""
    text = str(error).splitlines()[0] if str(error) else ""
    return f"{type(error).__name__}: {text}"[:160] if text else type(error).__name__
