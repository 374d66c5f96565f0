"""Timing machinery shared by every workload.

The rules, in one place:

* every engine gets the same number of untimed warm-up calls first;
* timed calls alternate ours and each peer (ours, peer, ours, peer, ...), so slow drift
  of the machine (turbo, a neighbour's job) hits both sides of every ratio;
* a full garbage collection runs, untimed, before every timed call, so one engine's
  garbage is never charged to the next; the collector stays on while timing, as users
  run it, but everything alive before timing starts (the imported peers: PyTorch alone
  brings a million objects) is frozen out of its reach with ``gc.freeze``, so no engine
  pays for scanning another engine's modules;
* the graph a step built is kept alive until the clock has stopped, so tearing it down
  is not timed either;
* where engines bring their own thread pools (numpy's OpenBLAS, PyTorch's OpenMP), the
  previous engine's threads keep spinning for a while after it returns and steal the
  cores from the next one; there each turn starts with a few untimed "settle" calls of
  the engine about to be timed, so every timed call runs with its own pool awake and
  the other one asleep;
* we report medians, which shrug off the odd slow call.
"""

from __future__ import annotations

import gc
import statistics
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: What one step returns: a number to cross-check engines against each other (a loss,
#: a gradient) and anything that must outlive the clock (usually the graph's root).
Outcome = tuple[float, Any]
#: One unit of work to time: a forward, a backward and (for training) an update.
Step = Callable[[], Outcome]
#: Runs a step once and returns (seconds, check value).
Runner = Callable[[Step], tuple[float, float]]

OURS = "tinygrad_dk"


class Unavailable(Exception):
    """Raised by a contender's builder when its engine (or a feature) is not installed."""


@dataclass
class Measurement:
    """Timings of one engine on one workload size, in the workload's unit."""

    engine: str
    size: int
    unit: str
    samples: list[float] = field(default_factory=list)
    #: Check values of the first two calls: from the shared starting weights, and after
    #: one update (so a wrong gradient shows as a disagreement between engines).
    checks: list[float] = field(default_factory=list)
    status: str = "ok"  # "ok", "skipped" (not installed) or "failed" (raised)
    note: str = ""

    @property
    def check(self) -> float | None:
        """The first call's check value, or None when the engine did not run."""
        return self.checks[0] if self.checks else None

    @property
    def median(self) -> float | None:
        """Median of the samples, or None when the engine did not run."""
        return statistics.median(self.samples) if self.samples else None

    def to_json(self) -> dict[str, Any]:
        """A plain dict for the JSON report."""
        return {
            "engine": self.engine,
            "size": self.size,
            "unit": self.unit,
            "status": self.status,
            "median": self.median,
            "samples": self.samples,
            "checks": self.checks,
            "note": self.note,
        }


@dataclass
class Contender:
    """One engine on one workload: how to build its state and how to run its step.

    ``build`` returns a fresh step closure (model, weights and inputs already copied into
    the engine) or raises :class:`Unavailable`. ``runner`` times one call; the default
    runs it in the calling thread. ``scale`` turns seconds into the workload's unit.
    """

    name: str
    build: Callable[[], Step]
    scale: float
    runner: Runner | None = None


def time_once(step: Step) -> tuple[float, float]:
    """Collect garbage, then time one call of ``step``; return (seconds, check)."""
    gc.collect()
    start = time.perf_counter()
    check, keep_alive = step()
    seconds = time.perf_counter() - start
    del keep_alive
    return seconds, float(check)


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


def alternate(
    contenders: list[Contender],
    size: int,
    unit: str,
    repeats: int,
    warmup: int,
    settle: int = 0,
) -> list[Measurement]:
    """Time every contender on one size, alternating ours with each peer.

    ``contenders[0]`` must be ours. Each round runs ours then peer 1, ours then peer 2,
    and so on; when ours is missing, the peers simply take turns. Each turn makes
    ``settle`` untimed calls before its timed one. Returns one :class:`Measurement`
    per contender, in the given order.
    """
    results = {c.name: Measurement(c.name, size, unit) for c in contenders}
    steps: dict[str, Step] = {}
    for contender in contenders:
        try:
            steps[contender.name] = contender.build()
        except Unavailable as error:
            results[contender.name].status = "skipped"
            results[contender.name].note = str(error)
        except Exception as error:
            results[contender.name].status = "failed"
            results[contender.name].note = f"setup: {describe_error(error)}"
    by_name = {c.name: c for c in contenders}

    def run(name: str, record: bool) -> None:
        if name not in steps:
            return
        contender = by_name[name]
        runner = contender.runner or time_once
        try:
            for _ in range(settle if record else 0):
                runner(steps[name])
            seconds, check = runner(steps[name])
        except Exception as error:
            results[name].status = "failed"
            results[name].note = describe_error(error)
            results[name].samples.clear()
            del steps[name]
            return
        if len(results[name].checks) < 2:
            results[name].checks.append(check)
        if record:
            results[name].samples.append(seconds * contender.scale)

    ours, peers = contenders[0].name, [c.name for c in contenders[1:]]
    gc.collect()
    gc.freeze()
    try:
        for _ in range(warmup):
            for name in [ours, *peers]:
                run(name, record=False)
        for _ in range(repeats):
            live_peers = [name for name in peers if name in steps]
            if ours in steps and live_peers:
                for peer in live_peers:
                    run(ours, record=True)
                    run(peer, record=True)
            else:
                for name in [ours, *peers]:
                    run(name, record=True)
    finally:
        gc.unfreeze()
    return [results[c.name] for c in contenders]


@dataclass
class Settings:
    """What the command line chose: quick sizes or full ones, and how many repeats."""

    quick: bool
    repeats: int
    warmup: int


@dataclass
class WorkloadResult:
    """Everything one workload measured, ready for the table and the JSON."""

    key: str
    title: str
    measurements: list[Measurement]
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def find(self, engine: str, size: int | None = None) -> Measurement | None:
        """The measurement of ``engine`` (at ``size``, if given), or None."""
        for m in self.measurements:
            if m.engine == engine and (size is None or m.size == size):
                return m
        return None

    def to_json(self) -> dict[str, Any]:
        """A plain dict for the JSON report."""
        return {
            "title": self.title,
            "results": [m.to_json() for m in self.measurements],
            "notes": self.notes,
            "extra": self.extra,
        }
